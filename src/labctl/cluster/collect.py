"""Live collection: read everything the health checks need in one parallel pass.

One paginated LIST per kind (`SNAPSHOT_KINDS`; events: warnings only), the API server's serving
certificate from a TLS handshake (`extras/apiserver/serving-certificate.json`), Vault's
`sys/health` and `sys/seal-status` per Vault pod through the pod proxy (`https:` when its
listener uses TLS), Alertmanager's `/api/v2/alerts` through the service proxy and
each node's kubelet `stats/summary` through the node proxy, all on the lightkube client's own
authenticated connection (`labctl.cluster.client`). Bodies are kept as the API server sent them
(no model round trip), so the snapshot files equal `kubectl get <resource> -A -o json`.

Every failure (403, 500, timeout, a proxy error) is recorded in `Snapshot.gaps` with its reason
and the rest carries on; the checks report what is missing as unknown. A kind the API server
does not serve (404: its CRD is not installed) is known to have no objects: it is collected
empty and listed in `Snapshot.not_served`.

Where to look (namespaces, selectors, services, ports) is `CollectSettings`, with the seed's
defaults. `rbac_rules(settings)` is the exact set of API permissions this module uses: the
in-cluster CronJob's roles are built from it, and a test holds it equal to the calls made.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from labctl.cluster.client import (
    ClusterError,
    ClusterTarget,
    connect,
    node_proxy_path,
    pod_proxy_path,
    proxy_get,
    server_url,
    service_proxy_path,
    serving_certificate,
)
from labctl.cluster.kinds import BY_RESOURCE, SNAPSHOT_KINDS, SnapshotKind
from labctl.cluster.snapshot import Obj, Snapshot

if TYPE_CHECKING:
    from lightkube import Client


@dataclass(frozen=True)
class VaultLocation:
    namespace: str = "vault"
    selector: str = "app.kubernetes.io/name=vault,component=server"
    port: int = 8200
    scheme: str = ""  # "" (http, the chart's default) or "https"


@dataclass(frozen=True)
class AlertmanagerLocation:
    namespace: str = "monitoring"
    service: str = "alertmanager-operated"
    port: int = 9093
    scheme: str = ""


@dataclass(frozen=True)
class CollectSettings:
    """Where the collector looks. Defaults follow the seed cluster (runbook.md).

    Plain dataclasses, not pydantic: `labctl health` imports this on every run.
    """

    vault: VaultLocation = field(default_factory=VaultLocation)
    alertmanager: AlertmanagerLocation = field(default_factory=AlertmanagerLocation)
    kubelet_stats: bool = True  # PVC usage; needs `get nodes/proxy`, a powerful permission
    page_size: int = 500
    workers: int = 8


@dataclass(frozen=True)
class Rule:
    """One RBAC permission the collector uses; `namespace` None means cluster-wide."""

    api_group: str
    resource: str
    verbs: tuple[str, ...]
    namespace: str | None = None


def rbac_rules(settings: CollectSettings | None = None) -> list[Rule]:
    settings = settings or CollectSettings()
    rules = [Rule(k.group, k.plural, ("list",)) for k in SNAPSHOT_KINDS]
    rules.append(Rule("", "pods/proxy", ("get",), settings.vault.namespace))
    rules.append(Rule("", "services/proxy", ("get",), settings.alertmanager.namespace))
    if settings.kubelet_stats:
        rules.append(Rule("", "nodes/proxy", ("get",)))
    return rules


class _ReadError(Exception):
    """A read failed; the message is the reason recorded in the snapshot."""


class _NotServed(Exception):
    """The API server does not serve this kind (404 on the LIST): its CRD is not installed."""


def _reason(status: int, body: bytes) -> str:
    try:
        message = json.loads(body).get("message", "")
    except (ValueError, AttributeError):
        message = body[:200].decode(errors="replace")
    phrase = {401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 429: "TooManyRequests"}
    text = f"{status} {phrase.get(status, 'error' if status < 500 else 'server error')}"
    return f"{text}: {message}" if message else text


def _get(client: Client, path: str, timeout: float) -> tuple[int, bytes]:
    import httpx2

    try:
        response = proxy_get(client, path)
    except httpx2.TimeoutException as error:
        raise _ReadError(f"timeout after {timeout:g}s") from error
    except httpx2.HTTPError as error:
        raise _ReadError(f"connection failed: {error}") from error
    return response.status, response.body


def list_all(client: Client, kind: SnapshotKind, page_size: int, timeout: float) -> list[Obj]:
    """Every object of a kind in all namespaces, page by page (limit/continue)."""
    items: list[Obj] = []
    token = ""
    while True:
        query = {"limit": str(page_size), **({"continue": token} if token else {})}
        if kind.field_selector:
            query["fieldSelector"] = kind.field_selector
        status, body = _get(client, f"{kind.list_path()}?{urlencode(query)}", timeout)
        if status == 404 and not token and kind.group:
            raise _NotServed(kind.resource)
        if status == 404 and not token:  # a core kind: this is not (all of) a Kubernetes API
            raise _ReadError(f"404 NotFound: the server does not serve {kind.list_path()}")
        if status != 200:
            raise _ReadError(_reason(status, body))
        try:
            page = json.loads(body)
            page_items = list(page.get("items") or [])
        except (ValueError, AttributeError, TypeError):
            raise _ReadError(f"the answer is not a Kubernetes list: {body[:80]!r}") from None
        for item in page_items:
            # kubectl fills these in for `get -o json`; the API server leaves them out of lists.
            if isinstance(item, dict):  # anything else is set aside by Snapshot.items()
                item.setdefault("apiVersion", kind.api_version)
                item.setdefault("kind", kind.kind)
            items.append(item)
        token = (page.get("metadata") or {}).get("continue") or ""
        if not token:
            return items


def _proxy_json(client: Client, path: str, timeout: float, ok: Callable[[int, Any], bool]) -> Any:
    status, body = _get(client, path, timeout)
    return _proxy_json_body(status, body, ok)


def _vault_health_ok(status: int, body: Any) -> bool:
    # sys/health answers 429/472/473/501/503 by design; a Vault body has `initialized`.
    return isinstance(body, dict) and "initialized" in body


EXTRA_SOURCES = ("vault", "alertmanager", "kubelet", "apiserver")
APISERVER_CERT = "apiserver/serving-certificate.json"
ALL_SOURCES = frozenset({k.resource for k in SNAPSHOT_KINDS} | set(EXTRA_SOURCES))


class _Collector:
    def __init__(
        self, client: Client, settings: CollectSettings, timeout: float, sources: frozenset[str]
    ) -> None:
        self.client, self.settings, self.timeout = client, settings, timeout
        self.sources = sources
        self.snapshot = Snapshot(context=_context_name(client))

    def run(self) -> Snapshot:
        try:  # one request first: an unreachable server is one clear error, not one per read
            self.snapshot.server_version = self._version()
        except _ReadError as error:
            where = server_url(self.client)
            raise ClusterError(f"cannot reach the API server at {where}: {error}") from None
        kubelet = self.settings.kubelet_stats and "kubelet" in self.sources
        kinds = [k for k in SNAPSHOT_KINDS if k.resource in self.sources]
        if kubelet and "nodes" not in self.sources:
            kinds.append(BY_RESOURCE["nodes"])  # kubelet stats are read per node
        with ThreadPoolExecutor(self.settings.workers) as pool:
            lists = {k.resource: pool.submit(self._list, k) for k in kinds}
            alerts = pool.submit(self._alerts) if "alertmanager" in self.sources else None
            cert = pool.submit(self._serving_certificate) if "apiserver" in self.sources else None
            vault_pods = pool.submit(self._vault_pods) if "vault" in self.sources else None
            followups: list[Future[None]] = []
            for pod in (self._settle(vault_pods, "vault") if vault_pods else None) or []:
                followups += [pool.submit(self._vault, pod, e) for e in ("health", "seal-status")]
            if kubelet:
                nodes = self._settle(lists["nodes"], "nodes")  # a core kind: never _NotServed
                for node in nodes or []:
                    name = node["metadata"]["name"]
                    if _ready(node):
                        followups.append(pool.submit(self._kubelet, name))
                    else:  # the API server cannot reach its kubelet: do not wait for a timeout
                        gap = f"extras/kubelet/{name}/stats-summary.json"
                        self.snapshot.gaps[gap] = f"node {name} is not Ready"
                if nodes is None:
                    self.snapshot.gaps["kubelet"] = "nodes could not be listed"
            for resource, future in lists.items():
                try:
                    found = self._settle(future, resource)
                except _NotServed:
                    self.snapshot.not_served.add(resource)
                    found = []
                if found is not None:
                    self.snapshot.resources[resource] = found
            if alerts is not None:
                self._settle(alerts, "extras/alertmanager/api-v2-alerts.json")
            if cert is not None:
                self._settle(cert, f"extras/{APISERVER_CERT}")
            for followup in followups:
                followup.result()
        return self.snapshot

    def _settle(self, future: Future[Any], source: str) -> Any:
        """The future's result, or None with the reason recorded as a gap."""
        try:
            return future.result()
        except _ReadError as error:
            self.snapshot.gaps[source] = str(error)
            return None

    def _list(self, kind: SnapshotKind) -> list[Obj]:
        return list_all(self.client, kind, self.settings.page_size, self.timeout)

    def _serving_certificate(self) -> None:
        import ssl

        try:
            fields = serving_certificate(self.client, self.timeout)
        except (OSError, ssl.SSLError) as error:
            raise _ReadError(f"TLS handshake failed: {error}") from error
        except (IndexError, ValueError) as error:
            raise _ReadError(f"the certificate is unreadable: {error}") from error
        if fields is None:
            raise _ReadError("the API server is not reached over https")
        self.snapshot.extras[APISERVER_CERT] = fields

    def _version(self) -> str | None:
        status, body = _get(self.client, "/version", self.timeout)
        try:
            version = json.loads(body).get("gitVersion") if status == 200 else None
        except (ValueError, AttributeError):
            return None
        return version if isinstance(version, str) else None

    def _alerts(self) -> None:
        where = self.settings.alertmanager
        path = service_proxy_path(
            where.namespace, where.service, where.port, "api/v2/alerts", where.scheme
        )
        body = _proxy_json(self.client, path, self.timeout, lambda s, b: s == 200)
        self.snapshot.extras["alertmanager/api-v2-alerts.json"] = body

    def _vault_pods(self) -> list[str]:
        where = self.settings.vault
        query = urlencode({"labelSelector": where.selector})
        path = f"/api/v1/namespaces/{quote(where.namespace)}/pods?{query}"
        status, body = _get(self.client, path, self.timeout)
        if status != 200:
            raise _ReadError(_reason(status, body))
        try:
            pods = [p["metadata"]["name"] for p in json.loads(body).get("items") or []]
        except (ValueError, AttributeError, KeyError, TypeError):
            raise _ReadError("the pod list is unreadable") from None
        if not pods:
            raise _ReadError(f"no pod matches {where.selector} in namespace {where.namespace}")
        return pods

    def _vault(self, pod: str, endpoint: str) -> None:
        where = self.settings.vault
        extra = f"vault/{pod}/sys-{endpoint}.json"
        path = pod_proxy_path(where.namespace, pod, where.port, f"v1/sys/{endpoint}", where.scheme)
        ok = _vault_health_ok if endpoint == "health" else (lambda s, b: s == 200)
        try:
            status, body = _get(self.client, path, self.timeout)
            parsed = _proxy_json_body(status, body, ok)
        except _ReadError as error:
            why = str(error)
            if "HTTP request to an HTTPS server" in why and where.scheme != "https":
                why += " (Vault's listener uses TLS: read it with --vault-scheme https)"
            self.snapshot.gaps[f"extras/{extra}"] = why
            return
        self.snapshot.extras[extra] = parsed
        self.snapshot.extra_statuses[extra] = status

    def _kubelet(self, node: str) -> None:
        extra = f"kubelet/{node}/stats-summary.json"
        path = node_proxy_path(node, "stats/summary")
        try:
            body = _proxy_json(self.client, path, self.timeout, lambda s, b: s == 200)
        except _ReadError as error:
            self.snapshot.gaps[f"extras/{extra}"] = str(error)
            return
        self.snapshot.extras[extra] = body


def _proxy_json_body(status: int, body: bytes, ok: Callable[[int, Any], bool]) -> Any:
    try:
        parsed = json.loads(body)
    except ValueError:
        raise _ReadError(_reason(status, body)) from None
    if (isinstance(parsed, dict) and parsed.get("kind") == "Status") or not ok(status, parsed):
        raise _ReadError(_reason(status, body))
    return parsed


def _ready(node: Obj) -> bool:
    conditions = (node.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _context_name(client: Client) -> str | None:
    config = getattr(getattr(client, "_client", None), "config", None)
    return getattr(config, "context_name", None)


def collect(
    target: ClusterTarget | None = None,
    settings: CollectSettings | None = None,
    sources: frozenset[str] | None = None,
) -> Snapshot:
    """Read a live cluster into a Snapshot. Raises `ClusterError` only if no client can be made.

    `sources` limits the reads to some resources (`pods`, `schedules.velero.io`) and extras
    (`vault`, `alertmanager`, `kubelet`); by default everything (`ALL_SOURCES`).
    """
    target = target or ClusterTarget()
    client = connect(target)
    chosen = ALL_SOURCES if sources is None else sources
    return _Collector(client, settings or CollectSettings(), target.timeout, chosen).run()
