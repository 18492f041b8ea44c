"""`labctl etcd snapshot` against FakeKube: a Job from the CronJob, waited for, its log read."""

from __future__ import annotations

import hashlib
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from labctl.cli.main import app
from labctl.config.load import load_config
from labctl.platform.components import etcd_backup
from tests.actions.objects import pod
from tests.support.fake_kube import FakeKube

ROOT = Path(__file__).parents[2]
runner = CliRunner()


def cronjob() -> dict[str, Any]:
    config = load_config(ROOT / "examples" / "cluster.yaml")
    (obj,) = etcd_backup.manifests(config)
    return obj


def test_the_cronjob_saves_verifies_and_ships_to_every_target() -> None:
    spec = cronjob()["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert spec["hostNetwork"] is True
    save, verify = spec["initContainers"]
    assert save["command"][:1] == ["etcdctl"] and save["command"][-3:-1] == ["snapshot", "save"]
    assert verify["command"][:3] == ["etcdutl", "snapshot", "status"]
    assert {"path": "/etc/kubernetes/pki/etcd", "type": "Directory"} in [
        v.get("hostPath") for v in spec["volumes"]
    ]
    script = spec["containers"][0]["command"][2]
    assert "sha256sum" in script
    for target in ("garage-onsite", "nas-onsite", "b2-offsite"):
        assert f"shipped to {target}" in script


def test_snapshot_creates_the_job_and_reports_its_checksum(
    fake: FakeKube, kubeconfig: Path
) -> None:
    fake.add(cronjob())

    def controller() -> None:  # the Job controller and the pod, as the cluster would run them
        for _ in range(100):
            jobs = fake.objects("Job", "velero")
            if jobs:
                name = jobs[0]["metadata"]["name"]
                fake.add(pod(f"{name}-x1", "velero", labels={"job-name": name}, owner=None))
                fake.logs[("velero", f"{name}-x1")] = (
                    "sha256 9f86d0 etcd-20261204T190000Z.db\n"
                    "upload: ./etcd-20261204T190000Z.db to s3://velero/etcd/\n"
                    "shipped to garage-onsite s3://velero/etcd/etcd-20261204T190000Z.db\n"
                )
                fake.update(
                    "Job",
                    name,
                    "velero",
                    {"status": {"conditions": [{"type": "Complete", "status": "True"}]}},
                )
                return
            time.sleep(0.02)

    thread = threading.Thread(target=controller)
    thread.start()
    result = runner.invoke(
        app,
        ["etcd", "snapshot", "--yes", "--kubeconfig", str(kubeconfig), "--poll-interval", "0.05"],
    )
    thread.join()
    assert result.exit_code == 0, result.output
    (job,) = fake.objects("Job", "velero")
    assert job["metadata"]["labels"] == {"app.kubernetes.io/name": "etcd-snapshot"}
    assert job["spec"]["template"]["spec"]["hostNetwork"] is True
    assert "sha256 9f86d0 etcd-20261204T190000Z.db" in result.output
    assert "shipped to garage-onsite" in result.output


def test_without_the_cronjob_it_says_what_to_do(fake: FakeKube, kubeconfig: Path) -> None:
    result = runner.invoke(app, ["etcd", "snapshot", "--yes", "--kubeconfig", str(kubeconfig)])
    assert result.exit_code == 1
    assert "no CronJob velero/etcd-snapshot" in result.output


def test_the_ship_script_names_checksums_and_copies_to_each_target(tmp_path: Path) -> None:
    """The container's shell, run by a real sh and coreutils; `aws` is a stub that records
    its arguments and credentials (no S3 endpoint runs here)."""
    config = load_config(ROOT / "examples" / "cluster.yaml")
    work, home, bin_dir = tmp_path / "snapshot", tmp_path / "home", tmp_path / "bin"
    for folder in (work, home, bin_dir):
        folder.mkdir()
    (work / "etcd.db").write_bytes(b"etcd snapshot bytes")
    calls = tmp_path / "calls"
    stub = bin_dir / "aws"
    stub.write_text(
        f'#!/bin/sh\necho "$AWS_SHARED_CREDENTIALS_FILE ${{AWS_CONFIG_FILE:-}} $*" >> {calls}\n'
    )
    stub.chmod(0o755)
    script = etcd_backup.ship_script(config.backups.targets, work=str(work))
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(home)}
    done = subprocess.run(["sh", "-c", script], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    (snapshot,) = work.glob("etcd-*Z.db")
    digest = hashlib.sha256(b"etcd snapshot bytes").hexdigest()
    assert (work / f"{snapshot.name}.sha256").read_text() == f"{digest}  {snapshot.name}\n"
    assert f"sha256 {digest} {snapshot.name}" in done.stdout
    lines = calls.read_text().splitlines()
    assert len(lines) == 6  # the file and its checksum, to each of the three targets
    garage = [line for line in lines if "garage-onsite" in line]
    assert garage[0] == (
        f"/credentials/garage-onsite/cloud {home}/path-style --region garage --endpoint-url "
        f"http://garage.garage.svc.cluster.local:3900 s3 cp {snapshot.name} s3://velero/etcd/"
    )
    assert garage[1].endswith(f"s3 cp {snapshot.name}.sha256 s3://velero/etcd/")
    assert "addressing_style = path" in (home / "path-style").read_text()
    assert "shipped to b2-offsite s3://example-velero/etcd/" in done.stdout
