"""The reads a troubleshooting view needs: objects as dicts, events sorted, previous logs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from labctl.cluster.client import proxy_get

if TYPE_CHECKING:
    from lightkube import Client

Obj = dict[str, Any]
LOG_LINES = 30


def get(client: Client, kind: str, name: str, namespace: str | None = None) -> Obj:
    """One object as the API serves it (raises lightkube's ApiError)."""
    from labctl.actions.kube import get_json

    return get_json(client, kind, name, namespace)


def list_dicts(
    client: Client, kind: str, namespace: str = "*", fields: dict[str, str] | None = None
) -> list[Obj]:
    from labctl.actions.kube import list_json

    return list_json(client, kind, namespace, fields=fields)


def list_or_why(
    client: Client, kind: str, namespace: str = "*", fields: dict[str, str] | None = None
) -> list[Obj] | str:
    """The objects, or why they could not be read (a kind not served, 403): a view shows what
    it could read and says what it could not, rather than failing whole."""
    from lightkube import ApiError

    from labctl.actions.kube import api_error_message, status_code

    try:
        return list_dicts(client, kind, namespace, fields)
    except ApiError as error:
        served = " (is its CRD installed?)" if status_code(error) == 404 else ""
        return f"could not be read: {api_error_message(error)}{served}"


def events_for(client: Client, kind: str, name: str, namespace: str | None) -> list[Obj]:
    """Events about one object, oldest first (kubectl get events --sort-by=.lastTimestamp)."""
    fields = {"involvedObject.kind": kind, "involvedObject.name": name}
    found = list_dicts(client, "Event", namespace or "*", fields=fields)
    return sorted(found, key=event_time)


def event_time(event: Obj) -> str:
    return str(
        event.get("lastTimestamp")
        or event.get("eventTime")
        or (event.get("metadata") or {}).get("creationTimestamp")
        or ""
    )


def event_lines(events: list[Obj], now: datetime, limit: int = 20) -> list[str]:
    from labctl.troubleshoot.view import table

    rows = [["LAST SEEN", "TYPE", "REASON", "COUNT", "MESSAGE"]]
    for event in events[-limit:]:
        rows.append(
            [
                age(event_time(event), now),
                str(event.get("type", "")),
                str(event.get("reason", "")),
                str(event.get("count", 1)),
                str(event.get("message", "")).strip(),
            ]
        )
    return table(rows) if events else []


def logs(
    client: Client, namespace: str, pod: str, container: str, previous: bool, lines: int = LOG_LINES
) -> list[str] | str:
    """The last log lines of a container (its previous instance with `previous`), or why not."""
    query = urlencode(
        {"container": container, "tailLines": lines, **({"previous": "true"} if previous else {})}
    )
    response = proxy_get(client, f"/api/v1/namespaces/{namespace}/pods/{pod}/log?{query}")
    if response.status != 200:
        try:
            return str(response.json().get("message") or f"HTTP {response.status}")
        except ValueError:
            return f"HTTP {response.status}"
    return response.body.decode("utf-8", "replace").splitlines()[-lines:]


def age(timestamp: str | None, now: datetime) -> str:
    from labctl.cluster.snapshot import parse_time

    moment = parse_time(timestamp)
    if moment is None:
        return "?"
    seconds = max(0, int((now - moment).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def now() -> datetime:
    return datetime.now(UTC)
