"""Live collection end to end: lightkube against FakeKube, failures recorded, the rest read."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from labctl.checks import run_checks
from labctl.cluster.client import ClusterTarget, pod_proxy_path
from labctl.cluster.collect import AlertmanagerLocation, CollectSettings, VaultLocation, collect
from labctl.cluster.kinds import SNAPSHOT_KINDS
from labctl.cluster.snapshot import Snapshot
from tests.cluster.homelab_fake import HOMELAB, serve_homelab
from tests.support.fake_kube import FakeKube, Reply


@pytest.fixture
def fake() -> Iterator[FakeKube]:
    with FakeKube(git_version="v1.28.15") as server:
        serve_homelab(server)
        yield server


@pytest.fixture
def target(fake: FakeKube, tmp_path: Path) -> ClusterTarget:
    # Generous: the shared test machine is busy; only the slow route below should time out.
    return ClusterTarget(kubeconfig=fake.kubeconfig(tmp_path / "kubeconfig"), timeout=4)


def _names(objects: list[dict[str, object]] | None) -> list[str]:
    return sorted(str(o["metadata"]["name"]) for o in objects or [])


def test_collects_every_kind_and_extra_like_the_offline_snapshot(target: ClusterTarget) -> None:
    live = collect(target)
    offline = Snapshot.load(HOMELAB)
    assert live.gaps == {}
    for kind in SNAPSHOT_KINDS:
        assert _names(live.items(kind.resource)) == _names(offline.items(kind.resource))
        assert all(o["kind"] == kind.kind for o in live.items(kind.resource) or [])
    assert sorted(live.extras) == offline.extra_paths("")
    assert live.extra_statuses["vault/vault-1/sys-health.json"] == 429
    assert (live.context, live.server_version) == ("fake", "v1.28.15")
    live.taken_at = offline.taken_at
    found = {(f.check_id, f.object) for f in run_checks(live).findings}
    assert found == {(f.check_id, f.object) for f in run_checks(offline).findings}


def test_lists_page_through_continue_tokens(fake: FakeKube, target: ClusterTarget) -> None:
    live = collect(target, CollectSettings(page_size=25))
    pods = live.items("pods") or []
    assert len(pods) == len(fake.objects("Pod")) > 75
    limits = [r.param("limit") for r in fake.calls("GET", "/api/v1/pods")]
    assert limits == ["25"] * -(-len(pods) // 25)


def test_failures_are_recorded_and_the_rest_is_read(fake: FakeKube, target: ClusterTarget) -> None:
    fake.fail("/api/v1/pods", 403)
    fake.fail("/apis/velero.io/v1/backups", 500)
    fake.fail("/apis/batch/v1/jobs", 500)  # else LAB-508 judges the 8-day-old etcd snapshot
    fake.route("GET", "/apis/cert-manager.io/v1/certificates", Reply(body={"items": []}, delay=8))
    vault_1 = re.escape(pod_proxy_path("vault", "vault-1", 8200, "v1/sys/health"))
    fake.route(
        "GET", vault_1, Reply(status=503, body={"kind": "Status", "message": "no endpoints"})
    )
    live = collect(target)
    assert live.gaps["pods"].startswith("403 Forbidden: injected failure")
    assert live.gaps["backups.velero.io"].startswith("500 server error")
    assert live.gaps["certificates.cert-manager.io"] == "timeout after 4s"
    assert live.gaps["extras/vault/vault-1/sys-health.json"].startswith("503")
    assert live.items("pods") is None and live.items("nodes")
    report = run_checks(live)
    statuses = report.status_by_area
    assert {a for a, s in statuses.items() if s == "unknown"} == {
        "workloads",
        "backups",
        "certificates",
    }
    assert statuses["nodes"] == "warning" and statuses["vault"] == "warning"
    assert report.exit_code == 3


def test_kubelet_stats_are_not_read_from_a_node_that_is_not_ready(
    fake: FakeKube, target: ClusterTarget
) -> None:
    ready = {"type": "Ready", "status": "Unknown", "reason": "NodeStatusUnknown"}
    fake.update("Node", "k8s-worker02", None, {"status": {"conditions": [ready]}})
    live = collect(target)
    gap = live.gaps["extras/kubelet/k8s-worker02/stats-summary.json"]
    assert gap == "node k8s-worker02 is not Ready"
    assert not fake.calls("GET", "/api/v1/nodes/k8s-worker02/proxy")
    assert fake.calls("GET", "/api/v1/nodes/k8s-worker01/proxy")


def test_an_unreadable_answer_is_a_gap(fake: FakeKube, target: ClusterTarget) -> None:
    fake.route(
        "GET", "/api/v1/nodes", Reply(body="<html>proxy error</html>", content_type="text/html")
    )
    live = collect(target)
    assert live.gaps["nodes"].startswith("the answer is not a Kubernetes list")
    assert live.gaps["kubelet"] == "nodes could not be listed"
    assert live.items("pods")


def test_a_kind_the_server_does_not_serve_is_collected_empty(
    fake: FakeKube, target: ClusterTarget
) -> None:
    fake.fail("/apis/longhorn.io/v1beta2/volumes", 404)
    fake.fail("/apis/velero.io/v1/schedules", 404)
    live = collect(target)
    assert live.not_served == {"volumes.longhorn.io", "schedules.velero.io"}
    assert live.items("volumes.longhorn.io") == [] and "volumes.longhorn.io" not in live.gaps
    report = run_checks(live, areas=["storage", "backups"])
    assert not report.unknowns
    (no_velero,) = [f for f in report.findings if f.check_id == "LAB-507"]
    assert "Velero is not installed" in no_velero.message


def test_missing_vault_pods_and_alertmanager_are_reasons(
    fake: FakeKube, target: ClusterTarget
) -> None:
    settings = CollectSettings(
        vault=VaultLocation(namespace="secrets"),
        alertmanager=AlertmanagerLocation(service="am"),
        kubelet_stats=False,
    )
    live = collect(target, settings)
    assert live.gaps["vault"] == (
        "no pod matches app.kubernetes.io/name=vault,component=server in namespace secrets"
    )
    assert live.gaps["extras/alertmanager/api-v2-alerts.json"].startswith("404")  # no Service
    assert not fake.calls("GET", "/api/v1/nodes/k8s-cp01/proxy")
    unknown = {u.check_id for u in run_checks(live, areas=["vault", "alerts", "storage"]).unknowns}
    assert unknown == {"LAB-301", "LAB-302", "LAB-303", "LAB-304", "LAB-305", "LAB-901"} | {
        "LAB-902",
        "LAB-703",
        "LAB-704",
    }


def test_saved_snapshot_loads_back_identically(target: ClusterTarget, tmp_path: Path) -> None:
    live = collect(target)
    live.save(tmp_path / "snap")
    loaded = Snapshot.load(tmp_path / "snap")
    assert loaded.items("pods") == live.items("pods")
    assert (
        loaded.read_extra("vault/vault-0/sys-health.json")
        == live.extras["vault/vault-0/sys-health.json"]
    )
    assert loaded.extra_status("vault/vault-1/sys-health.json") == 429
    assert run_checks(loaded).findings == run_checks(live).findings


def _vault_over_tls(fake: FakeKube) -> None:
    """Vault's listener uses TLS: the API server's pod proxy answers what Vault answers to a
    plain-HTTP request on the port, and the `https:` proxy form reaches it."""
    for pod in ("vault-0", "vault-1"):
        for endpoint in ("health", "seal-status"):
            plain = pod_proxy_path("vault", pod, 8200, f"v1/sys/{endpoint}")
            body = "Client sent an HTTP request to an HTTPS server.\n"
            fake.route(
                "GET", re.escape(plain), Reply(status=400, body=body, content_type="text/plain")
            )
            tls = pod_proxy_path("vault", pod, 8200, f"v1/sys/{endpoint}", "https")
            answer: dict[str, object] = {"initialized": True, "sealed": False}
            answer |= {"standby": pod != "vault-0", "type": "shamir", "storage_type": "raft"}
            standby = pod != "vault-0" and endpoint == "health"  # sys/health: 429 on a standby
            fake.route("GET", re.escape(tls), Reply(status=429 if standby else 200, body=answer))


def test_vault_with_tls_is_read_through_the_https_pod_proxy(
    fake: FakeKube, target: ClusterTarget
) -> None:
    _vault_over_tls(fake)
    live = collect(
        target, CollectSettings(vault=VaultLocation(scheme="https")), frozenset({"vault"})
    )
    assert live.gaps == {}
    assert live.extra_statuses["vault/vault-1/sys-health.json"] == 429
    assert fake.calls("GET", "/api/v1/namespaces/vault/pods/https:vault-0:8200/proxy/v1/sys/health")
    report = run_checks(live, areas=["vault"])
    assert not report.unknowns and [f.check_id for f in report.findings] == ["LAB-304"]


def test_vault_with_tls_read_over_http_is_unknown_with_the_fix(
    fake: FakeKube, target: ClusterTarget
) -> None:
    _vault_over_tls(fake)
    live = collect(target, sources=frozenset({"vault"}))
    reason = live.gaps["extras/vault/vault-0/sys-health.json"]
    assert reason.startswith("400 error: Client sent an HTTP request to an HTTPS server.")
    assert reason.endswith("(Vault's listener uses TLS: read it with --vault-scheme https)")
    report = run_checks(live, areas=["vault"])
    assert report.status_by_area["vault"] == "unknown"


def test_the_api_servers_serving_certificate_is_read_from_the_handshake(
    target: ClusterTarget,
) -> None:
    live = collect(target, sources=frozenset({"apiserver"}))
    cert = live.extras["apiserver/serving-certificate.json"]
    assert set(cert) == {"subject", "issuer", "notBefore", "notAfter"}
    assert cert["notBefore"] < live.taken_at.strftime("%Y-%m-%dT%H:%M:%SZ") < cert["notAfter"]
    assert run_checks(live, areas=["certificates"], ignore=_not_apiserver()).unknowns == []


def _not_apiserver() -> list[str]:
    from labctl.checks import all_checks

    return [
        c.id
        for c in all_checks()
        if c.area == "certificates" and c.id not in ("LAB-606", "LAB-607")
    ]
