"""The daily etcd snapshot: a CronJob on a control-plane node, shipped to every backup target.

Velero backs up Kubernetes objects through the API, not etcd itself; a kubeadm upgrade (and a
lost control plane) wants an etcd snapshot. The Job runs on a control-plane node with host
networking (etcd listens on 127.0.0.1:2379 there) and reads kubeadm's etcd client certificate
from the host (`/etc/kubernetes/pki/etcd`, only that folder, read-only):

1. `etcdctl snapshot save` writes the snapshot into an emptyDir;
2. `etcdutl snapshot status` verifies it (hash, revision, keys): a corrupt file fails the Job;
3. the shipping container writes its sha256 next to it and copies both to each backup target
   (`backups.targets` in cluster.yaml) with the target's own credentials file, the one Velero
   reads (AWS shared-credentials format).

The Job completes only when every step did, so a completed `etcd-snapshot` Job is the evidence
the health check (LAB-508) and `labctl upgrade plan` look for. `labctl etcd snapshot` runs the
same Job template on demand. It lives in Velero's namespace (privileged already, for the node
agent); NetworkPolicy does not apply to host-network pods.
"""

from __future__ import annotations

from typing import Any

from labctl.config.cluster import BackupTarget, ClusterConfig
from labctl.platform.objects import labels, meta, resources

Obj = dict[str, Any]

NAME = "etcd-snapshot"
NAMESPACE = "velero"
SCHEDULE = "15 1 * * *"  # daily, before the Velero schedules' default 02:00
PKI = "/etc/kubernetes/pki/etcd"
WORK = "/snapshot"
HOME = "/home/ship"
CONTROL_PLANE = "node-role.kubernetes.io/control-plane"


def _etcdctl_flags() -> list[str]:
    # kubeadm's health-check client certificate; kubeadm's etcd runs without auth, so any
    # client certificate of its CA may read (etcd "client-cert-auth").
    return [
        "--endpoints=https://127.0.0.1:2379",
        f"--cacert={PKI}/ca.crt",
        f"--cert={PKI}/healthcheck-client.crt",
        f"--key={PKI}/healthcheck-client.key",
    ]


def ship_script(targets: list[BackupTarget], work: str = WORK) -> str:
    """The shell of the shipping container: name, sha256, one copy per target.

    Path-style targets (MinIO, Garage, most NAS) get an AWS config file that says so; the
    credentials file is the target's Velero one (AWS shared-credentials format)."""
    lines = [
        "set -eu",
        'stamp="$(date -u +%Y%m%dT%H%M%SZ)"',
        "printf '[default]\\ns3 =\\n    addressing_style = path\\n' > \"$HOME/path-style\"",
        f'cd {work} && mv etcd.db "etcd-$stamp.db"',
        'sha256sum "etcd-$stamp.db" > "etcd-$stamp.db.sha256"',
        'echo "sha256 $(cut -d" " -f1 "etcd-$stamp.db.sha256") etcd-$stamp.db"',
    ]
    for target in targets:
        prefix = f"{target.prefix.strip('/')}/etcd" if target.prefix else "etcd"
        url = f"s3://{target.bucket}/{prefix}/"
        env = f"AWS_SHARED_CREDENTIALS_FILE=/credentials/{target.name}/{target.credentials.key}"
        if target.path_style:
            env += ' AWS_CONFIG_FILE="$HOME/path-style"'
        copy = (
            f"{env} aws --region {target.region} --endpoint-url {target.endpoint} s3 cp "
            f'"etcd-$stamp.db{{}}" {url}'
        )
        lines += [
            f"for suffix in '' .sha256; do {copy.format('$suffix')}; done",
            f'echo "shipped to {target.name} {url}etcd-$stamp.db"',
        ]
    return "\n".join(lines) + "\n"


def pod_spec(config: ClusterConfig) -> Obj:
    targets = config.backups.targets
    volumes: list[Obj] = [
        {"name": "etcd-pki", "hostPath": {"path": PKI, "type": "Directory"}},
        {"name": "snapshot", "emptyDir": {"sizeLimit": "8Gi"}},
    ]
    mounts: list[Obj] = [{"name": "snapshot", "mountPath": WORK}]
    ship_mounts = list(mounts)
    for target in targets:
        volume = f"credentials-{target.name}"
        volumes.append({"name": volume, "secret": {"secretName": target.credentials.name}})
        ship_mounts.append(
            {"name": volume, "mountPath": f"/credentials/{target.name}", "readOnly": True}
        )
    pki: Obj = {"name": "etcd-pki", "mountPath": PKI, "readOnly": True}
    # Root, for the key files (root's, mode 0600) and etcdctl's 0600 snapshot; nothing else.
    root = {
        "runAsUser": 0,
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    small = resources("50m", "64Mi", cpu_limit="1", memory_limit="256Mi")
    return {
        "hostNetwork": True,
        "dnsPolicy": "ClusterFirstWithHostNet",
        "nodeSelector": {CONTROL_PLANE: ""},
        "tolerations": [{"key": CONTROL_PLANE, "operator": "Exists", "effect": "NoSchedule"}],
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        "initContainers": [
            {
                "name": "save",
                "image": config.images.etcd,  # etcdctl, etcdutl; distroless: no shell
                "command": ["etcdctl", *_etcdctl_flags(), "snapshot", "save", f"{WORK}/etcd.db"],
                "volumeMounts": [pki, *mounts],
                "securityContext": root,
                "resources": small,
            },
            {
                "name": "verify",
                "image": config.images.etcd,  # etcdctl, etcdutl; distroless: no shell
                "command": ["etcdutl", "snapshot", "status", f"{WORK}/etcd.db", "-w", "json"],
                "volumeMounts": mounts,
                "securityContext": root,
                "resources": small,
            },
        ],
        "containers": [
            {
                "name": "ship",
                "image": config.images.aws_cli,
                "command": ["/bin/sh", "-c", ship_script(targets)],
                # aws writes its cache below HOME; the root file system is read-only.
                "env": [{"name": "HOME", "value": HOME}],
                "volumeMounts": [*ship_mounts, {"name": "home", "mountPath": HOME}],
                "securityContext": root,
                # aws s3 cp uploads in parts, a few at a time
                "resources": resources("100m", "128Mi", cpu_limit="1", memory_limit="512Mi"),
            }
        ],
        "volumes": [*volumes, {"name": "home", "emptyDir": {}}],
    }


def job_template(config: ClusterConfig) -> Obj:
    return {
        "metadata": {"labels": {"app.kubernetes.io/name": NAME}},
        "spec": {
            "backoffLimit": 1,
            "activeDeadlineSeconds": 1800,
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": NAME}},
                "spec": pod_spec(config),
            },
        },
    }


def manifests(config: ClusterConfig) -> list[Obj]:
    return [
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": meta(NAME, NAMESPACE, labels=labels(NAME)),
            "spec": {
                "schedule": SCHEDULE,
                "concurrencyPolicy": "Forbid",
                # Three days of evidence for LAB-508 and `labctl upgrade plan`.
                "successfulJobsHistoryLimit": 3,
                "failedJobsHistoryLimit": 3,
                "jobTemplate": job_template(config),
            },
        }
    ]
