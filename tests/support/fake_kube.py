"""A loopback fake of the Kubernetes API server, speaking its HTTP wire protocol.

No API server runs here, so the tests run the real clients (lightkube, kubectl) against this.
It answers what the real server would for the calls labctl makes, written from the API reference
and the API conventions (kubernetes.io; kubernetes/kubernetes where they are silent):

- discovery (`/version`, `/api`, `/apis`, `/api/v1`, `/apis/<group>/<version>`); a kind that is
  not served (`unserve()`, a CRD not installed) is a text/plain `404 page not found` under
  `/apis`, a JSON `Status` under `/api/v1`;
- LIST with `limit`/`continue` (`remainingItemCount` only without selectors), label selectors
  (equality and set-based: `in`, `notin`, `k`, `!k`) and the field selectors each kind supports
  (any other field: 400 "field label not supported");
- GET, POST, PUT, PATCH (merge, JSON patch; strategic merge on built-in kinds only, 415 on custom
  resources; server-side apply needs `fieldManager`, else 422), DELETE with `DeleteOptions`
  (`preconditions` uid/resourceVersion: 409; grace period; propagation policy);
- server-set metadata: `uid`, `creationTimestamp`, `generation` (bumped when anything but
  metadata, and status where a status subresource serves it, changes), `resourceVersion`;
- `status` only where the kind has a status subresource (custom resources as their CRDs declare:
  Argo CD Applications and Velero's kinds have none, so `/status` is 404 and status is written
  with the object); `scale`, `pods/log`, and `pods/eviction`, which honours PodDisruptionBudgets
  as the eviction registry does;
- graceful deletion: a pod bound to a node gets `deletionTimestamp` and stays until its kubelet
  finishes; objects with finalizers stay until they are removed; Foreground deletion waits for
  the dependents (see `FakeKube` for the controllers it plays);
- the API-server proxy: the target's status and body passed through unchanged (`upstream()`), a
  pod without an IP is 400 "address not allowed", a missing pod or service a 404 `Status`, a
  service without endpoints 503;
- PodSecurity admission (`enforce` refuses Pods, `warn` answers with `Warning` headers; see
  tests/support/pod_security.py); `Status` error bodies; a bearer token is required (401).

Not modelled: watches, namespace existence on create (NamespaceLifecycle admission), RBAC,
field ownership of server-side apply, and keyed list merging of strategic merge patches.

Tests script the rest: `route()` answers a path before the fake does (faults, slow replies),
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
from datetime import UTC, datetime, timedelta
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
    status: bool = True  # has a `status` subresource
    fields: tuple[str, ...] = ()  # field selectors beyond metadata.name/namespace

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def full_name(self) -> str:
        """kubectl's full resource name, as in snapshot file names."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def custom(self) -> bool:
        """Served from a CustomResourceDefinition (no strategic merge patch)."""
        return "." in self.group and not self.group.endswith(".k8s.io")


def _k(
    gv: str,
    kind: str,
    plural: str,
    namespaced: bool = True,
    *short: str,
    status: bool = True,
    fields: tuple[str, ...] = (),
) -> Kind:
    group, _, version = gv.rpartition("/")
    return Kind(group, version, kind, plural, namespaced, short, status, fields)


# Field selectors each kind supports (the API server's field label conversion functions, e.g.
# pkg/apis/core/v1/conversion.go; CRDs: metadata.* plus the CRD's `selectableFields`).
_POD_FIELDS = (
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "spec.hostNetwork",
    "status.phase",
    "status.podIP",
    "status.podIPs",
    "status.nominatedNodeName",
)
_EVENT_FIELDS = (
    *(
        f"involvedObject.{f}"
        for f in ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath")
    ),
    "reason",
    "reportingComponent",
    "source",
    "type",
)

# Which kinds have a status subresource: built-in kinds as served by kube-apiserver; custom
# resources as their CRDs declare (`subresources.status`): Argo CD's Application and AppProject
# and every Velero kind declare none, so their status is written with the object.
KINDS: tuple[Kind, ...] = (
    _k("v1", "Namespace", "namespaces", False, "ns", fields=("status.phase",)),
    _k("v1", "Node", "nodes", False, "no", fields=("spec.unschedulable",)),
    _k("v1", "Pod", "pods", True, "po", fields=_POD_FIELDS),
    _k("v1", "Service", "services", True, "svc"),
    _k("v1", "Endpoints", "endpoints", True, "ep", status=False),
    _k("v1", "Event", "events", True, "ev", status=False, fields=_EVENT_FIELDS),
    _k("v1", "PersistentVolumeClaim", "persistentvolumeclaims", True, "pvc"),
    _k("v1", "PersistentVolume", "persistentvolumes", False, "pv"),
    _k("v1", "ConfigMap", "configmaps", True, "cm", status=False),
    _k("v1", "Secret", "secrets", True, status=False, fields=("type",)),
    _k("v1", "ServiceAccount", "serviceaccounts", True, "sa", status=False),
    _k("apps/v1", "Deployment", "deployments", True, "deploy"),
    _k("apps/v1", "StatefulSet", "statefulsets", True, "sts"),
    _k("apps/v1", "DaemonSet", "daemonsets", True, "ds"),
    _k("apps/v1", "ReplicaSet", "replicasets", True, "rs", fields=("status.replicas",)),
    _k("batch/v1", "Job", "jobs", True, fields=("status.successful",)),
    _k("batch/v1", "CronJob", "cronjobs", True, "cj"),
    _k("autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True, "hpa"),
    _k("policy/v1", "PodDisruptionBudget", "poddisruptionbudgets", True, "pdb"),
    _k("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies", True, "netpol", status=False),
    _k("networking.k8s.io/v1", "Ingress", "ingresses", True, "ing"),
    _k("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", False, status=False),
    _k(
        "rbac.authorization.k8s.io/v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        False,
        status=False,
    ),
    _k("rbac.authorization.k8s.io/v1", "Role", "roles", True, status=False),
    _k("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings", True, status=False),
    _k("storage.k8s.io/v1", "StorageClass", "storageclasses", False, "sc", status=False),
    _k("argoproj.io/v1alpha1", "Application", "applications", True, "app", "apps", status=False),
    _k("argoproj.io/v1alpha1", "AppProject", "appprojects", True, "appproj", status=False),
    _k("velero.io/v1", "Backup", "backups", True, status=False),
    _k("velero.io/v1", "Restore", "restores", True, status=False),
    _k("velero.io/v1", "Schedule", "schedules", True, status=False),
    _k(
        "velero.io/v1", "BackupStorageLocation", "backupstoragelocations", True, "bsl", status=False
    ),
    _k(
        "cert-manager.io/v1",
        "Certificate",
        "certificates",
        True,
        "cert",
        "certs",
        fields=("spec.issuerRef.group", "spec.issuerRef.kind", "spec.issuerRef.name"),
    ),
    _k("networking.k8s.io/v1", "IngressClass", "ingressclasses", False, status=False),
    _k("discovery.k8s.io/v1", "EndpointSlice", "endpointslices", True, status=False),
    _k("gateway.networking.k8s.io/v1", "GatewayClass", "gatewayclasses", False, "gc"),
    _k("gateway.networking.k8s.io/v1", "Gateway", "gateways", True, "gtw"),
    _k("gateway.networking.k8s.io/v1", "HTTPRoute", "httproutes", True),
    _k(
        "admissionregistration.k8s.io/v1",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        False,
        status=False,
    ),
    _k(
        "admissionregistration.k8s.io/v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        False,
        status=False,
    ),
    _k("cert-manager.io/v1", "ClusterIssuer", "clusterissuers", False),
    _k("cert-manager.io/v1", "Issuer", "issuers", True),
    _k("cert-manager.io/v1", "CertificateRequest", "certificaterequests", True, "cr"),
    _k("monitoring.coreos.com/v1", "PrometheusRule", "prometheusrules", True, "promrule"),
    _k("longhorn.io/v1beta2", "Volume", "volumes", True, "lhv"),
    _k("apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions", False),
    # A 1.28 server serves FlowSchema and PriorityLevelConfiguration at v1beta2 and v1beta3 (v1
    # from 1.29); this fake keeps one version per kind, so it serves v1beta3 only.
    _k("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", "flowschemas", False),
    _k(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "PriorityLevelConfiguration",
        "prioritylevelconfigurations",
        False,
    ),
    # MetalLB before v0.14 served its legacy AddressPool CRD.
    _k("metallb.io/v1beta1", "AddressPool", "addresspools", True),
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
    warnings: list[str] = field(default_factory=list)  # sent as `Warning: 299 - "..."` headers


Handler = Callable[[Request], Reply]


@dataclass
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    times: int | None


def now_iso(offset: float = 0.0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _not_found(kind: Kind, name: str) -> ApiFailure:
    return ApiFailure(
        404,
        "NotFound",
        f'{kind.full_name} "{name}" not found',
        {"name": name, "group": kind.group, "kind": kind.plural},
    )


def _conflict(kind: Kind, name: str, why: str) -> ApiFailure:
    return ApiFailure(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {kind.full_name} "{name}": {why}',
        {"name": name, "group": kind.group, "kind": kind.plural},
    )


class PageNotFound(Exception):
    """The real server's answer for a path no API serves: text/plain `404 page not found`."""


# --- selectors ---------------------------------------------------------------------------


def _lookup(obj: Obj, dotted: str) -> Any:
    value: Any = obj
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


_REQUIREMENT = re.compile(
    r"\s*(?P<neg>!)?\s*(?P<key>[A-Za-z0-9_./-]+)\s*"
    r"(?:(?P<op>==|=|!=|\s+in\s+|\s+notin\s+)\s*(?P<value>\([^)]*\)|[A-Za-z0-9_.-]*))?\s*(,|$)"
)


def labels_match(selector: str | None, labels: dict[str, str]) -> bool:
    """A label selector string: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`
    (apimachinery's labels.Parse grammar). A malformed one is a 400, as on the real server."""
    text = (selector or "").strip()
    position = 0
    while position < len(text):
        match = _REQUIREMENT.match(text, position)
        if not match or match.end() == position:
            raise ApiFailure(
                400, "BadRequest", f"unable to parse requirement: invalid label selector {text!r}"
            )
        position = match.end()
        key, op, negate = match["key"], (match["op"] or "").strip(), bool(match["neg"])
        present, value = key in labels, labels.get(key)
        if not op:
            ok = not present if negate else present
        elif op in ("in", "notin"):
            values = {v.strip() for v in (match["value"] or "").strip("()").split(",")}
            ok = (present and value in values) if op == "in" else (value not in values)
        elif op == "!=":
            ok = value != match["value"]
        else:
            ok = value == match["value"]
        if not ok:
            return False
    return True


def fields_match(selector: str | None, obj: Obj, kind: Kind) -> bool:
    """A field selector: `=`, `==` and `!=` on the fields `kind` supports; any other field is
    a 400 "field label not supported", as the real server answers."""
    supported = {"metadata.name", *kind.fields}
    if kind.namespaced:
        supported.add("metadata.namespace")
    for term in filter(None, (t.strip() for t in (selector or "").split(","))):
        negate = "!=" in term
        key, _, value = term.replace("!=", "=").replace("==", "=").partition("=")
        key = key.strip()
        if key not in supported:
            raise ApiFailure(400, "BadRequest", f"field label not supported: {key}")
        actual = _lookup(obj, key)
        if isinstance(actual, bool):
            actual = str(actual).lower()
        elif key == "status.podIPs":
            actual = ",".join(str(ip.get("ip")) for ip in actual or [])
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

FOREGROUND, ORPHAN = "foregroundDeletion", "orphan"
_GC_FINALIZERS = {"Foreground": FOREGROUND, "Orphan": ORPHAN}
DEFAULT_GRACE_SECONDS = 30  # a pod's spec.terminationGracePeriodSeconds default
JOB_ORPHAN_WARNING = (
    "child pods are preserved by default when jobs are deleted; set propagationPolicy=Background "
    "to remove them or set propagationPolicy=Orphan to suppress this warning"
)
_WORKLOAD_STATUS_FREE = ("metadata", "status")


@dataclass
class FakeKube:
    """The fake API server. Use as a context manager; `url` and `kubeconfig()` reach it.

    Besides the API server it plays the parts of the control plane a client sees through it,
    each at the next request: the kubelet (a terminating pod bound to a node is gone
    `kubelet_seconds` after its deletion; None: the kubelet never finishes, as on a dead node;
    `finish()` ends one pod), the garbage collector (dependents of an owner deleted through the
    fake, with Background or Foreground propagation) and the namespace controller (a deleted
    namespace is Terminating until its objects are gone). The PodDisruptionBudget and workload
    controllers are not played: tests set their status with `update()`.
    """

    token: str = "fake-token"
    git_version: str = "v1.31.4"
    latency: float = 0.0
    kubelet_seconds: float | None = 0.0
    store: dict[tuple[str, str, str], Obj] = field(default_factory=dict)
    logs: dict[tuple[str, str], str] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    unserved: set[str] = field(default_factory=set)
    _routes: list[_Route] = field(default_factory=list)
    _upstreams: dict[tuple[str, str, str, str], Handler] = field(default_factory=dict)
    _deleting: dict[tuple[str, str, str], float] = field(default_factory=dict)
    _finished: set[tuple[str, str, str]] = field(default_factory=set)
    _deleted_owners: set[str] = field(default_factory=set)
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
        """Store objects as they are (status and timestamps included, as a controller or an
        earlier life of the cluster left them), filling in the server-set metadata they lack."""
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
            self._reconcile()
            obj = self.store.get((kind, namespace or "", name))
            return copy.deepcopy(obj) if obj is not None else None

    def objects(self, kind: str, namespace: str | None = None) -> list[Obj]:
        with self._lock:
            self._reconcile()
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
            self._reconcile()
            return copy.deepcopy(obj)

    def finish(self, namespace: str, name: str) -> None:
        """The kubelet has stopped a terminating pod's containers: it leaves the API (once its
        finalizers are gone)."""
        with self._lock:
            self._finished.add(("Pod", namespace, name))
            self._reconcile()

    def unserve(self, *full_names: str) -> None:
        """Stop serving kinds (e.g. `certificaterequests.cert-manager.io`), as when a CRD is
        not installed: discovery omits them and their paths answer 404."""
        self.unserved.update(full_names)

    def upstream(
        self, resource: str, namespace: str, name: str, port: int | str, handler: Handler
    ) -> None:
        """What the pod, service or node behind an API-server proxy path answers: `resource` is
        `pods`, `services` or `nodes` (namespace ''). The handler gets the request with `path` set
        to the path after `/proxy`; its Reply goes back to the client unchanged."""
        self._upstreams[(resource, namespace, name, str(port))] = handler

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
        except PageNotFound:
            reply = Reply(
                status=404, body="404 page not found\n", content_type="text/plain; charset=utf-8"
            )
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
            for warning in reply.warnings:
                # RFC 7234 warn-code 299, warn-agent "-", the text quoted (escaped quotes).
                text = warning.replace("\\", "\\\\").replace('"', '\\"')
                http.send_header("Warning", f'299 - "{text}"')
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
            raise PageNotFound
        if match.group(1):
            group, version, rest = "", "v1", match.group(2) or ""
        else:
            group, version, rest = match.group(3), match.group(4), match.group(5) or ""
        with self._lock:
            self._reconcile()
            return self._resource(request, group, version, rest.strip("/").split("/"))

    def _served(self) -> list[Kind]:
        return [k for k in KINDS if k.full_name not in self.unserved]

    def _discovery(self, path: str) -> Reply:
        if path == "/api":
            return Reply(
                body={"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}
            )
        groups: dict[str, list[str]] = {}
        for k in self._served():
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
        for k in self._served():
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
            if k.status:
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
            raise PageNotFound
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
        if kind is None or kind.full_name in self.unserved:
            if group:
                raise PageNotFound  # no API group serves it: the aggregator's mux answers
            raise ApiFailure(404, "NotFound", "the server could not find the requested resource")
        if kind.namespaced != bool(namespace) and not (kind.namespaced and len(parts) == 1):
            raise ApiFailure(404, "NotFound", "the server could not find the requested resource")
        name = parts[1] if len(parts) > 1 else None
        sub = parts[2] if len(parts) > 2 else None
        if sub == "proxy" and name is not None:
            return self._proxy(request, kind, namespace, name, "/".join(parts[3:]))
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
            raise _not_found(kind, name)
        return obj

    def _list(self, request: Request, kind: Kind, namespace: str) -> Reply:
        if request.param("watch") in ("true", "1"):
            raise ApiFailure(405, "MethodNotAllowed", "this fake API server does not serve watches")
        labels, fields = request.param("labelSelector"), request.param("fieldSelector")
        items = [
            o
            for (k, ns, _), o in sorted(self.store.items())
            if k == kind.kind
            and (not namespace or ns == namespace)
            and labels_match(labels, o["metadata"].get("labels") or {})
            and fields_match(fields, o, kind)
        ]
        start = int(base64.b64decode(request.param("continue") or "MA==").decode())
        limit = int(request.param("limit") or 0)
        page = items[start : start + limit] if limit else items[start:]
        metadata: Obj = {"resourceVersion": str(next(self._rv))}
        if limit and start + limit < len(items):
            metadata["continue"] = base64.b64encode(str(start + limit).encode()).decode()
            # The server cannot count what a selector would keep, so it leaves the count out.
            if not labels and not fields:
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
                f'{kind.full_name} "{meta["name"]}" already exists',
                {"name": meta["name"], "group": kind.group, "kind": kind.plural},
            )
        # Server-set metadata: whatever the client sent is replaced.
        for server_set in (
            "uid",
            "creationTimestamp",
            "generation",
            "resourceVersion",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
        ):
            meta.pop(server_set, None)
        if kind.status:
            obj.pop("status", None)  # a status subresource: status is not written on create
        warnings = self._admit(kind, namespace, obj)
        if request.param("dryRun") != "All":
            self._put(obj, created=True)
        return Reply(status=201, body=copy.deepcopy(obj), warnings=warnings)

    def _admit(self, kind: Kind, namespace: str, obj: Obj) -> list[str]:
        """PodSecurity admission (tests/support/pod_security.py)."""
        from tests.support.pod_security import admit

        refusal, warnings = admit(self.store.get(("Namespace", "", namespace)), obj)
        if refusal is not None:
            name = obj["metadata"]["name"]
            raise ApiFailure(
                403,
                "Forbidden",
                f'{kind.full_name} "{name}" is forbidden: {refusal}',
                {"name": name, "kind": kind.plural},
            )
        return warnings

    def _item(self, request: Request, kind: Kind, namespace: str, name: str) -> Reply:
        current = self._existing(kind, namespace, name)
        if request.method == "GET":
            return Reply(body=copy.deepcopy(current))
        if request.method == "DELETE":
            options = request.body if isinstance(request.body, dict) else {}
            for key in ("gracePeriodSeconds", "propagationPolicy"):
                if request.param(key) is not None:
                    options.setdefault(key, request.param(key))
            warnings = []
            if kind.kind == "Job" and not options.get("propagationPolicy"):
                warnings.append(JOB_ORPHAN_WARNING)
                options["propagationPolicy"] = "Orphan"  # batch/v1 Jobs' default
            after = self._delete(kind, current, options, dry_run=request.param("dryRun") == "All")
            return Reply(body=copy.deepcopy(after), warnings=warnings)
        if request.method in ("PATCH", "PUT"):
            self._check_precondition(request, kind, current)
            updated = self._patched(request, kind, current)
            if kind.status:
                # The main resource ignores status when a status subresource serves it.
                updated["status"] = current.get("status")
                if updated["status"] is None:
                    updated.pop("status")
            warnings = self._admit(kind, namespace, updated)
            self._write(kind, current, updated)
            return Reply(
                body=copy.deepcopy(self.store.get((kind.kind, namespace, name), updated)),
                warnings=warnings,
            )
        raise ApiFailure(405, "MethodNotAllowed", f"{request.method} not allowed")

    @staticmethod
    def _check_precondition(request: Request, kind: Kind, current: Obj) -> None:
        # A resourceVersion in the body is an optimistic-concurrency precondition.
        body = request.body if isinstance(request.body, dict) else {}
        wanted = (body.get("metadata") or {}).get("resourceVersion")
        if wanted and wanted != current["metadata"]["resourceVersion"]:
            raise _conflict(
                kind,
                current["metadata"]["name"],
                "the object has been modified; please apply your changes to the latest version "
                "and try again",
            )

    def _patched(self, request: Request, kind: Kind, current: Obj) -> Obj:
        if request.method == "PUT":
            return dict(request.body)
        content_type = request.headers.get("Content-Type", "").split(";")[0].strip()
        if content_type == "application/json-patch+json":
            return json_patch(current, request.body)
        if content_type == "application/merge-patch+json":
            return dict(merge_patch(current, request.body))
        if content_type == "application/strategic-merge-patch+json" and not kind.custom:
            # Strategic merge on built-in kinds; this fake merges lists as a merge patch does
            # (replacing them), where the real server merges keyed lists (containers by name).
            return dict(merge_patch(current, request.body))
        if content_type == "application/apply-patch+yaml":
            if not request.param("fieldManager"):
                raise ApiFailure(
                    422,
                    "Invalid",
                    'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: '
                    "is required for apply patch",
                )
            # Field ownership and conflicts are not modelled: applied fields win as in a merge.
            return dict(merge_patch(current, request.body))
        accepted = ["application/json-patch+json", "application/merge-patch+json"]
        if not kind.custom:
            accepted.append("application/strategic-merge-patch+json")
        accepted.append("application/apply-patch+yaml")
        raise ApiFailure(
            415,
            "UnsupportedMediaType",
            f"the body of the request was in an unknown format - accepted media types include: "
            f"{', '.join(accepted)}",
        )

    def _write(self, kind: Kind, current: Obj, updated: Obj) -> None:
        """Store an update: server-set metadata kept, generation bumped on a spec change, and an
        object whose deletion waits for finalizers removed once they are gone."""
        meta, old = updated.setdefault("metadata", {}), current["metadata"]
        for server_set in (
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
        ):
            if server_set in old:
                meta[server_set] = old[server_set]
            else:
                meta.pop(server_set, None)
        meta["name"], meta["generation"] = old["name"], old.get("generation", 1)
        if kind.namespaced:
            meta["namespace"] = old.get("namespace")
        ignored = ("metadata", "status") if kind.status else ("metadata",)
        if {k: v for k, v in updated.items() if k not in ignored} != {
            k: v for k, v in current.items() if k not in ignored
        }:
            meta["generation"] = int(meta["generation"]) + 1
        updated.setdefault("apiVersion", kind.api_version)
        updated.setdefault("kind", kind.kind)
        self._put(updated)

    # -- deletion, and the controllers that finish it

    def _delete(self, kind: Kind, obj: Obj, options: Obj, *, dry_run: bool = False) -> Obj:
        """A DELETE as the registry performs it; the object as it is afterwards."""
        meta = obj["metadata"]
        key = (kind.kind, meta.get("namespace", ""), meta["name"])
        preconditions = options.get("preconditions") or {}
        if preconditions.get("uid") and preconditions["uid"] != meta.get("uid"):
            raise _conflict(
                kind,
                meta["name"],
                f"Precondition failed: UID in precondition: {preconditions['uid']}, "
                f"UID in object meta: {meta.get('uid')}",
            )
        wanted_rv = preconditions.get("resourceVersion")
        if wanted_rv and wanted_rv != meta.get("resourceVersion"):
            raise _conflict(
                kind,
                meta["name"],
                f"Precondition failed: ResourceVersion in precondition: {wanted_rv}, "
                f"ResourceVersion in object meta: {meta.get('resourceVersion')}",
            )
        if dry_run:
            return obj
        grace = options.get("gracePeriodSeconds")
        grace = None if grace is None else int(grace)
        policy = options.get("propagationPolicy") or "Background"
        if meta.get("deletionTimestamp"):
            if kind.kind == "Pod" and grace == 0:
                self._finished.add(key)  # a forced delete does not wait for the kubelet
                self._reconcile()
            return self.store.get(key, obj)
        if policy != "Orphan":
            self._deleted_owners.add(str(meta.get("uid")))
        if kind.kind == "Pod":
            if grace is None:
                grace = int(
                    (obj.get("spec") or {}).get(
                        "terminationGracePeriodSeconds", DEFAULT_GRACE_SECONDS
                    )
                )
            bound = bool((obj.get("spec") or {}).get("nodeName"))
            if bound and grace > 0:
                meta["deletionTimestamp"] = now_iso(grace)
                meta["deletionGracePeriodSeconds"] = grace
                self._deleting[key] = time.monotonic()
                self._put(obj)
                return obj
        if kind.kind == "Namespace":
            meta["deletionTimestamp"] = now_iso()
            meta["deletionGracePeriodSeconds"] = 0
            obj.setdefault("spec", {})["finalizers"] = ["kubernetes"]
            obj.setdefault("status", {})["phase"] = "Terminating"
            self._put(obj)
            return obj
        if policy in ("Foreground", "Orphan"):
            # The garbage collector's finalizers: it deletes the dependents first, or takes
            # the owner references off them, then removes the finalizer.
            meta["finalizers"] = [*(meta.get("finalizers") or []), _GC_FINALIZERS[policy]]
        if meta.get("finalizers"):
            meta["deletionTimestamp"] = now_iso()
            meta["deletionGracePeriodSeconds"] = 0
            self._put(obj)
            return obj
        self._remove(key)
        return obj

    def _orphan(self, uid: str | None) -> None:
        for obj in self.store.values():
            owners = obj["metadata"].get("ownerReferences") or []
            kept = [o for o in owners if o.get("uid") != uid]
            if len(kept) != len(owners):
                obj["metadata"]["ownerReferences"] = kept

    def _remove(self, key: tuple[str, str, str]) -> None:
        self.store.pop(key, None)
        self._deleting.pop(key, None)
        self._finished.discard(key)

    def _reconcile(self) -> None:
        """The kubelet, the garbage collector and the namespace controller, one pass each."""
        now = time.monotonic()
        for key, obj in list(self.store.items()):
            meta = obj["metadata"]
            if not meta.get("deletionTimestamp"):
                owners = meta.get("ownerReferences") or []
                if any(str(o.get("uid")) in self._deleted_owners for o in owners):
                    self._delete(_BY_KIND[key[0]], obj, {})  # the garbage collector
                continue
            if key[0] == "Pod" and key in self._deleting:
                done = key in self._finished or (
                    self.kubelet_seconds is not None
                    and now - self._deleting[key] >= self.kubelet_seconds
                )
                if not done:
                    continue
                self._deleting.pop(key)
            if key[0] == "Namespace":
                if not any(k[1] == key[2] for k in self.store):
                    self._remove(key)
                else:
                    for inner_key, inner in list(self.store.items()):
                        if inner_key[1] == key[2] and not inner["metadata"].get(
                            "deletionTimestamp"
                        ):
                            self._delete(
                                _BY_KIND[inner_key[0]], inner, {"propagationPolicy": "Background"}
                            )
                continue
            finalizers = list(meta.get("finalizers") or [])
            if ORPHAN in finalizers:
                self._orphan(meta.get("uid"))
                finalizers.remove(ORPHAN)
            if FOREGROUND in finalizers and not self._dependents(str(meta.get("uid"))):
                finalizers.remove(FOREGROUND)
            meta["finalizers"] = finalizers
            if not finalizers:
                self._remove(key)

    def _dependents(self, uid: str) -> list[Obj]:
        return [
            o
            for o in self.store.values()
            if any(str(r.get("uid")) == uid for r in o["metadata"].get("ownerReferences") or [])
        ]

    # -- subresources

    def _subresource(
        self, request: Request, kind: Kind, namespace: str, name: str, sub: str
    ) -> Reply:
        current = self._existing(kind, namespace, name)
        if sub == "status" and kind.status:
            if request.method in ("PATCH", "PUT"):
                self._check_precondition(request, kind, current)
                patched = self._patched(request, kind, current)
                updated = copy.deepcopy(current)  # the status subresource writes status only
                updated["status"] = patched.get("status")
                self._put(updated)
                return Reply(body=copy.deepcopy(updated))
            return Reply(body=copy.deepcopy(current))
        if sub == "scale" and kind.plural in _SCALABLE:
            if request.method in ("PATCH", "PUT"):
                scale = self._patched(request, kind, self._scale(current))
                updated = copy.deepcopy(current)
                updated["spec"]["replicas"] = int(scale["spec"]["replicas"])
                self._write(kind, current, updated)
                current = updated
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
            return self._evict(request, current, namespace, name)
        # A subresource the kind does not serve (a CRD without `subresources.status`).
        raise _not_found(kind, name)

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

    def _evict(self, request: Request, pod: Obj, namespace: str, name: str) -> Reply:
        """The eviction subresource (pkg/registry/core/pod/storage/eviction.go)."""
        options = dict((request.body or {}).get("deleteOptions") or {})
        pods = _BY_KIND["Pod"]
        success = Reply(
            status=201,
            body={
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Success",
                "code": 201,
            },
        )
        status = pod.get("status") or {}
        if status.get("phase") in ("Succeeded", "Failed", "Pending") or pod["metadata"].get(
            "deletionTimestamp"
        ):
            self._delete(pods, pod, options)  # nothing left to disrupt: no budget applies
            return success
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
            state = budget.setdefault("status", {})
            desired, healthy = (
                int(state.get("desiredHealthy", 0)),
                int(state.get("currentHealthy", 0)),
            )
            if not _ready(pod) and healthy >= desired and desired > 0:
                self._delete(pods, pod, options)  # an unready pod does not count as healthy
                return success
            too_many = "Cannot evict pod as it would violate the pod's disruption budget."
            if int(state.get("observedGeneration", budget["metadata"].get("generation", 1))) < int(
                budget["metadata"].get("generation", 1)
            ):
                message = (
                    f"The disruption budget {budget['metadata']['name']} is still being "
                    "processed by the server."
                )
                raise ApiFailure(
                    429,
                    "TooManyRequests",
                    too_many,
                    {
                        "causes": [{"reason": "DisruptionBudget", "message": message}],
                        "retryAfterSeconds": 10,
                    },
                )
            if int(state.get("disruptionsAllowed", 0)) <= 0:
                message = (
                    f"The disruption budget {budget['metadata']['name']} needs "
                    f"{desired} healthy pods and has {healthy} currently"
                )
                raise ApiFailure(
                    429,
                    "TooManyRequests",
                    too_many,
                    {"causes": [{"reason": "DisruptionBudget", "message": message}]},
                )
            # The registry decrements the budget first, then deletes (a failed delete leaves
            # the allowance used until the disruption controller recomputes it).
            state["disruptionsAllowed"] = int(state["disruptionsAllowed"]) - 1
            state.setdefault("disruptedPods", {})[name] = now_iso()
            self._put(budget)
            self._delete(pods, pod, options)
            return success
        self._delete(pods, pod, options)
        return success

    # -- the API-server proxy

    def _proxy(self, request: Request, kind: Kind, namespace: str, target: str, rest: str) -> Reply:
        """pods|services|nodes/[scheme:]NAME[:PORT]/proxy/...: the target's answer, unchanged
        (pkg/registry/core/{pod,service,node} ResourceLocation)."""
        parts = target.split(":")
        if len(parts) == 3:
            parts = parts[1:]
        name, port = parts[0], parts[1] if len(parts) > 1 else ""
        obj = self._existing(kind, namespace, name)
        if kind.kind == "Pod":
            status = obj.get("status") or {}
            ips = [p.get("ip") for p in status.get("podIPs") or []] or [status.get("podIP")]
            if not ips[0]:
                raise ApiFailure(400, "BadRequest", "address not allowed")
            address = f"{ips[0]}:{port}" if port else str(ips[0])
        elif kind.kind == "Service":
            endpoints = self.store.get(("Endpoints", namespace, name)) or {}
            addresses = [
                a for s in endpoints.get("subsets") or [] for a in s.get("addresses") or []
            ]
            if not addresses:
                raise ApiFailure(
                    503, "ServiceUnavailable", f'no endpoints available for service "{name}"'
                )
            address = f"{addresses[0].get('ip')}:{port}"
        elif kind.kind == "Node":
            address = f"{name}:10250"
        else:
            raise _not_found(kind, name)
        handler = self._upstreams.get((kind.plural, namespace, name, port))
        if handler is None:
            raise ApiFailure(
                503,
                "ServiceUnavailable",
                f"error trying to reach service: dial tcp {address}: connect: connection refused",
            )
        upstream = Request(request.method, "/" + rest, request.query, request.body, request.headers)
        return handler(upstream)

    # -- storage

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


def _ready(pod: Obj) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def forward_to(upstream: str) -> Handler:
    """A `route()` handler that passes proxy requests on to a real server at `upstream`.

    For `.../pods/<pod>:<port>/proxy/<path>` the API server sends `<path>` (query, body, headers)
    to the pod and returns its answer unchanged, any status included; a pod that does not
    accept the connection gives a 503 Status "error trying to reach service".
    """
    import urllib.error
    import urllib.request
    from urllib.parse import urlencode

    def handler(request: Request) -> Reply:
        path = request.path.split("/proxy", 1)[1] or "/"
        query = f"?{urlencode(request.query, doseq=True)}" if request.query else ""
        data = None if request.body is None else json.dumps(request.body).encode()
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() not in ("authorization", "host", "content-length")}  # fmt: skip
        outgoing = urllib.request.Request(
            upstream + path + query, data=data, headers=headers, method=request.method
        )
        try:
            with urllib.request.urlopen(outgoing, timeout=30) as answer:
                status, body, kind = answer.status, answer.read(), answer.headers
        except urllib.error.HTTPError as error:
            status, body, kind = error.code, error.read(), error.headers
        except OSError as error:
            reason = f"error trying to reach service: {error}"
            return Reply(503, ApiFailure(503, "ServiceUnavailable", reason).body())
        return Reply(status, body, kind.get("Content-Type") or "application/json")

    return handler
