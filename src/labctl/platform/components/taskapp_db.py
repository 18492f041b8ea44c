"""TaskApp's PostgreSQL: a one-replica StatefulSet on Longhorn, its superuser password from a
Secret, and the owner role that Vault's dynamic users act as (vault_config.CREATION).
"""

from __future__ import annotations

import json

from labctl.config.cluster import ClusterConfig
from labctl.platform.components import vault_config
from labctl.platform.components.longhorn import STORAGE_CLASS
from labctl.platform.objects import (
    Obj,
    labels,
    meta,
    resources,
    restricted_container_security,
    restricted_pod_security,
    selector,
    tmp_mount,
)

NAMESPACE = "taskapp"
POSTGRES = "postgres"
DUMP_DIR = "/var/backups/postgres"
# Owner of the application's tables; dynamic Vault users are members (vault_config.CREATION).
INIT_SQL = f"""\
CREATE ROLE {vault_config.OWNER_ROLE} NOLOGIN;
ALTER DATABASE "{{database}}" OWNER TO {vault_config.OWNER_ROLE};
ALTER SCHEMA public OWNER TO {vault_config.OWNER_ROLE};
"""


# The postgres image runs /docker-entrypoint-initdb.d once, on an empty data directory, after
# 10-owner-role.sql. PGDATA is never backed up (see postgres()), so after a Velero restore the
# data directory is new while the pre-backup hook's dump is back in DUMP_DIR: load it, or the
# restored namespace (and `labctl backup drill`) would find an empty database. A fresh install
# has no dump and skips this. Privileges are left out: logins reach the tables through
# membership of the owner role, and the dump's grants name Vault's long-gone dynamic users.
# The entrypoint sources a non-executable .sh (ConfigMap files are 0644) under its own `set -e`:
# a failed pg_restore stops the first start loudly instead of serving an empty database.
RESTORE_SH = """\
dump="{dump}"
if [ -s "$dump" ]; then
  echo "initdb: restoring $dump (written by Velero's pre-backup hook)"
  pg_restore --username "${{POSTGRES_USER:-postgres}}" --dbname "{database}" \\
    --no-privileges --exit-on-error "$dump"
fi
"""


def init_scripts(config: ClusterConfig) -> dict[str, str]:
    """The ConfigMap behind /docker-entrypoint-initdb.d, run in name order on first start."""
    db = config.taskapp.database
    return {
        "10-owner-role.sql": INIT_SQL.format(database=db.name),
        "20-restore-backup.sh": RESTORE_SH.format(
            dump=f"{DUMP_DIR}/{db.name}.dump", database=db.name
        ),
    }


def _app_labels(name: str, tier: str) -> dict[str, str]:
    return {**labels(name, tier), "app.kubernetes.io/instance": "taskapp"}


def postgres(config: ClusterConfig) -> Obj:
    db = config.taskapp.database
    app = selector(POSTGRES)
    # A file-system copy of a live PGDATA is not consistent (a CHECKPOINT does not stop
    # writes), so Velero backs up a pg_dump taken by its pre-backup hook, never PGDATA itself.
    dump = f"{DUMP_DIR}/{db.name}.dump"
    dump_command = json.dumps(
        [
            "/bin/sh",
            "-c",
            f"pg_dump -U postgres -d {db.name} --format=custom -f {dump}.partial "
            f"&& mv {dump}.partial {dump}",
        ]
    )
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
                        "backup.velero.io/backup-volumes-excludes": "data,run,tmp",
                        "pre.hook.backup.velero.io/container": POSTGRES,
                        "pre.hook.backup.velero.io/command": dump_command,
                        "pre.hook.backup.velero.io/on-error": "Fail",
                        "pre.hook.backup.velero.io/timeout": "15m",
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
                                {"name": "dump", "mountPath": DUMP_DIR},
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
                        # What Velero copies: the dump of the pre-backup hook.
                        {"name": "dump", "emptyDir": {"sizeLimit": db.storage_size}},
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
