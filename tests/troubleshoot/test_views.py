"""Troubleshooting views against FakeKube: what they gather, and the cause they name."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from lightkube import Client

from labctl.cluster.client import node_proxy_path
from labctl.troubleshoot.argocd import argocd_view
from labctl.troubleshoot.certificate import certificate_view
from labctl.troubleshoot.node import node_view
from labctl.troubleshoot.pod import pod_view
from labctl.troubleshoot.storage import storage_view
from labctl.troubleshoot.view import render_view
from tests.actions.argo_objects import application
from tests.actions.objects import node, pdb, pod
from tests.support.fake_kube import FakeKube, Obj

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def event(
    name: str,
    kind: str,
    namespace: str,
    reason: str,
    message: str,
    when: str,
    type_: str = "Warning",
) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{name}.{reason}.{when[-3:-1]}", "namespace": namespace},
        "involvedObject": {"kind": kind, "name": name, "namespace": namespace},
        "reason": reason,
        "message": message,
        "type": type_,
        "count": 3,
        "lastTimestamp": when,
    }


def crashing_backend() -> Obj:
    backend = pod("backend-1", "taskapp", node_name="n1", ready=False)
    backend["status"]["containerStatuses"] = [
        {
            "name": "main",
            "ready": False,
            "restartCount": 7,
            "image": "example/app:1",
            "imageID": "",
            "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}},
            "lastState": {"terminated": {"reason": "Error", "exitCode": 1}},
        }
    ]
    return backend


def test_pod_view_shows_previous_logs_events_and_the_cause(fake: FakeKube, client: Client) -> None:
    fake.add(
        node("n1"),
        crashing_backend(),
        event(
            "backend-1",
            "Pod",
            "taskapp",
            "BackOff",
            "Back-off restarting failed container",
            "2026-11-26T11:58:00Z",
        ),
        event(
            "backend-1",
            "Pod",
            "taskapp",
            "Pulled",
            "Container image already present",
            "2026-11-26T11:50:00Z",
            type_="Normal",
        ),
        event("other", "Pod", "taskapp", "BackOff", "not about this pod", "2026-11-26T11:59:00Z"),
    )
    fake.logs[("taskapp", "backend-1:previous")] = (
        'starting\nFATAL: password authentication failed for user "v-kubernet-taskapp-x"\n'
    )
    view = pod_view(client, "backend-1", "taskapp", NOW)
    text = render_view(view)
    assert "Controlled by: ReplicaSet/web-1" in text
    assert "Node:          n1 (Ready=True)" in text
    assert "Waiting: CrashLoopBackOff back-off 5m0s  Terminated: Error (exit 1)" in text
    assert "Logs of main (previous instance):" in text
    assert 'FATAL: password authentication failed for user "v-kubernet-taskapp-x"' in text
    events = text[text.index("Events (oldest first):") :]
    assert (
        events.index("Pulled") < events.index("Back-off restarting") and "not about" not in events
    )
    sources = [c.source for c in view.causes]
    assert sources[0].startswith("LAB-201")  # the health check's crash-loop finding comes first
    assert "logs" in sources
    (log_cause,) = [c for c in view.causes if c.source == "logs"]
    assert "expired Vault dynamic credentials" in log_cause.message
    (log_call,) = fake.calls("GET", "/api/v1/namespaces/taskapp/pods/backend-1/log")
    assert log_call.param("previous") == "true" and log_call.param("container") == "main"


def test_pod_view_without_a_previous_instance_says_so(fake: FakeKube, client: Client) -> None:
    stuck = pod("web-1", "apps", ready=False, phase="Pending")
    stuck["spec"].pop("nodeName")
    stuck["status"]["conditions"] = [
        {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": "0/3 nodes are available: 3 Insufficient cpu.",
        }
    ]
    fake.add(
        stuck,
        event(
            "web-1",
            "Pod",
            "apps",
            "FailedScheduling",
            "0/3 nodes are available: 3 Insufficient cpu.",
            "2026-11-26T11:00:00Z",
        ),
    )
    view = pod_view(client, "web-1", "apps", NOW)
    text = render_view(view)
    assert "Node:          (not scheduled)" in text
    assert "PodScheduled=False Unschedulable: 0/3 nodes are available" in text
    messages = [c.message for c in view.causes]
    assert any("unschedulable" in m for m in messages)
    assert "no node has the requested cpu free" in messages


def test_node_view_lists_pods_and_drain_blockers(fake: FakeKube, client: Client) -> None:
    sick = node("n1", ready="Unknown")
    sick["spec"]["taints"] = [{"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}]
    fake.add(
        sick,
        pod(
            "postgres-0",
            "taskapp",
            node_name="n1",
            owner=("StatefulSet", "postgres"),
            labels={"app": "postgres"},
        ),
        pdb(
            "postgres", "taskapp", {"app": "postgres"}, allowed=0, healthy=1, desired=1, expected=1
        ),
        pod("elsewhere", "taskapp", node_name="n2"),
    )
    view = node_view(client, "n1", NOW)
    text = render_view(view)
    assert "node.kubernetes.io/unreachable:NoExecute" in text
    assert "taskapp/postgres-0" in text and "elsewhere" not in text
    assert "taskapp/postgres-0: PDB taskapp/postgres (minAvailable: 1) allows 0 disruptions" in text
    assert view.causes[0].source.startswith("LAB-101")


def test_storage_view_follows_the_claim_to_its_volume(fake: FakeKube, client: Client) -> None:
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data-postgres-0", "namespace": "taskapp"},
        "spec": {
            "storageClassName": "longhorn",
            "volumeName": "pvc-123",
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "10Gi"}},
        },
        "status": {"phase": "Bound", "capacity": {"storage": "10Gi"}},
    }
    volume = {
        "apiVersion": "longhorn.io/v1beta2",
        "kind": "Volume",
        "metadata": {"name": "pvc-123", "namespace": "longhorn-system"},
        "spec": {"numberOfReplicas": 3},
        "status": {"state": "detached", "robustness": "faulted"},
    }
    user = pod(
        "postgres-0",
        "taskapp",
        volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "data-postgres-0"}}],
    )
    fake.add(claim, volume, user)
    gib = 2**30
    fake.route(
        "GET",
        re.escape(node_proxy_path("n1", "stats/summary")),
        json_body={
            "pods": [
                {
                    "volume": [
                        {
                            "name": "data",
                            "pvcRef": {"name": "data-postgres-0", "namespace": "taskapp"},
                            "usedBytes": 8 * gib,
                            "capacityBytes": 10 * gib,
                        }
                    ]
                }
            ]
        },
    )
    view = storage_view(client, "data-postgres-0", "taskapp", NOW)
    text = render_view(view)
    assert "Used by pods: postgres-0" in text
    assert "Used:         80% (8192 of 10240 MiB)" in text
    assert "state detached, robustness faulted, replicas 3" in text
    assert [c.source.split()[0] for c in view.causes] == ["LAB-703", "longhorn"]


def test_pending_claim_is_named_by_the_storage_check(fake: FakeKube, client: Client) -> None:
    fake.add(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data", "namespace": "apps"},
            "spec": {},
            "status": {"phase": "Pending"},
        },
        event(
            "data",
            "PersistentVolumeClaim",
            "apps",
            "ProvisioningFailed",
            'storageclass.storage.k8s.io "fast" not found',
            "2026-11-26T11:00:00Z",
        ),
    )
    view = storage_view(client, "data", "apps", NOW)
    sources = [c.source for c in view.causes]
    assert sources[0].startswith("LAB-701") and sources[1] == "event ProvisioningFailed"


def test_argocd_view_shows_failing_resources(fake: FakeKube, client: Client) -> None:
    app = application("taskapp", sync="OutOfSync", health="Degraded", phase="Failed")
    app["status"]["conditions"] = [{"type": "ComparisonError", "message": "helm template failed"}]
    app["status"]["resources"] = [
        {
            "kind": "Deployment",
            "namespace": "taskapp",
            "name": "backend",
            "status": "Synced",
            "health": {
                "status": "Degraded",
                "message": "Deployment exceeded its progress deadline",
            },
        },
        {
            "kind": "Service",
            "namespace": "taskapp",
            "name": "backend",
            "status": "Synced",
            "health": {"status": "Healthy"},
        },
    ]
    fake.add(app)
    view = argocd_view(client, "taskapp", "argocd", NOW)
    text = render_view(view)
    assert "Deployment  taskapp/backend  Synced  Degraded  Deployment exceeded" in text
    assert "Service" not in text[text.index("Resources not Synced") :]
    sources = [c.source.split()[0] for c in view.causes]
    assert sources[:1] == ["LAB-402"] and "argocd" in sources


def test_certificate_view_names_an_unready_issuer(fake: FakeKube, client: Client) -> None:
    fake.add(
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "Certificate",
            "metadata": {"name": "taskapp-tls", "namespace": "taskapp"},
            "spec": {
                "secretName": "taskapp-tls",
                "dnsNames": ["taskapp.example.com"],
                "issuerRef": {"kind": "ClusterIssuer", "name": "letsencrypt-prod"},
            },
            "status": {
                "conditions": [
                    {
                        "type": "Ready",
                        "status": "False",
                        "reason": "DoesNotExist",
                        "message": "Issuing certificate as Secret does not exist",
                    }
                ]
            },
        },
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "ClusterIssuer",
            "metadata": {"name": "letsencrypt-prod"},
            "spec": {},
            "status": {
                "conditions": [
                    {
                        "type": "Ready",
                        "status": "False",
                        "message": "secret cloudflare-api-token-secret not found",
                    }
                ]
            },
        },
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "CertificateRequest",
            "metadata": {
                "name": "taskapp-tls-1",
                "namespace": "taskapp",
                "ownerReferences": [{"kind": "Certificate", "name": "taskapp-tls"}],
            },
            "status": {"conditions": [{"type": "Ready", "status": "False", "reason": "Pending"}]},
        },
    )
    view = certificate_view(client, "taskapp-tls", "taskapp", NOW)
    text = render_view(view)
    assert "taskapp-tls-1: Ready False (Pending: )" in text or "taskapp-tls-1: Ready False" in text
    sources = [c.source.split()[0] for c in view.causes]
    assert sources == ["LAB-601", "issuer"]
    assert "secret cloudflare-api-token-secret not found" in view.causes[1].message


def test_a_pod_stuck_in_init_shows_the_vault_agent_logs(fake: FakeKube, client: Client) -> None:
    stuck = pod("backend-2", "taskapp", ready=False, phase="Pending")
    stuck["spec"]["initContainers"] = [{"name": "vault-agent-init", "image": "hashicorp/vault:1"}]
    stuck["status"]["initContainerStatuses"] = [
        {"name": "vault-agent-init", "ready": False, "restartCount": 0, "state": {"running": {}}}
    ]
    stuck["status"]["containerStatuses"] = [
        {
            "name": "main",
            "ready": False,
            "restartCount": 0,
            "state": {"waiting": {"reason": "PodInitializing"}},
        }
    ]
    fake.add(node("n1"), stuck)
    fake.logs[("taskapp", "backend-2")] = (
        "[ERROR] agent.auth.handler: error authenticating: Error making API request.\n"
        "Code: 403. Errors: * permission denied (vault)\n"
    )
    view = pod_view(client, "backend-2", "taskapp", NOW)
    text = render_view(view)
    assert "Logs of vault-agent-init:" in text
    assert "vault-agent-init  hashicorp/vault:1  Running" in text
    (cause,) = [c for c in view.causes if c.source == "logs"]
    assert cause.message.startswith("Vault denies it")
    (call,) = fake.calls("GET", "/api/v1/namespaces/taskapp/pods/backend-2/log")
    assert call.param("container") == "vault-agent-init" and call.param("previous") is None


def test_certificate_view_without_certificaterequests_shows_the_rest(
    fake: FakeKube, client: Client
) -> None:
    fake.unserve("certificaterequests.cert-manager.io")
    fake.add(
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "Certificate",
            "metadata": {"name": "web-tls", "namespace": "web"},
            "spec": {"secretName": "web-tls", "issuerRef": {"kind": "Issuer", "name": "ca"}},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]},
        }
    )
    text = render_view(certificate_view(client, "web-tls", "web", NOW))
    assert "Ready:       True" in text
    lines = text[text.index("CertificateRequests:") :].splitlines()
    assert lines[1] == (
        "  could not be read: 404 Error: 404 page not found (is its CRD installed?)"
    )
    assert "Issuer/ca (not found)" in text


def test_a_view_does_not_send_the_reader_back_to_itself(fake: FakeKube, client: Client) -> None:
    fake.add(node("n1"), crashing_backend())
    text = render_view(pod_view(client, "backend-1", "taskapp", NOW))
    assert "labctl troubleshoot pod" not in text
    assert "next: OOMKilled means raise the memory limit" in text
