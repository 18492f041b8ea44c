"""Severity and false-alarm fixes the fixture layout cannot express (an unknown, a missing
input, a message's wording), and Vault read over TLS."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path
from typing import Any

from labctl.checks import run_checks
from labctl.cluster.client import certificate_fields
from labctl.cluster.snapshot import Snapshot, parse_time
from tests.checks.snapshots import load_fixture
from tests.support.tools import require

FIXTURES = Path(__file__).parent / "fixtures"
TAKEN = parse_time("2026-11-26T12:00:00Z")


def _snap(resources: dict[str, list[Any]]) -> Snapshot:
    assert TAKEN is not None
    return Snapshot(resources=resources, taken_at=TAKEN)


def test_a_pdb_without_status_is_unknown_not_zero_healthy() -> None:
    pdb = {
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "web", "namespace": "taskapp"},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}},
    }
    snap = _snap({"poddisruptionbudgets.policy": [pdb], "pods": []})
    report = run_checks(snap, areas=["scaling"], ignore=["LAB-806", "LAB-800"])
    assert not [f for f in report.findings if f.check_id == "LAB-805"]
    (unknown,) = [u for u in report.unknowns if u.check_id == "LAB-805"]
    assert unknown.object == "PodDisruptionBudget/taskapp/web"
    assert unknown.reason == "PDB taskapp/web has no status yet (not seen by its controller)"


def test_a_failed_manual_backup_is_judged_without_schedules() -> None:
    backup = {
        "kind": "Backup",
        "metadata": {"name": "before-upgrade", "namespace": "velero"},
        "status": {"phase": "PartiallyFailed", "errors": 2},
    }
    snap = _snap({"backups.velero.io": [backup]})  # schedules.velero.io not collected
    report = run_checks(snap, areas=["backups"])
    (finding,) = [f for f in report.findings if f.check_id == "LAB-503"]
    assert finding.message == "backup velero/before-upgrade is PartiallyFailed"
    assert "LAB-503" not in {u.check_id for u in report.unknowns}


def test_messages_name_the_namespace_outside_the_usual_one() -> None:
    app = {
        "kind": "Application",
        "metadata": {"name": "app", "namespace": "runtime"},
        "status": {"sync": {"status": "OutOfSync"}, "health": {"status": "Healthy"}},
    }
    home = {**app, "metadata": {"name": "home", "namespace": "argocd"}}
    report = run_checks(_snap({"applications.argoproj.io": [app, home]}), areas=["argocd"])
    messages = sorted(f.message for f in report.findings if f.check_id == "LAB-401")
    assert messages == ["Application home is OutOfSync", "Application runtime/app is OutOfSync"]


def test_a_pending_pvc_says_why_provisioning_fails() -> None:
    snap = load_fixture(FIXTURES / "LAB-701" / "failure.provisioning-failed.yaml")
    (finding,) = [
        f for f in run_checks(snap, areas=["storage"]).findings if f.check_id == "LAB-701"
    ]
    assert finding.message == (
        "PVC minio/data-minio-0 is Pending: ProvisioningFailed: storageclass.storage.k8s.io "
        '"fast-ssd" not found'
    )


def test_an_expired_certificate_that_says_ready_is_critical_once() -> None:
    report = run_checks(load_fixture(FIXTURES / "LAB-608" / "failure.yaml"), areas=["certificates"])
    ids = [f.check_id for f in report.findings if f.object.startswith("Certificate/")]
    assert ids == ["LAB-608"]
    assert report.findings[0].message.endswith("expired 204 days ago (it still says Ready)")


def test_certificate_fields_read_utc_and_generalized_times(tmp_path: Path) -> None:
    """Dates from 2050 on are GeneralizedTime in X.509 (RFC 5280 4.1.2.5)."""
    openssl = require("openssl", "openssl")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/O=lab/CN=kube-apiserver",
            "-days",
            "10000",
        ],
        check=True,
        capture_output=True,
    )
    fields = certificate_fields(ssl.PEM_cert_to_DER_cert(cert.read_text()))
    dates = subprocess.run(
        [openssl, "x509", "-in", str(cert), "-noout", "-enddate", "-dateopt", "iso_8601"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert fields["subject"] == fields["issuer"] == "O=lab,CN=kube-apiserver"
    assert dates.strip() == f"notAfter={fields['notAfter'].replace('T', ' ')}"
    assert fields["notAfter"] > "2050" and fields["notBefore"] < "2050"


def test_a_wrong_type_in_a_free_form_part_makes_one_check_unknown() -> None:
    """A Custom resource's spec is not typed by a shape: a string where rules belong."""
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "web", "namespace": "taskapp"},
        "spec": {"rules": "tasks.example.com"},
    }
    snap = _snap(
        {
            "ingresses.networking.k8s.io": [ingress],
            "services": [],
            "ingressclasses.networking.k8s.io": [],
        }
    )
    report = run_checks(snap, areas=["workloads"], ignore=["LAB-200"])
    (unknown,) = [u for u in report.unknowns if u.check_id == "LAB-220"]
    assert unknown.reason.startswith("the check failed on unexpected data: AttributeError")
