"""What `labctl bootstrap` applies before Argo CD exists: with Calico as the CNI, a Job that
installs it first (no pod but a host-network one starts before a CNI runs); an install Job that
runs `helm` once inside the cluster (the pinned argo-cd chart with the same values Argo CD later
manages itself with), then the root AppProject and the root Application.

A Helm chart cannot be rendered offline here (no chart archive, no network at render time), so
the chart is installed by a Job with a pinned Helm image; the user's laptop needs only labctl.
"""

from __future__ import annotations

import yaml

from labctl.config.cluster import ClusterConfig
from labctl.platform.component import ARGO_CD, CALICO_CRDS, TIGERA_OPERATOR
from labctl.platform.components import argocd, calico
from labctl.platform.objects import (
    TMP_DIR,
    Obj,
    config_map,
    labels,
    meta,
    namespace,
    resources,
    restricted_container_security,
    restricted_pod_security,
    service_account,
    tmp_mount,
)

INSTALLER = "argocd-installer"
NAMESPACE = argocd.NAMESPACE
VALUES_FILE = "values.yaml"
CALICO_INSTALLER = "calico-installer"
CRDS_DIR = f"{TMP_DIR}/crds"
HELM_HOME = [
    {"name": "HELM_CACHE_HOME", "value": f"{TMP_DIR}/helm/cache"},
    {"name": "HELM_CONFIG_HOME", "value": f"{TMP_DIR}/helm/config"},
    {"name": "HELM_DATA_HOME", "value": f"{TMP_DIR}/helm/data"},
]


def helm_args() -> list[str]:
    return [
        "upgrade",
        "--install",
        "argocd",
        ARGO_CD.name,
        "--repo",
        ARGO_CD.repo_url,
        "--version",
        ARGO_CD.version,
        "--namespace",
        NAMESPACE,
        "--values",
        f"/values/{VALUES_FILE}",
        "--wait",
        "--timeout",
        "10m",
    ]


def install(config: ClusterConfig) -> list[Obj]:
    values = yaml.safe_dump(argocd.values(config), sort_keys=True)
    job: Obj = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta(INSTALLER, NAMESPACE, labels=labels(INSTALLER, "bootstrap")),
        "spec": {
            "backoffLimit": 3,
            "activeDeadlineSeconds": 1200,
            "ttlSecondsAfterFinished": 86400,
            "template": {
                "metadata": {"labels": labels(INSTALLER, "bootstrap")},
                "spec": {
                    "restartPolicy": "Never",
                    "serviceAccountName": INSTALLER,
                    "automountServiceAccountToken": True,
                    "securityContext": restricted_pod_security(),
                    "containers": [
                        {
                            "name": "helm",
                            "image": config.images.helm,
                            "imagePullPolicy": "IfNotPresent",
                            "args": helm_args(),
                            "env": HELM_HOME,
                            "resources": resources("100m", "128Mi", "1", "512Mi"),
                            "securityContext": restricted_container_security(),
                            "volumeMounts": [
                                {"name": "values", "mountPath": "/values", "readOnly": True},
                                tmp_mount(),
                            ],
                        }
                    ],
                    "volumes": [
                        {"name": "values", "configMap": {"name": f"{INSTALLER}-values"}},
                        {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}},
                    ],
                },
            },
        },
    }
    return [
        namespace(NAMESPACE, "baseline"),
        service_account(INSTALLER, NAMESPACE, automount=True),
        _cluster_admin(INSTALLER, NAMESPACE),
        config_map(f"{INSTALLER}-values", NAMESPACE, {VALUES_FILE: values}),
        job,
    ]


def _cluster_admin(account: str, ns: str) -> Obj:
    # Installing CRDs and cluster roles needs cluster-admin; bootstrap deletes this binding as
    # soon as the install is done.
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": meta(account, labels=labels(account, "bootstrap")),
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": "cluster-admin",
        },
        "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": ns}],
    }


def _container(name: str, image: str, args: list[str], mounts: list[Obj]) -> Obj:
    return {
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "args": args,
        "env": HELM_HOME,
        "resources": resources("100m", "128Mi", "1", "512Mi"),
        "securityContext": restricted_container_security(),
        "volumeMounts": [*mounts, tmp_mount()],
    }


def calico_install(config: ClusterConfig) -> list[Obj]:
    """Calico before anything else: CRDs server-side (some exceed client-side apply's limit),
    then the operator chart. The pod runs on the host network, tolerates every taint (nodes are
    not ready without a CNI) and resolves names with the node's resolver (no cluster DNS yet).
    """
    ns = calico.NAMESPACE
    crds = [
        "template",
        calico.CRDS_RELEASE,
        CALICO_CRDS.name,
        "--repo",
        CALICO_CRDS.repo_url,
        "--version",
        CALICO_CRDS.version,
        "--output-dir",
        CRDS_DIR,
    ]
    apply = ["apply", "--server-side", "--force-conflicts", "--recursive", "-f", CRDS_DIR]
    operator = [
        "upgrade",
        "--install",
        calico.RELEASE,
        TIGERA_OPERATOR.name,
        "--repo",
        TIGERA_OPERATOR.repo_url,
        "--version",
        TIGERA_OPERATOR.version,
        "--namespace",
        ns,
        "--values",
        f"/values/{VALUES_FILE}",
        "--wait",
        "--timeout",
        "10m",
    ]
    values_mount = {"name": "values", "mountPath": "/values", "readOnly": True}
    job: Obj = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta(CALICO_INSTALLER, ns, labels=labels(CALICO_INSTALLER, "bootstrap")),
        "spec": {
            "backoffLimit": 3,
            "activeDeadlineSeconds": 1200,
            "ttlSecondsAfterFinished": 86400,
            "template": {
                "metadata": {"labels": labels(CALICO_INSTALLER, "bootstrap")},
                "spec": {
                    "restartPolicy": "Never",
                    "serviceAccountName": CALICO_INSTALLER,
                    "automountServiceAccountToken": True,
                    "hostNetwork": True,
                    "dnsPolicy": "Default",
                    "tolerations": [{"operator": "Exists"}],
                    "securityContext": restricted_pod_security(),
                    "initContainers": [
                        _container("crds", config.images.helm, crds, []),
                        _container("apply-crds", config.images.kubectl, apply, []),
                    ],
                    "containers": [
                        _container("operator", config.images.helm, operator, [values_mount])
                    ],
                    "volumes": [
                        {"name": "values", "configMap": {"name": f"{CALICO_INSTALLER}-values"}},
                        {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}},
                    ],
                },
            },
        },
    }
    values = yaml.safe_dump(calico.values(config), sort_keys=True)
    return [
        namespace(ns, "privileged"),
        service_account(CALICO_INSTALLER, ns, automount=True),
        _cluster_admin(CALICO_INSTALLER, ns),
        config_map(f"{CALICO_INSTALLER}-values", ns, {VALUES_FILE: values}),
        job,
    ]


def root(config: ClusterConfig) -> list[Obj]:
    return [argocd.root_project_bootstrap(config), argocd.root_application(config)]
