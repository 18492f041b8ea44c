"""TaskApp: backend and frontend Deployments with HPAs, PostgreSQL (taskapp_db.py), the route,
PDBs that can never block a drain, and NetworkPolicies that allow only the paths it uses.

The backend reads database credentials from `/vault/secrets/db-creds`, which Vault Agent renders
as `export DATABASE_USER=...` / `export DATABASE_PASSWORD=...` lines and re-renders on rotation
(src/taskapp/credentials.py re-reads it). Settings are `TASKAPP_*` variables
(src/taskapp/settings.py). The frontend is TaskApp's nginx image (deploy/taskapp/), serving the
static files on 8080 with /healthz and /readyz.

The seed's PDB `minAvailable: 1` on a one-replica PostgreSQL blocked every drain; every PDB
here is `maxUnavailable: 1`.
"""

from __future__ import annotations

from labctl.config.cluster import Autoscaling, ClusterConfig
from labctl.platform.component import Component, Wave
from labctl.platform.components import certs, gateway, taskapp_network, vault, vault_config
from labctl.platform.components.taskapp_db import POSTGRES, init_scripts, postgres
from labctl.platform.components.taskapp_network import network_policies
from labctl.platform.objects import (
    ALL_INTERFACES,
    Obj,
    config_map,
    http_probe,
    labels,
    meta,
    namespace,
    pdb,
    port,
    resources,
    restricted_container_security,
    restricted_pod_security,
    selector,
    service,
    service_account,
    tmp_mount,
)

NAMESPACE = "taskapp"
APP = "taskapp"
BACKEND = taskapp_network.BACKEND
FRONTEND = taskapp_network.FRONTEND
BACKEND_PORT = taskapp_network.BACKEND_PORT
FRONTEND_PORT = taskapp_network.FRONTEND_PORT
VAULT_CA_SECRET = "taskapp-vault-ca"
VAULT_TOKEN_VOLUME = "vault-token"
VAULT_AUDIENCE = vault_config.AUDIENCE
# What Cloudflare Access adds to a signed-in request (and a LAN client could forge).
CLOUDFLARE_ACCESS_HEADERS = ("Cf-Access-Authenticated-User-Email", "Cf-Access-Jwt-Assertion")
# The frontend image (deploy/taskapp/frontend.Dockerfile) is nginx-unprivileged with the static
# files and config baked in; it writes only to /tmp, so any UID serves it.
FRONTEND_UID = 10101
CREDS_FILE = "/vault/secrets/db-creds"
CREDS_TEMPLATE = (
    '{{- with secret "database/creds/' + vault_config.ROLE + '" -}}\n'
    'export DATABASE_USER="{{ .Data.username }}"\n'
    'export DATABASE_PASSWORD="{{ .Data.password }}"\n'
    "{{- end }}\n"
)


def _app_labels(name: str, tier: str) -> dict[str, str]:
    return {**labels(name, tier), "app.kubernetes.io/instance": APP}


def _spread(app: dict[str, str]) -> list[Obj]:
    return [
        {
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": app},
        }
    ]


def vault_annotations(config: ClusterConfig) -> dict[str, str]:
    prefix = "vault.hashicorp.com/"
    return {
        prefix + "agent-inject": "true",
        prefix + "role": vault_config.ROLE,
        prefix + "service": vault.active_addr(config),
        prefix + "tls-secret": VAULT_CA_SECRET,
        prefix + "ca-cert": "/vault/tls/ca.crt",
        prefix + "agent-service-account-token-volume-name": VAULT_TOKEN_VOLUME,
        prefix + "agent-inject-secret-db-creds": f"database/creds/{vault_config.ROLE}",
        prefix + "agent-inject-template-db-creds": CREDS_TEMPLATE,
        prefix + "agent-requests-cpu": "25m",
        prefix + "agent-requests-mem": "32Mi",
        prefix + "agent-limits-cpu": "100m",
        prefix + "agent-limits-mem": "64Mi",
    }


def _backend_env(config: ClusterConfig) -> list[Obj]:
    db = config.taskapp.database
    env = [
        {
            "name": "TASKAPP_DATABASE_URL",
            "value": f"postgresql://{POSTGRES}.{NAMESPACE}.svc.cluster.local:5432/{db.name}",
        },
        {"name": "TASKAPP_DATABASE_CREDENTIALS_FILE", "value": CREDS_FILE},
        {"name": "TASKAPP_SERVE_FRONTEND", "value": "false"},
        {"name": "TASKAPP_LOG_LEVEL", "value": "INFO"},
    ]
    if config.taskapp.identity_header:
        env.append({"name": "TASKAPP_IDENTITY_HEADER", "value": config.taskapp.identity_header})
    return env


def backend(config: ClusterConfig) -> Obj:
    app = selector(BACKEND)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(BACKEND, NAMESPACE, labels=_app_labels(BACKEND, "backend")),
        # No `replicas`: the HPA owns it (Argo CD would otherwise reset it on every sync).
        "spec": {
            "selector": {"matchLabels": app},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
            },
            "template": {
                "metadata": {
                    "labels": {**_app_labels(BACKEND, "backend"), **app},
                    "annotations": vault_annotations(config),
                },
                "spec": {
                    "serviceAccountName": BACKEND,
                    # Only Vault Agent needs a token: a projected one, for Vault's audience.
                    "automountServiceAccountToken": False,
                    "securityContext": restricted_pod_security(),
                    "topologySpreadConstraints": _spread(app),
                    "terminationGracePeriodSeconds": 30,
                    "containers": [
                        {
                            "name": "backend",
                            "image": config.images.taskapp,
                            "imagePullPolicy": "IfNotPresent",
                            # `command`, not `args`: whatever the image's entrypoint is.
                            "command": [
                                "taskapp",
                                "serve",
                                "--host",
                                ALL_INTERFACES,
                                "--port",
                                str(BACKEND_PORT),
                            ],
                            "env": _backend_env(config),
                            "ports": [
                                {"name": "http", "containerPort": BACKEND_PORT, "protocol": "TCP"}
                            ],
                            "startupProbe": http_probe("/healthz", "http", period=5, failures=24),
                            "livenessProbe": http_probe("/healthz", "http", period=10, failures=3),
                            "readinessProbe": http_probe("/readyz", "http", period=5, failures=3),
                            "resources": resources("100m", "192Mi", "1", "384Mi"),
                            "securityContext": restricted_container_security(),
                            "volumeMounts": [tmp_mount()],
                        }
                    ],
                    "volumes": [
                        {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
                        {
                            "name": VAULT_TOKEN_VOLUME,
                            "projected": {
                                "sources": [
                                    {
                                        "serviceAccountToken": {
                                            "path": "token",
                                            "audience": VAULT_AUDIENCE,
                                            "expirationSeconds": 3600,
                                        }
                                    }
                                ]
                            },
                        },
                    ],
                },
            },
        },
    }


def frontend(config: ClusterConfig) -> Obj:
    app = selector(FRONTEND)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(FRONTEND, NAMESPACE, labels=_app_labels(FRONTEND, "frontend")),
        "spec": {
            "selector": {"matchLabels": app},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
            },
            "template": {
                "metadata": {"labels": {**_app_labels(FRONTEND, "frontend"), **app}},
                "spec": {
                    "serviceAccountName": FRONTEND,
                    "automountServiceAccountToken": False,
                    "securityContext": restricted_pod_security(FRONTEND_UID),
                    "topologySpreadConstraints": _spread(app),
                    "containers": [
                        {
                            "name": "frontend",
                            "image": config.images.taskapp_frontend,
                            "imagePullPolicy": "IfNotPresent",
                            "ports": [
                                {"name": "http", "containerPort": FRONTEND_PORT, "protocol": "TCP"}
                            ],
                            "livenessProbe": http_probe("/healthz", "http", period=10),
                            "readinessProbe": http_probe("/readyz", "http", period=5),
                            "resources": resources("50m", "64Mi", "500m", "128Mi"),
                            "securityContext": restricted_container_security(),
                            "volumeMounts": [tmp_mount()],
                        }
                    ],
                    "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
                },
            },
        },
    }


def hpa(name: str, bounds: Autoscaling) -> Obj:
    def utilization(resource: str, target: int) -> Obj:
        return {
            "type": "Resource",
            "resource": {
                "name": resource,
                "target": {"type": "Utilization", "averageUtilization": target},
            },
        }

    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": meta(name, NAMESPACE, labels=labels(name, "autoscaler")),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": bounds.min_replicas,
            "maxReplicas": bounds.max_replicas,
            "metrics": [
                utilization("cpu", bounds.cpu_target),
                utilization("memory", bounds.memory_target),
            ],
        },
    }


def service_monitor() -> Obj:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": meta(BACKEND, NAMESPACE, labels=labels(BACKEND, "metrics")),
        "spec": {
            "selector": {"matchLabels": {"app.kubernetes.io/name": BACKEND}},
            "endpoints": [{"port": "http", "path": "/metrics", "interval": "30s"}],
        },
    }


def manifests(config: ClusterConfig) -> list[Obj]:
    return [
        service_account(BACKEND, NAMESPACE),
        service_account(FRONTEND, NAMESPACE),
        certs.internal_certificate(VAULT_CA_SECRET, NAMESPACE, [f"{BACKEND}.{NAMESPACE}.svc"]),
        backend(config),
        frontend(config),
        service(BACKEND, NAMESPACE, selector(BACKEND), [port("http", BACKEND_PORT, "http")]),
        service(FRONTEND, NAMESPACE, selector(FRONTEND), [port("http", FRONTEND_PORT, "http")]),
        hpa(BACKEND, config.taskapp.backend),
        hpa(FRONTEND, config.taskapp.frontend),
        pdb(BACKEND, NAMESPACE, selector(BACKEND)),
        pdb(FRONTEND, NAMESPACE, selector(FRONTEND)),
        service_monitor(),
        lan_route(config),
    ]


def lan_route(config: ClusterConfig) -> Obj:
    """The route on the LAN Gateway, without the identity headers.

    Anyone on the LAN can reach the Gateway and send Cloudflare Access's headers, so this
    route drops them: signed-in requests come only through the tunnel, which reaches the
    Services directly (docs/platform.md, "TaskApp through the tunnel only").
    """
    return gateway.route(
        APP,
        NAMESPACE,
        list(config.taskapp.hosts),
        [("/api", BACKEND, BACKEND_PORT), ("/", FRONTEND, FRONTEND_PORT)],
        remove_headers=identity_headers(config),
    )


def identity_headers(config: ClusterConfig) -> tuple[str, ...]:
    configured = config.taskapp.identity_header
    return tuple(sorted({*([configured] if configured else []), *CLOUDFLARE_ACCESS_HEADERS}))


def database_component(config: ClusterConfig) -> Component:
    """The namespace, its NetworkPolicies and PostgreSQL, a wave before Vault's configuration,
    which connects to the database; the backend and frontend come after it."""
    return Component(
        name="taskapp-db",
        namespace=NAMESPACE,
        tier="applications",
        wave=Wave.DATABASE,
        description="TaskApp's namespace, network policies and PostgreSQL",
        manifests=[
            namespace(NAMESPACE, "restricted"),
            service_account(POSTGRES, NAMESPACE),
            config_map(f"{POSTGRES}-init", NAMESPACE, init_scripts(config)),
            postgres(config),
            service(POSTGRES, NAMESPACE, selector(POSTGRES), [port("postgres", 5432, "postgres")]),
            service(
                f"{POSTGRES}-headless",
                NAMESPACE,
                selector(POSTGRES),
                [port("postgres", 5432, "postgres")],
                clusterIP="None",
            ),
            pdb(POSTGRES, NAMESPACE, selector(POSTGRES)),
            *network_policies(),
        ],
    )


def component(config: ClusterConfig) -> Component:
    return Component(
        name="taskapp",
        namespace=NAMESPACE,
        tier="applications",
        wave=Wave.APPLICATIONS,
        description="TaskApp: backend, frontend, HPAs, PDBs (served through the tunnel only)",
        manifests=manifests(config),
    )
