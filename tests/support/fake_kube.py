"""A loopback fake of the Kubernetes API server, speaking its HTTP wire protocol.

No API server runs here, so the tests run the real clients (lightkube, kubectl) against this.
It answers what the real server would for the calls labctl makes, written from the API docs
(shared reference `ops-apis.md`, section 6):

- discovery (`/version`, `/api`, `/apis`, `/api/v1`, `/apis/<group>/<version>`);
- LIST with `limit`/`continue`, `labelSelector` (=, ==, !=, exists, !key) and `fieldSelector`;
- GET, POST (create), PUT, PATCH (merge, strategic-merge as merge, JSON patch), DELETE;
- the `status` and `scale` sub-resources, `pods/log`, and `pods/eviction`, which honours
  PodDisruptionBudgets (429 when `status.disruptionsAllowed` is 0, 500 when two PDBs match);
- Kubernetes `Status` error bodies; a bearer token is required (401 without it).

Tests script the rest: `route()` answers a path (proxy reads, faults, slow replies),
`fail()` injects errors, `latency` delays every request, and `requests` records every call.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import re
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import trustme
import yaml

from tests.support.loopback import LoopbackServer, QuietHandler

Obj = dict[str, Any]

# One test CA per process: kubectl sends bearer tokens only over TLS, so the fake serves HTTPS.
_CA = trustme.CA()
_CERT = _CA.issue_cert("127.0.0.1", "localhost")


@dataclass(frozen=True)
class Kind:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def full_name(self) -> str:
        """kubectl's full resource name, as in snapshot file names."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


def _k(gv: str, kind: str, plural: str, namespaced: bool = True, *short: str) -> Kind:
    group, _, version = gv.rpartition("/")
    return Kind(group, version, kind, plural, namespaced, short)


KINDS: tuple[Kind, ...] = (
    _k("v1", "Namespace", "namespaces", False, "ns"),
    _k("v1", "Node", "nodes", False, "no"),
    _k("v1", "Pod", "pods", True, "po"),
    _k("v1", "Service", "services", True, "svc"),
    _k("v1", "Endpoints", "endpoints", True, "ep"),
    _k("v1", "Event", "events", True, "ev"),
    _k("v1", "PersistentVolumeClaim", "persistentvolumeclaims", True, "pvc"),
    _k("v1", "PersistentVolume", "persistentvolumes", False, "pv"),
    _k("v1", "ConfigMap", "configmaps", True, "cm"),
    _k("v1", "Secret", "secrets", True),
    _k("v1", "ServiceAccount", "serviceaccounts", True, "sa"),
    _k("apps/v1", "Deployment", "deployments", True, "deploy"),
    _k("apps/v1", "StatefulSet", "statefulsets", True, "sts"),
    _k("apps/v1", "DaemonSet", "daemonsets", True, "ds"),
    _k("apps/v1", "ReplicaSet", "replicasets", True, "rs"),
    _k("batch/v1", "Job", "jobs", True),
    _k("batch/v1", "CronJob", "cronjobs", True, "cj"),
    _k("autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True, "hpa"),
    _k("policy/v1", "PodDisruptionBudget", "poddisruptionbudgets", True, "pdb"),
    _k("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies", True, "netpol"),
    _k("networking.k8s.io/v1", "Ingress", "ingresses", True, "ing"),
    _k("networking.k8s.io/v1", "IngressClass", "ingressclasses", False),
    _k("discovery.k8s.io/v1", "EndpointSlice", "endpointslices", True),
    _k("gateway.networking.k8s.io/v1", "GatewayClass", "gatewayclasses", False, "gc"),
    _k("gateway.networking.k8s.io/v1", "Gateway", "gateways", True, "gtw"),
    _k("gateway.networking.k8s.io/v1", "HTTPRoute", "httproutes", True),
    _k(
        "admissionregistration.k8s.io/v1",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        False,
    ),
    _k(
        "admissionregistration.k8s.io/v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        False,
    ),
    _k("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", False),
    _k("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", False),
    _k("rbac.authorization.k8s.io/v1", "Role", "roles", True),
    _k("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings", True),
    _k("storage.k8s.io/v1", "StorageClass", "storageclasses", False, "sc"),
    _k("argoproj.io/v1alpha1", "Application", "applications", True, "app", "apps"),
    _k("argoproj.io/v1alpha1", "AppProject", "appprojects", True, "appproj"),
    _k("velero.io/v1", "Backup", "backups", True),
    _k("velero.io/v1", "Restore", "restores", True),
    _k("velero.io/v1", "Schedule", "schedules", True),
    _k("velero.io/v1", "BackupStorageLocation", "backupstoragelocations", True, "bsl"),
    _k("cert-manager.io/v1", "Certificate", "certificates", True, "cert", "certs"),
    _k("cert-manager.io/v1", "ClusterIssuer", "clusterissuers", False),
    _k("cert-manager.io/v1", "Issuer", "issuers", True),
    _k("cert-manager.io/v1", "CertificateRequest", "certificaterequests", True, "cr"),
    _k("monitoring.coreos.com/v1", "PrometheusRule", "prometheusrules", True, "promrule"),
    _k("longhorn.io/v1beta2", "Volume", "volumes", True, "lhv"),
)
_SCALABLE = {"deployments", "statefulsets", "replicasets"}
_BY_KIND = {k.kind: k for k in KINDS}
_BY_ROUTE = {(k.group, k.version, k.plural): k for k in KINDS}


def kind_of(obj: Obj) -> Kind:
    return _BY_KIND[obj["kind"]]


class ApiFailure(Exception):
    """Ends a request with a Kubernetes `Status` error."""

    def __init__(self, code: int, reason: str, message: str, details: Obj | None = None) -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details or {}

    def body(self) -> Obj:
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "details": self.details,
            "code": self.code,
        }


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    content_type: str = "application/json"
    delay: float = 0.0


Handler = Callable[[Request], Reply]


@dataclass
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    times: int | None


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- selectors ---------------------------------------------------------------------------


def _lookup(obj: Obj, dotted: str) -> Any:
    value: Any = obj
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def labels_match(selector: str | None, labels: dict[str, str]) -> bool:
    for term in filter(None, (t.strip() for t in (selector or "").split(","))):
        if "!=" in term:
            key, value = term.split("!=", 1)
            if labels.get(key.strip()) == value.strip():
                return False
        elif "=" in term:
            key, value = term.replace("==", "=").split("=", 1)
            if labels.get(key.strip()) != value.strip():
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


def fields_match(selector: str | None, obj: Obj) -> bool:
    for term in filter(None, (t.strip() for t in (selector or "").split(","))):
        negate = "!=" in term
        key, value = term.replace("!=", "=").replace("==", "=").split("=", 1)
        actual = _lookup(obj, key.strip())
        equal = ("" if actual is None else str(actual)) == value.strip()
        if equal == negate:
            return False
    return True


def selector_matches(selector: Obj | None, labels: dict[str, str]) -> bool:
    """A LabelSelector object (matchLabels, matchExpressions) against labels."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        present = key in labels
        ok = {
            "In": present and labels[key] in values,
            "NotIn": not present or labels[key] not in values,
            "Exists": present,
            "DoesNotExist": not present,
        }[op]
        if not ok:
            return False
    return True


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def json_patch(target: Obj, ops: list[Obj]) -> Obj:
    """RFC 6902 JSON patch: add, replace, remove, test."""
    doc = copy.deepcopy(target)
    for op in ops:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        parent: Any = doc
        for part in parts[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent.setdefault(part, {})
        last = parts[-1]
        if op["op"] in ("add", "replace"):
            if isinstance(parent, list):
                index = len(parent) if last == "-" else int(last)
                if op["op"] == "add":
                    parent.insert(index, op["value"])
                else:
                    parent[index] = op["value"]
            else:
                parent[last] = op["value"]
        elif op["op"] == "remove":
            del parent[int(last) if isinstance(parent, list) else last]
        elif (
            op["op"] == "test"
            and (parent[int(last)] if isinstance(parent, list) else parent.get(last)) != op["value"]
        ):
            raise ApiFailure(422, "Invalid", f"test operation failed at {op['path']}")
    return doc


# --- the server ----------------------------------------------------------------------------


@dataclass
class FakeKube:
    """The fake API server. Use as a context manager; `url` and `kubeconfig()` reach it."""

    token: str = "fake-token"
    git_version: str = "v1.31.4"
    latency: float = 0.0
    store: dict[tuple[str, str, str], Obj] = field(default_factory=dict)
    logs: dict[tuple[str, str], str] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    _routes: list[_Route] = field(default_factory=list)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _rv: Iterator[int] = field(default_factory=lambda: itertools.count(1000))
    _server: LoopbackServer | None = None

    # -- lifecycle

    def __enter__(self) -> FakeKube:
        fake = self

        class _Handler(QuietHandler):
            def _handle(self) -> None:
                fake._serve(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

        self._server = LoopbackServer(("127.0.0.1", 0), _Handler)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        _CERT.configure_cert(context)
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        # A short poll interval: shutdown() waits for it, once per test.
        server = self._server
        threading.Thread(target=lambda: server.serve_forever(0.05), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None, "use FakeKube as a context manager"
        host, port = self._server.server_address[:2]
        return f"https://{host!s}:{port}"

    def kubeconfig(self, path: Path, context: str = "fake", namespace: str = "default") -> Path:
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": context,
                    "cluster": {
                        "server": self.url,
                        "certificate-authority-data": base64.b64encode(
                            _CA.cert_pem.bytes()
                        ).decode(),
                    },
                }
            ],
            "users": [{"name": context, "user": {"token": self.token}}],
            "contexts": [
                {
                    "name": context,
                    "context": {"cluster": context, "user": context, "namespace": namespace},
                }
            ],
            "current-context": context,
        }
        path.write_text(yaml.safe_dump(config))
        return path

    # -- scripting

    def add(self, *objects: Obj) -> None:
        """Store objects as they are (status included), filling in server-set metadata."""
        with self._lock:
            for obj in objects:
                self._put(copy.deepcopy(obj), created=True)

    def load(self, path: Path) -> None:
        """Store every object of a YAML or JSON file (lists included)."""
        for doc in yaml.safe_load_all(path.read_text()):
            items = doc.get("items", [doc]) if isinstance(doc, dict) else []
            for item in items:
                self.add(item)

    def get(self, kind: str, name: str, namespace: str | None = None) -> Obj | None:
        with self._lock:
            obj = self.store.get((kind, namespace or "", name))
            return copy.deepcopy(obj) if obj is not None else None

    def objects(self, kind: str, namespace: str | None = None) -> list[Obj]:
        with self._lock:
            return [
                copy.deepcopy(o)
                for (k, ns, _), o in sorted(self.store.items())
                if k == kind and (namespace is None or ns == namespace)
            ]

    def update(self, kind: str, name: str, namespace: str | None, patch: Obj) -> Obj:
        """Merge-patch a stored object (status included) as a controller would."""
        with self._lock:
            key = (kind, namespace or "", name)
            obj = merge_patch(self.store[key], patch)
            self._put(obj)
            return copy.deepcopy(obj)

    def route(
        self,
        method: str,
        path_pattern: str,
        handler: Handler | Reply | None = None,
        *,
        json_body: Any = None,
        status: int = 200,
        times: int | None = None,
    ) -> None:
        """Answer requests whose path matches `path_pattern` (a regex, full match).

        Newer routes win. `times` limits how often the route answers before it falls through.
        """
        if handler is None:
            handler = Reply(status=status, body=json_body)
        fixed = handler
        call: Handler = (lambda _req: fixed) if isinstance(fixed, Reply) else fixed
        self._routes.insert(0, _Route(method.upper(), re.compile(path_pattern), call, times))

    def fail(
        self, path_pattern: str, status: int = 500, method: str = "GET", times: int | None = None
    ) -> None:
        reason = {401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 429: "TooManyRequests"}
        failure = ApiFailure(
            status, reason.get(status, "InternalError"), f"injected failure ({status})"
        )
        self.route(method, path_pattern, Reply(status=status, body=failure.body()), times=times)

    def calls(self, method: str | None = None, path_prefix: str = "") -> list[Request]:
        with self._lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method) and r.path.startswith(path_prefix)
            ]

    # -- request handling

    def _serve(self, http: BaseHTTPRequestHandler) -> None:
        split = urlsplit(http.path)
        length = int(http.headers.get("Content-Length") or 0)
        raw = http.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = yaml.safe_load(raw)
        request = Request(
            http.command,
            unquote(split.path),
            parse_qs(split.query),
            body,
            dict(http.headers.items()),
        )
        with self._lock:
            self.requests.append(request)
        if self.latency:
            time.sleep(self.latency)
        try:
            if http.headers.get("Authorization") != f"Bearer {self.token}":
                raise ApiFailure(401, "Unauthorized", "Unauthorized")
            reply = self._dispatch(request)
        except ApiFailure as failure:
            reply = Reply(status=failure.code, body=failure.body())
        if reply.delay:
            time.sleep(reply.delay)
        if isinstance(reply.body, bytes | str):
            payload = reply.body.encode() if isinstance(reply.body, str) else reply.body
        else:
            payload = json.dumps(reply.body).encode()
        try:
            http.send_response(reply.status)
            http.send_header("Content-Type", reply.content_type)
            http.send_header("Content-Length", str(len(payload)))
            http.end_headers()
            if http.command != "HEAD":
                http.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            return  # the client gave up (a timeout test)

    def _dispatch(self, request: Request) -> Reply:
        for route in self._routes:
            if route.method in (request.method, "*") and route.pattern.fullmatch(request.path):
                if route.times is not None:
                    if route.times <= 0:
                        continue
                    route.times -= 1
                return route.handler(request)
        path = request.path.rstrip("/")
        if path == "/version":
            major, minor = self.git_version.lstrip("v").split(".")[:2]
            return Reply(body={"major": major, "minor": minor, "gitVersion": self.git_version})
        if path in ("/api", "/apis") or re.fullmatch(r"/api/v1|/apis/[^/]+/[^/]+", path):
            return self._discovery(path)
        match = re.fullmatch(r"/api/(v1)(/.*)?|/apis/([^/]+)/([^/]+)(/.*)?", path)
        if not match:
            raise ApiFailure(404, "NotFound", "the server could not find the requested resource")
        if match.group(1):
            group, version, rest = "", "v1", match.group(2) or ""
        else:
            group, version, rest = match.group(3), match.group(4), match.group(5) or ""
        return self._resource(request, group, version, rest.strip("/").split("/"))

    def _discovery(self, path: str) -> Reply:
        if path == "/api":
            return Reply(
                body={"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
            )
        groups: dict[str, list[str]] = {}
        for k in KINDS:
            if k.group and k.version not in groups.setdefault(k.group, []):
                groups[k.group].append(k.version)
        if path == "/apis":
            return Reply(
                body={
                    "kind": "APIGroupList",
                    "apiVersion": "v1",
                    "groups": [
                        {
                            "name": g,
                            "versions": [{"groupVersion": f"{g}/{v}", "version": v} for v in vs],
                            "preferredVersion": {"groupVersion": f"{g}/{vs[0]}", "version": vs[0]},
                        }
                        for g, vs in groups.items()
                    ],
                }
            )
        group_version = path.removeprefix("/api/").removeprefix("/apis/")
        group, _, version = group_version.rpartition("/")
        resources: list[Obj] = []
        for k in KINDS:
            if (k.group, k.version) != (group, version):
                continue
            verbs = [
                "create",
                "delete",
                "deletecollection",
                "get",
                "list",
                "patch",
                "update",
                "watch",
            ]
            resources.append(
                {
                    "name": k.plural,
                    "singularName": k.kind.lower(),
                    "namespaced": k.namespaced,
                    "kind": k.kind,
                    "verbs": verbs,
                    "shortNames": list(k.short_names),
                }
            )
            resources.append(
                {
                    "name": f"{k.plural}/status",
                    "namespaced": k.namespaced,
                    "kind": k.kind,
                    "verbs": ["get", "patch", "update"],
                }
            )
            if k.plural in _SCALABLE:
                resources.append(
                    {
                        "name": f"{k.plural}/scale",
                        "namespaced": True,
                        "group": "autoscaling",
                        "version": "v1",
                        "kind": "Scale",
                        "verbs": ["get", "patch", "update"],
                    }
                )
        if not resources:
            raise ApiFailure(404, "NotFound", f"no resources in {group_version}")
        if (group, version) == ("", "v1"):
            resources += [
                {
                    "name": "pods/eviction",
                    "namespaced": True,
                    "group": "policy",
                    "version": "v1",
                    "kind": "Eviction",
                    "verbs": ["create"],
                },
                {"name": "pods/log", "namespaced": True, "kind": "Pod", "verbs": ["get"]},
                {
                    "name": "pods/proxy",
                    "namespaced": True,
                    "kind": "PodProxyOptions",
                    "verbs": ["get"],
                },
                {
                    "name": "services/proxy",
                    "namespaced": True,
                    "kind": "ServiceProxyOptions",
                    "verbs": ["get"],
                },
                {
                    "name": "nodes/proxy",
                    "namespaced": False,
                    "kind": "NodeProxyOptions",
                    "verbs": ["get"],
                },
            ]
        return Reply(
            body={
                "kind": "APIResourceList",
                "apiVersion": "v1",
                "groupVersion": group_version,
                "resources": resources,
            }
        )

    def _resource(self, request: Request, group: str, version: str, parts: list[str]) -> Reply:
        namespace = ""
        if len(parts) >= 3 and parts[0] == "namespaces":
            namespace, parts = parts[1], parts[2:]
        kind = _BY_ROUTE.get((group, version, parts[0]))
        if kind is None:
            raise ApiFailure(404, "NotFound", "the server could not find the requested resource")
        if kind.namespaced != bool(namespace) and not (kind.namespaced and len(parts) == 1):
            raise ApiFailure(404, "NotFound", "the server could not find the requested resource")
        name = parts[1] if len(parts) > 1 else None
        sub = parts[2] if len(parts) > 2 else None
        if sub == "proxy":
            raise ApiFailure(
                503,
                "ServiceUnavailable",
                f"no endpoints available for {kind.kind.lower()} {name!r}",
            )
        with self._lock:
            if name is None:
                if request.method == "GET":
                    return self._list(request, kind, namespace)
                if request.method == "POST":
                    return self._create(request, kind, namespace)
                raise ApiFailure(405, "MethodNotAllowed", f"{request.method} on a collection")
            if sub is None:
                return self._item(request, kind, namespace, name)
            return self._subresource(request, kind, namespace, name, sub)

    def _existing(self, kind: Kind, namespace: str, name: str) -> Obj:
        obj = self.store.get((kind.kind, namespace, name))
        if obj is None:
            raise ApiFailure(
                404,
                "NotFound",
                f'{kind.plural}{"." + kind.group if kind.group else ""} "{name}" not found',
                {"name": name, "group": kind.group, "kind": kind.plural},
            )
        return obj

    def _list(self, request: Request, kind: Kind, namespace: str) -> Reply:
        if request.param("watch") in ("true", "1"):
            raise ApiFailure(405, "MethodNotAllowed", "this fake API server does not serve watches")
        items = [
            o
            for (k, ns, _), o in sorted(self.store.items())
            if k == kind.kind
            and (not namespace or ns == namespace)
            and labels_match(request.param("labelSelector"), o["metadata"].get("labels") or {})
            and fields_match(request.param("fieldSelector"), o)
        ]
        start = int(base64.b64decode(request.param("continue") or "MA==").decode())
        limit = int(request.param("limit") or 0)
        page = items[start : start + limit] if limit else items[start:]
        metadata: Obj = {"resourceVersion": str(next(self._rv))}
        if limit and start + limit < len(items):
            metadata["continue"] = base64.b64encode(str(start + limit).encode()).decode()
            metadata["remainingItemCount"] = len(items) - start - limit
        return Reply(
            body={
                "kind": f"{kind.kind}List",
                "apiVersion": kind.api_version,
                "metadata": metadata,
                "items": copy.deepcopy(page),
            }
        )

    def _create(self, request: Request, kind: Kind, namespace: str) -> Reply:
        obj = request.body
        if not isinstance(obj, dict) or not isinstance(obj.get("metadata"), dict):
            raise ApiFailure(400, "BadRequest", "the request body is not an object with metadata")
        meta = obj["metadata"]
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
        if not meta.get("name"):
            raise ApiFailure(
                422, "Invalid", f"{kind.kind} is invalid: metadata.name: Required value"
            )
        obj.setdefault("apiVersion", kind.api_version)
        obj.setdefault("kind", kind.kind)
        if kind.namespaced:
            meta["namespace"] = namespace
        if (kind.kind, namespace, meta["name"]) in self.store:
            raise ApiFailure(
                409,
                "AlreadyExists",
                f'{kind.plural} "{meta["name"]}" already exists',
                {"name": meta["name"], "kind": kind.plural},
            )
        if request.param("dryRun") != "All":
            self._put(obj, created=True)
        return Reply(status=201, body=copy.deepcopy(obj))

    def _item(self, request: Request, kind: Kind, namespace: str, name: str) -> Reply:
        current = self._existing(kind, namespace, name)
        if request.method == "GET":
            return Reply(body=copy.deepcopy(current))
        if request.method == "DELETE":
            del self.store[(kind.kind, namespace, name)]
            if kind.kind == "Namespace":
                for key in [k for k in self.store if k[1] == name]:
                    del self.store[key]
            return Reply(body=copy.deepcopy(current))
        if request.method in ("PATCH", "PUT"):
            self._check_precondition(request, kind, current)
            updated = self._patched(request, current)
            updated["status"] = current.get("status")  # the main resource ignores status
            if updated["status"] is None:
                updated.pop("status")
            self._put(updated)
            return Reply(body=copy.deepcopy(updated))
        raise ApiFailure(405, "MethodNotAllowed", f"{request.method} not allowed")

    @staticmethod
    def _check_precondition(request: Request, kind: Kind, current: Obj) -> None:
        # A resourceVersion in the body is an optimistic-concurrency precondition.
        body = request.body if isinstance(request.body, dict) else {}
        wanted = (body.get("metadata") or {}).get("resourceVersion")
        if wanted and wanted != current["metadata"]["resourceVersion"]:
            name = current["metadata"]["name"]
            raise ApiFailure(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on {kind.full_name} "{name}": the object has '
                "been modified; please apply your changes to the latest version and try again",
            )

    def _patched(self, request: Request, current: Obj) -> Obj:
        if request.method == "PUT":
            return dict(request.body)
        content_type = request.headers.get("Content-Type", "")
        if "json-patch" in content_type:
            return json_patch(current, request.body)
        patched: Obj = merge_patch(current, request.body)
        return patched

    def _subresource(
        self, request: Request, kind: Kind, namespace: str, name: str, sub: str
    ) -> Reply:
        current = self._existing(kind, namespace, name)
        if sub == "status" and request.method in ("PATCH", "PUT"):
            updated = self._patched(request, current)
            self._put(updated)
            return Reply(body=copy.deepcopy(updated))
        if sub == "status":
            return Reply(body=copy.deepcopy(current))
        if sub == "scale" and kind.plural in _SCALABLE:
            if request.method in ("PATCH", "PUT"):
                scale = self._patched(request, self._scale(current))
                current["spec"]["replicas"] = int(scale["spec"]["replicas"])
                self._put(current)
            return Reply(body=self._scale(current))
        if sub == "log" and kind.kind == "Pod":
            previous = request.param("previous") == "true"
            text = self.logs.get((namespace, name + (":previous" if previous else "")))
            if text is None:
                raise ApiFailure(
                    400, "BadRequest", f'previous terminated container in pod "{name}" not found'
                )
            return Reply(body=text, content_type="text/plain")
        if sub == "eviction" and kind.kind == "Pod" and request.method == "POST":
            return self._evict(current, namespace, name)
        raise ApiFailure(404, "NotFound", f"{kind.plural}/{sub} is not served by this fake")

    @staticmethod
    def _scale(obj: Obj) -> Obj:
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {
                "name": obj["metadata"]["name"],
                "namespace": obj["metadata"].get("namespace"),
            },
            "spec": {"replicas": obj.get("spec", {}).get("replicas", 1)},
            "status": {"replicas": obj.get("status", {}).get("replicas", 0)},
        }

    def _evict(self, pod: Obj, namespace: str, name: str) -> Reply:
        labels = pod["metadata"].get("labels") or {}
        budgets = [
            o
            for (k, ns, _), o in self.store.items()
            if k == "PodDisruptionBudget"
            and ns == namespace
            and selector_matches(o["spec"].get("selector"), labels)
        ]
        if len(budgets) > 1:
            raise ApiFailure(
                500,
                "InternalError",
                "This pod has more than one PodDisruptionBudget, "
                "which the eviction subresource does not support.",
            )
        if budgets:
            budget = budgets[0]
            status = budget.setdefault("status", {})
            if int(status.get("disruptionsAllowed", 0)) <= 0:
                message = (
                    f"The disruption budget {budget['metadata']['name']} needs "
                    f"{status.get('desiredHealthy', 0)} healthy pods and has "
                    f"{status.get('currentHealthy', 0)} currently"
                )
                raise ApiFailure(
                    429,
                    "TooManyRequests",
                    "Cannot evict pod as it would violate the pod's disruption budget.",
                    {"causes": [{"reason": "DisruptionBudget", "message": message}]},
                )
            status["disruptionsAllowed"] = int(status["disruptionsAllowed"]) - 1
            status["currentHealthy"] = max(0, int(status.get("currentHealthy", 1)) - 1)
        del self.store[("Pod", namespace, name)]
        return Reply(
            status=201,
            body={
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Success",
                "code": 201,
            },
        )

    def _put(self, obj: Obj, created: bool = False) -> None:
        kind = kind_of(obj)
        meta = obj.setdefault("metadata", {})
        if kind.namespaced:
            meta.setdefault("namespace", "default")
        else:
            meta.pop("namespace", None)
        meta["resourceVersion"] = str(next(self._rv))
        if created:
            meta.setdefault("uid", str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", now_iso())
            meta.setdefault("generation", 1)
        obj.setdefault("apiVersion", kind.api_version)
        self.store[(kind.kind, meta.get("namespace", ""), meta["name"])] = obj
