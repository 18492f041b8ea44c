"""What `labctl bootstrap` applies before Argo CD exists: an install Job that runs `helm` once
inside the cluster (the pinned argo-cd chart with the same values Argo CD later manages itself
with), then the root AppProject and the root Application.

A Helm chart cannot be rendered offline here (no chart archive, no network at render time), so
the chart is installed by a Job with a pinned Helm image; the user's laptop needs only labctl.
"""

from __future__ import annotations

import yaml

from labctl.config.cluster import ClusterConfig
from labctl.platform.component import ARGO_CD
from labctl.platform.components import argocd
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
                            "env": [
                                {"name": "HELM_CACHE_HOME", "value": f"{TMP_DIR}/helm/cache"},
                                {"name": "HELM_CONFIG_HOME", "value": f"{TMP_DIR}/helm/config"},
                                {"name": "HELM_DATA_HOME", "value": f"{TMP_DIR}/helm/data"},
                            ],
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
    binding: Obj = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": meta(INSTALLER, labels=labels(INSTALLER, "bootstrap")),
        # Installing CRDs and cluster roles needs cluster-admin; bootstrap deletes this binding
        # as soon as Argo CD runs.
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": "cluster-admin",
        },
        "subjects": [{"kind": "ServiceAccount", "name": INSTALLER, "namespace": NAMESPACE}],
    }
    return [
        namespace(NAMESPACE, "baseline"),
        service_account(INSTALLER, NAMESPACE, automount=True),
        binding,
        config_map(f"{INSTALLER}-values", NAMESPACE, {VALUES_FILE: values}),
        job,
    ]


def root(config: ClusterConfig) -> list[Obj]:
    return [argocd.root_project_bootstrap(config), argocd.root_application(config)]
