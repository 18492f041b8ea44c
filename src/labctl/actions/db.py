"""Where `labctl db` and the drill find PostgreSQL: a DSN, or a pod reached through exec.

`--dsn` (or LABCTL_DB_DSN) gives a `LocalTransport`; `--pod` or a label selector in a namespace
gives a `PodExecTransport` that runs the client tools inside the PostgreSQL pod, as the runbook's
`kubectl exec deploy/postgres -- pg_dump` did, without a password.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labctl.db.errors import DbError, DbUnreachable

if TYPE_CHECKING:
    from lightkube import Client

    from labctl.db.fingerprint import Fingerprint
    from labctl.db.transport import Transport

DSN_ENV = "LABCTL_DB_DSN"
# What `labctl render` deploys (platform/components/taskapp.py): StatefulSet `postgres` in
# `taskapp`, its superuser `postgres` over the local socket, database `taskapp`. The seed runbook's
# deploy/postgres with user taskapp and database taskappdb is reached with flags.
DEFAULT_SELECTOR = "app.kubernetes.io/name=postgres"
DEFAULT_DATABASE = "taskapp"
DEFAULT_USER = "postgres"


@dataclass(frozen=True)
class PodTarget:
    """A PostgreSQL pod: by name, or the first ready pod matching `selector`."""

    namespace: str
    pod: str | None = None
    selector: str = DEFAULT_SELECTOR
    container: str | None = None
    database: str = DEFAULT_DATABASE
    user: str = DEFAULT_USER


def local_transport(
    dsn: str,
    bin_dir: Path | None = None,
    connect_timeout: float = 10.0,
    timeout: float | None = None,
) -> Transport:
    """The local client tools on `dsn`; `connect_timeout` per connection, `timeout` per tool run
    (None: no limit)."""
    from labctl.db.dsn import Dsn, mask
    from labctl.db.transport import LocalTransport

    # libpq takes whole seconds and treats 1 as 2; round up so 0.5 does not mean "forever".
    seconds = max(1, math.ceil(connect_timeout))
    try:
        return LocalTransport(Dsn.parse(dsn), bin_dir, seconds, timeout)
    except ValueError as error:
        raise DbUnreachable(f"invalid --dsn {mask(dsn)}: {error}") from None


def pod_transport(
    client: Client, target: PodTarget, namespace: str | None = None, timeout: float | None = None
) -> Transport:
    """An exec transport into `target`'s pod (in `namespace` when given, e.g. a drill copy);
    `timeout` bounds each tool run (None: no limit)."""
    from labctl.db.transport import PodExecTransport

    where = namespace or target.namespace
    pod = target.pod or find_pod(client, where, target.selector)
    return PodExecTransport(
        client, pod, where, target.database, target.user, target.container, timeout
    )


def find_pod(client: Client, namespace: str, selector: str) -> str:
    from lightkube.resources.core_v1 import Pod

    labels: dict[str, Any] = dict(term.split("=", 1) for term in selector.split(",") if "=" in term)
    pods = list(client.list(Pod, namespace=namespace, labels=labels))
    running = [p for p in pods if p.status and p.status.phase == "Running"]
    if not running:
        raise DbError(
            f"no running PostgreSQL pod with labels {selector} in namespace {namespace} "
            "(set --pod or --selector)"
        )
    return str(running[0].metadata.name)  # type: ignore[union-attr]


def pod_probe(client: Client, target: PodTarget) -> Callable[[str], Fingerprint]:
    """A drill/backup probe: fingerprint the database of the pod in a given namespace."""

    def probe(namespace: str) -> Fingerprint:
        from labctl.db.fingerprint import fingerprint

        return fingerprint(pod_transport(client, target, namespace))

    return probe
