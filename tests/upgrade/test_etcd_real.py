"""The etcd-snapshot Job's etcdctl command against a real etcd with client-certificate TLS.

A kubeadm-like etcd (client-cert-auth, a CA, a health-check client certificate) runs on a free
port; the Job's `save` argv runs unchanged except for the port and the host paths. Debian ships
etcd 3.4, which has no etcdutl: `etcdctl snapshot status` (the same arguments) stands in for the
`verify` container, and a restore into a new data dir proves the file holds the data.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trustme

from labctl.config.load import load_config
from labctl.platform.components import etcd_backup
from tests.support.postgres import free_port
from tests.support.tools import require

ROOT = Path(__file__).parents[2]


@dataclass
class Etcd:
    url: str
    pki: Path
    etcdctl: str


def _client_flags(etcd: Etcd, cert: str = "healthcheck-client") -> list[str]:
    return [
        f"--endpoints={etcd.url}",
        f"--cacert={etcd.pki}/ca.crt",
        f"--cert={etcd.pki}/{cert}.crt",
        f"--key={etcd.pki}/{cert}.key",
    ]


@pytest.fixture
def etcd(tmp_path: Path) -> Iterator[Etcd]:
    binary = require("etcd", "etcd-server")
    etcdctl = require("etcdctl", "etcd-client")
    pki = tmp_path / "pki"
    pki.mkdir()
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(pki / "ca.crt"))
    for name, identity in (("server", "127.0.0.1"), ("healthcheck-client", "kube-etcd-hc")):
        leaf = ca.issue_cert(identity, common_name=identity)
        leaf.cert_chain_pems[0].write_to_path(str(pki / f"{name}.crt"))
        leaf.private_key_pem.write_to_path(str(pki / f"{name}.key"))
    stranger = trustme.CA().issue_cert("stranger", common_name="stranger")
    stranger.cert_chain_pems[0].write_to_path(str(pki / "stranger.crt"))
    stranger.private_key_pem.write_to_path(str(pki / "stranger.key"))
    client, peer = free_port(), free_port()
    url = f"https://127.0.0.1:{client}"
    process = subprocess.Popen(
        [
            binary,
            "--name=default",
            f"--data-dir={tmp_path / 'data'}",
            f"--listen-client-urls={url}",
            f"--advertise-client-urls={url}",
            f"--listen-peer-urls=http://127.0.0.1:{peer}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
            f"--initial-cluster=default=http://127.0.0.1:{peer}",
            f"--cert-file={pki}/server.crt",
            f"--key-file={pki}/server.key",
            f"--trusted-ca-file={pki}/ca.crt",
            "--client-cert-auth",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Etcd(url, pki, etcdctl)
    try:
        deadline = time.monotonic() + 20
        while True:
            health = subprocess.run(
                [etcdctl, *_client_flags(server), "endpoint", "health"],
                capture_output=True,
                timeout=30,
            )
            if health.returncode == 0:
                break
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail(f"etcd did not start: {health.stderr.decode()[-300:]}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)


def _job_containers() -> dict[str, Any]:
    config = load_config(ROOT / "examples" / "cluster.yaml")
    spec = etcd_backup.job_template(config)["spec"]["template"]["spec"]
    return {c["name"]: c for c in spec["initContainers"]}


def _on_this_host(argv: list[str], etcd: Etcd, work: Path) -> list[str]:
    """The container's argv with the host's port and folders (and the binary found here)."""
    replaced = [
        a.replace("https://127.0.0.1:2379", etcd.url)
        .replace(etcd_backup.PKI, str(etcd.pki))
        .replace(etcd_backup.WORK, str(work))
        for a in argv
    ]
    return [etcd.etcdctl, *replaced[1:]]


def test_the_jobs_save_command_snapshots_a_client_cert_etcd(etcd: Etcd, tmp_path: Path) -> None:
    put = [etcd.etcdctl, *_client_flags(etcd), "put", "/registry/example", "kept"]
    subprocess.run(put, check=True, capture_output=True, timeout=30)
    work = tmp_path / "snapshot"
    work.mkdir()
    containers = _job_containers()
    save = _on_this_host(containers["save"]["command"], etcd, work)
    done = subprocess.run(save, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert (work / "etcd.db").stat().st_size > 0

    verify = containers["verify"]["command"]
    assert verify[:3] == ["etcdutl", "snapshot", "status"]
    status = subprocess.run(
        [etcd.etcdctl, *verify[1:3], str(work / "etcd.db"), *verify[4:]],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    assert json.loads(status.stdout)["totalKey"] >= 1

    restored = tmp_path / "restored"
    subprocess.run(
        [etcd.etcdctl, "snapshot", "restore", str(work / "etcd.db"), f"--data-dir={restored}"],
        check=True,
        capture_output=True,
        timeout=30,
    )
    assert (restored / "member" / "snap" / "db").is_file()


def test_a_certificate_from_another_ca_is_refused(etcd: Etcd) -> None:
    """client-cert-auth is on, as in kubeadm's etcd: the Job's certificate is what lets it in."""
    read = [
        etcd.etcdctl,
        *_client_flags(etcd, cert="stranger"),
        "--dial-timeout=1s",
        "--command-timeout=1s",
        "get",
        "/registry/example",
    ]
    done = subprocess.run(read, capture_output=True, text=True, timeout=30)
    assert done.returncode != 0
