"""TaskApp: backend and frontend Deployments with HPAs, PostgreSQL as a StatefulSet, the route,
PDBs that can never block a drain, and NetworkPolicies that allow only the paths it uses.

The backend reads database credentials from `/vault/secrets/db-creds`, which Vault Agent renders
as `export DATABASE_USER=...` / `export DATABASE_PASSWORD=...` lines and re-renders on rotation
(src/taskapp/credentials.py re-reads it). Settings are `TASKAPP_*` variables
(src/taskapp/settings.py). The frontend is nginx serving TaskApp's packaged static files, which
an init container copies out of the TaskApp image.

The seed's PDB `minAvailable: 1` on a one-replica PostgreSQL blocked every drain; every PDB
here is `maxUnavailable: 1`.
"""

from __future__ import annotations

from labctl.config.cluster import Autoscaling, ClusterConfig
from labctl.platform import certs, gateway, netpol, vault, vault_config
from labctl.platform.component import Component, Wave
from labctl.platform.longhorn import STORAGE_CLASS
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
BACKEND = "taskapp-backend"
FRONTEND = "taskapp-frontend"
POSTGRES = "postgres"
BACKEND_PORT = 8000
FRONTEND_PORT = 8080
VAULT_CA_SECRET = "taskapp-vault-ca"
VAULT_TOKEN_VOLUME = "vault-token"
VAULT_AUDIENCE = vault_config.AUDIENCE
FRONTEND_UID = 10101  # nginx-unprivileged runs as any UID when it writes only to /tmp
CREDS_FILE = "/vault/secrets/db-creds"
CREDS_TEMPLATE = (
    '{{- with secret "database/creds/' + vault_config.ROLE + '" -}}\n'
    'export DATABASE_USER="{{ .Data.username }}"\n'
    'export DATABASE_PASSWORD="{{ .Data.password }}"\n'
    "{{- end }}\n"
)
NGINX_CONF = f"""\
server {{
    listen {FRONTEND_PORT};
    server_tokens off;
    root /usr/share/nginx/html;
    location = /healthz {{ access_log off; return 200 "ok\\n"; }}
    location = /readyz {{ access_log off; return 200 "ok\\n"; }}
    location / {{ try_files $uri /index.html; }}
}}
"""
COPY_STATIC = (
    "import pathlib, shutil, taskapp; "
    "shutil.copytree(pathlib.Path(taskapp.__file__).parent / 'static', '/html', dirs_exist_ok=True)"
)
# Owner of the application's tables; dynamic Vault users are members (vault_config.CREATION).
INIT_SQL = f"""\
CREATE ROLE {vault_config.OWNER_ROLE} NOLOGIN;
ALTER DATABASE "{{database}}" OWNER TO {vault_config.OWNER_ROLE};
ALTER SCHEMA public OWNER TO {vault_config.OWNER_ROLE};
"""


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


def vault_annotations() -> dict[str, str]:
    prefix = "vault.hashicorp.com/"
    return {
        prefix + "agent-inject": "true",
        prefix + "role": vault_config.ROLE,
        prefix + "service": vault.ACTIVE_ADDR,
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
                    "annotations": vault_annotations(),
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
                            "args": [
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
                    "initContainers": [
                        {
                            "name": "static-files",
                            "image": config.images.taskapp,
                            "imagePullPolicy": "IfNotPresent",
                            "command": ["python", "-c", COPY_STATIC],
                            "resources": resources("50m", "64Mi", "200m", "128Mi"),
                            "securityContext": restricted_container_security(),
                            "volumeMounts": [{"name": "html", "mountPath": "/html"}],
                        }
                    ],
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
                            "volumeMounts": [
                                {
                                    "name": "html",
                                    "mountPath": "/usr/share/nginx/html",
                                    "readOnly": True,
                                },
                                {
                                    "name": "nginx-conf",
                                    "mountPath": "/etc/nginx/conf.d",
                                    "readOnly": True,
                                },
                                tmp_mount(),
                            ],
                        }
                    ],
                    "volumes": [
                        {"name": "html", "emptyDir": {"sizeLimit": "16Mi"}},
                        {"name": "nginx-conf", "configMap": {"name": f"{FRONTEND}-nginx"}},
                        {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
                    ],
                },
            },
        },
    }


def postgres(config: ClusterConfig) -> Obj:
    db = config.taskapp.database
    app = selector(POSTGRES)
    checkpoint = '["/bin/sh", "-c", "psql -U postgres -d ' + db.name + ' -c CHECKPOINT"]'
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": meta(POSTGRES, NAMESPACE, labels=_app_labels(POSTGRES, "database")),
        "spec": {
            "replicas": 1,
            "serviceName": f"{POSTGRES}-headless",
            "selector": {"matchLabels": app},
            "template": {
                "metadata": {
                    "labels": {**_app_labels(POSTGRES, "database"), **app},
                    "annotations": {
                        # Velero's file-system backup copies the volume after a checkpoint.
                        "backup.velero.io/backup-volumes": "data",
                        "pre.hook.backup.velero.io/container": POSTGRES,
                        "pre.hook.backup.velero.io/command": checkpoint,
                    },
                },
                "spec": {
                    "serviceAccountName": POSTGRES,
                    "automountServiceAccountToken": False,
                    "securityContext": restricted_pod_security(70),  # the alpine image's postgres
                    "terminationGracePeriodSeconds": 60,
                    "containers": [
                        {
                            "name": POSTGRES,
                            "image": config.images.postgres,
                            "imagePullPolicy": "IfNotPresent",
                            "env": [
                                {"name": "POSTGRES_DB", "value": db.name},
                                {"name": "POSTGRES_USER", "value": "postgres"},
                                {
                                    "name": "POSTGRES_PASSWORD_FILE",
                                    "value": f"/etc/postgres-admin/{db.admin_password.key}",
                                },
                                {"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"},
                            ],
                            "ports": [
                                {"name": "postgres", "containerPort": 5432, "protocol": "TCP"}
                            ],
                            "startupProbe": _pg_probe(db.name, period=5, failures=60),
                            "livenessProbe": _pg_probe(db.name, period=10, failures=6),
                            "readinessProbe": _pg_probe(db.name, period=5, failures=3),
                            "resources": resources("250m", "512Mi", "1", "1Gi"),
                            "securityContext": restricted_container_security(),
                            "volumeMounts": [
                                {"name": "data", "mountPath": "/var/lib/postgresql/data"},
                                {"name": "run", "mountPath": "/var/run/postgresql"},
                                tmp_mount(),
                                {
                                    "name": "init",
                                    "mountPath": "/docker-entrypoint-initdb.d",
                                    "readOnly": True,
                                },
                                {
                                    "name": "admin",
                                    "mountPath": "/etc/postgres-admin",
                                    "readOnly": True,
                                },
                            ],
                        }
                    ],
                    "volumes": [
                        {"name": "run", "emptyDir": {"sizeLimit": "16Mi"}},
                        {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}},
                        {"name": "init", "configMap": {"name": f"{POSTGRES}-init"}},
                        {
                            "name": "admin",
                            "secret": {
                                "secretName": db.admin_password.name,
                                "items": [
                                    {"key": db.admin_password.key, "path": db.admin_password.key}
                                ],
                            },
                        },
                    ],
                },
            },
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "data", "labels": _app_labels(POSTGRES, "database")},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "storageClassName": STORAGE_CLASS,
                        "resources": {"requests": {"storage": db.storage_size}},
                    },
                }
            ],
        },
    }


def _pg_probe(database: str, period: int, failures: int) -> Obj:
    return {
        "exec": {"command": ["pg_isready", "-U", "postgres", "-d", database, "-h", "127.0.0.1"]},
        "periodSeconds": period,
        "timeoutSeconds": 5,
        "failureThreshold": failures,
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


def network_policies() -> list[Obj]:
    def allow(
        name: str, pods: str, ingress: list[Obj] | None = None, egress: list[Obj] | None = None
    ) -> Obj:
        spec: Obj = {"podSelector": {"matchLabels": selector(pods)}, "policyTypes": []}
        if ingress is not None:
            spec["policyTypes"].append("Ingress")
            spec["ingress"] = ingress
        if egress is not None:
            spec["policyTypes"].append("Egress")
            spec["egress"] = egress
        return netpol.policy(name, NAMESPACE, spec)

    def from_ns(ns: str) -> Obj:
        return {"namespaceSelector": {"matchLabels": {netpol.NS_LABEL: ns}}}

    def tcp(number: int) -> list[Obj]:
        return [{"protocol": "TCP", "port": number}]

    base = netpol.policies(NAMESPACE, netpol.Traffic(same_namespace=False))
    return [
        *base,
        allow(
            "allow-backend-ingress",
            BACKEND,
            ingress=[
                {
                    "from": [from_ns("nginx-gateway"), from_ns("monitoring")],
                    "ports": tcp(BACKEND_PORT),
                }
            ],
        ),
        allow(
            "allow-backend-egress",
            BACKEND,
            egress=[
                {"to": [{"podSelector": {"matchLabels": selector(POSTGRES)}}], "ports": tcp(5432)},
                {"to": [from_ns(vault.NAMESPACE)], "ports": tcp(8200)},
            ],
        ),
        allow(
            "allow-frontend-ingress",
            FRONTEND,
            ingress=[{"from": [from_ns("nginx-gateway")], "ports": tcp(FRONTEND_PORT)}],
        ),
        allow(
            "allow-postgres-ingress",
            POSTGRES,
            ingress=[
                {
                    "from": [
                        {"podSelector": {"matchLabels": selector(BACKEND)}},
                        from_ns(vault.NAMESPACE),
                    ],
                    "ports": tcp(5432),
                }
            ],
        ),
    ]


def manifests(config: ClusterConfig) -> list[Obj]:
    db = config.taskapp.database
    return [
        namespace(NAMESPACE, "restricted"),
        service_account(BACKEND, NAMESPACE),
        service_account(FRONTEND, NAMESPACE),
        service_account(POSTGRES, NAMESPACE),
        config_map(f"{FRONTEND}-nginx", NAMESPACE, {"default.conf": NGINX_CONF}),
        config_map(
            f"{POSTGRES}-init", NAMESPACE, {"10-owner-role.sql": INIT_SQL.format(database=db.name)}
        ),
        certs.internal_certificate(VAULT_CA_SECRET, NAMESPACE, [f"{BACKEND}.{NAMESPACE}.svc"]),
        postgres(config),
        backend(config),
        frontend(config),
        service(POSTGRES, NAMESPACE, selector(POSTGRES), [port("postgres", 5432, "postgres")]),
        service(
            f"{POSTGRES}-headless",
            NAMESPACE,
            selector(POSTGRES),
            [port("postgres", 5432, "postgres")],
            clusterIP="None",
        ),
        service(BACKEND, NAMESPACE, selector(BACKEND), [port("http", BACKEND_PORT, "http")]),
        service(FRONTEND, NAMESPACE, selector(FRONTEND), [port("http", FRONTEND_PORT, "http")]),
        hpa(BACKEND, config.taskapp.backend),
        hpa(FRONTEND, config.taskapp.frontend),
        pdb(BACKEND, NAMESPACE, selector(BACKEND)),
        pdb(FRONTEND, NAMESPACE, selector(FRONTEND)),
        pdb(POSTGRES, NAMESPACE, selector(POSTGRES)),
        service_monitor(),
        gateway.route(
            APP,
            NAMESPACE,
            list(config.taskapp.hosts),
            [("/api", BACKEND, BACKEND_PORT), ("/", FRONTEND, FRONTEND_PORT)],
        ),
        *network_policies(),
    ]


def component(config: ClusterConfig) -> Component:
    return Component(
        name="taskapp",
        namespace=NAMESPACE,
        tier="applications",
        wave=Wave.APPLICATIONS,
        description="TaskApp: backend, frontend, PostgreSQL, HPAs, PDBs, network policies",
        manifests=manifests(config),
    )
