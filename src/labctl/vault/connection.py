"""Reaching Vault: each server through the Kubernetes API server's pod proxy, or one address.

Every Vault call, hvac's included, goes through a `requests.Session`. For the pod proxy the
session carries `KubeProxyAdapter`, which sends the request through the API server's pod proxy
on lightkube's authenticated connection, so hvac works unchanged against a pod that has no
route from the laptop. Errors become `VaultError` in one place, `vault_errors()`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from labctl.cluster.client import ClusterError, ClusterTarget
from labctl.vault.errors import VaultError

if TYPE_CHECKING:
    import hvac
    from lightkube import Client

# Headers Vault reads; the API server's proxy passes them on to the pod.
_FORWARDED = ("content-type", "x-vault-token", "x-vault-request", "x-vault-namespace")


@dataclass(frozen=True)
class VaultTarget:
    """Where Vault is: a StatefulSet's pods via the API server, or one `address` (VAULT_ADDR)."""

    address: str | None = None
    namespace: str = "vault"
    statefulset: str = "vault"
    port: int = 8200
    scheme: str = "http"  # the pod listener's scheme, as the API server must speak it
    cluster: ClusterTarget = field(default_factory=ClusterTarget)
    ca_cert: str | None = None  # VAULT_CACERT, for `address`
    timeout: float = 10.0


@dataclass(frozen=True)
class VaultReply:
    status: int
    body: dict[str, Any]

    @property
    def errors(self) -> str:
        return describe_errors(self.status, self.body)


@dataclass
class VaultNode:
    """One Vault server: `call()` for raw requests (status codes are data), `hvac()` for the API."""

    name: str
    base_url: str
    session: requests.Session
    timeout: float

    def call(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        token: str | None = None,
        params: dict[str, str] | None = None,
    ) -> VaultReply:
        status, content = self.raw(method, path, token=token, json_body=body, params=params)
        return VaultReply(status, parse_json(content))

    def raw(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        data: bytes | None = None,
        json_body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """One request; the status and the body's bytes (a Raft snapshot is binary)."""
        headers = {"X-Vault-Request": "true"}
        if token:
            headers["X-Vault-Token"] = token
        with vault_errors(f"{method} {path} on {self.name}", self.timeout):
            response = self.session.request(
                method,
                f"{self.base_url}/v1/{path.lstrip('/')}",
                json=json_body,
                data=data,
                params=params,
                headers=headers,
                timeout=self.timeout,
            )
        return response.status_code, response.content

    def hvac(self, token: str | None = None) -> hvac.Client:
        import hvac

        # strict_http: LIST becomes GET ?list=true, which every proxy passes on.
        return hvac.Client(
            url=self.base_url,
            token=token,
            session=self.session,
            timeout=self.timeout,
            strict_http=True,
        )


def kubernetes_login(node: VaultNode, role: str, jwt_file: str, mount: str = "kubernetes") -> str:
    """A token from Vault's Kubernetes auth for this pod's service-account token in `jwt_file`."""
    try:
        jwt = Path(jwt_file).read_text().strip()
    except OSError as error:
        raise VaultError(
            f"cannot read the service-account token {jwt_file}: {error.strerror}"
        ) from error
    reply = node.call("POST", f"auth/{mount}/login", body={"role": role, "jwt": jwt})
    token = (reply.body.get("auth") or {}).get("client_token") if reply.status == 200 else None
    if not token:
        raise VaultError(f"Kubernetes auth as role {role!r} on {node.name}: {reply.errors}")
    return str(token)


def nodes(target: VaultTarget, kube: Client | None = None) -> list[VaultNode]:
    """Every server of `target`: the StatefulSet's pods in ordinal order, or the one address."""
    if target.address:
        session = requests.Session()
        session.verify = target.ca_cert or True
        return [VaultNode(target.address, target.address.rstrip("/"), session, target.timeout)]
    kube = kube or connect_kube(target)
    return [proxy_node(kube, target, pod) for pod in pod_names(kube, target)]


def connect_kube(target: VaultTarget) -> Client:
    from labctl.cluster.client import connect

    try:
        return connect(target.cluster)
    except ClusterError as error:
        raise VaultError(str(error)) from error


def pod_names(kube: Client, target: VaultTarget) -> list[str]:
    """The StatefulSet's pods, `<sts>-0` up to its replica count, plus any extra running ones."""
    import httpx2
    from lightkube import ApiError
    from lightkube.resources.apps_v1 import StatefulSet
    from lightkube.resources.core_v1 import Pod

    try:
        sts = kube.get(StatefulSet, target.statefulset, namespace=target.namespace)
        labels = (sts.spec.selector.matchLabels or {}) if sts.spec else {}
        listed = kube.list(Pod, namespace=target.namespace, labels=labels)
        pods = [p.metadata.name for p in listed if p.metadata and p.metadata.name]
    except ApiError as error:
        raise VaultError(
            f"cannot read StatefulSet {target.namespace}/{target.statefulset}: "
            f"{error.status.message}"
        ) from error
    except httpx2.HTTPError as error:
        raise VaultError(f"cannot reach the Kubernetes API server: {unreachable(error)}") from error
    replicas = (sts.spec.replicas if sts.spec else None) or 0
    names = {f"{target.statefulset}-{i}" for i in range(replicas)}
    names |= {n for n in pods if re.fullmatch(rf"{target.statefulset}-\d+", n)}
    return sorted(names, key=lambda n: int(n.rsplit("-", 1)[1]))


def proxy_node(kube: Client, target: VaultTarget, pod: str) -> VaultNode:
    session = requests.Session()
    base = f"http://{pod}.{target.namespace}.pod-proxy"  # never dialled: the adapter routes it
    session.mount(base, KubeProxyAdapter(kube, target.namespace, pod, target.port, target.scheme))
    return VaultNode(pod, base, session, target.timeout)


class KubeProxyAdapter(BaseAdapter):
    """A requests transport that sends each request through the API server's pod proxy."""

    def __init__(self, kube: Client, namespace: str, pod: str, port: int, scheme: str) -> None:
        super().__init__()
        self.kube, self.namespace, self.pod, self.port = kube, namespace, pod, port
        self.scheme = "" if scheme == "http" else scheme

    def send(
        self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
        verify: Any = True, cert: Any = None, proxies: Any = None,
    ) -> requests.Response:  # fmt: skip
        import httpx2

        from labctl.cluster.client import pod_proxy_path, proxy_request

        url = urlsplit(request.url or "")
        path = pod_proxy_path(self.namespace, self.pod, self.port, url.path, self.scheme)
        headers = {
            k: v if isinstance(v, str) else v.decode()
            for k, v in request.headers.items()
            if k.lower() in _FORWARDED
        }
        body = request.body.encode() if isinstance(request.body, str) else request.body
        seconds = timeout[-1] if isinstance(timeout, tuple) else timeout
        try:
            reply = proxy_request(
                self.kube,
                request.method or "GET",
                path + (f"?{url.query}" if url.query else ""),
                content=body if isinstance(body, bytes) else None,
                headers=headers,
                timeout=seconds,
            )
        except httpx2.TimeoutException as error:
            raise requests.exceptions.Timeout(str(error), request=request) from error
        except httpx2.HTTPError as error:
            raise requests.exceptions.ConnectionError(str(error), request=request) from error
        response = requests.Response()
        response.status_code = reply.status
        response._content = reply.body
        response.headers = CaseInsensitiveDict({"Content-Type": _media_type(reply.content_type)})
        response.encoding = "utf-8"
        response.url = request.url or ""
        response.reason = _reason(reply.status)
        response.request = request
        return response

    def close(self) -> None:
        return


@contextmanager
def vault_errors(what: str, timeout: float | None = None) -> Iterator[None]:
    """Turn hvac's and requests' exceptions into a `VaultError` that says what to do."""
    import hvac.exceptions

    try:
        yield
    except hvac.exceptions.VaultError as error:
        status = _status_of(error)
        body = (
            error.json if isinstance(error.json, dict) else parse_json((error.text or "").encode())
        )
        if not body and error.errors:
            body = {"errors": list(error.errors)}
        raise VaultError(f"{what}: {describe_errors(status, body)}") from error
    except requests.exceptions.Timeout as error:
        limit = f" within {timeout:g} s" if timeout else " in time"
        raise VaultError(
            f"{what}: no answer{limit}. Is Vault running and reachable? "
            "(raise --timeout for a slow link)"
        ) from error
    except requests.exceptions.RequestException as error:
        raise VaultError(f"{what}: {unreachable(error)}") from error


def unreachable(error: Exception) -> str:
    """One line for a transport failure, naming the likely cause (a closed port, http/https)."""
    text = str(error)
    if "SSL" in type(error).__name__ or "WRONG_VERSION_NUMBER" in text or "record layer" in text:
        return "TLS handshake failed: is the address http://, not https://? (or check VAULT_CACERT)"
    if "refused" in text.lower():
        return "connection refused: nothing listens there (wrong address or port, or it is down)"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "the host name does not resolve"
    return f"cannot connect ({type(error).__name__})"


def describe_errors(status: int, body: dict[str, Any]) -> str:
    """One line for a failed Vault answer: what Vault said, and what to do about it."""
    if body.get("kind") == "Status":  # the API server itself answered, not Vault
        return f"the API server could not reach Vault ({status}): {body.get('message', '')}"
    said = "; ".join(str(e) for e in body.get("errors") or []) or _reason(status)
    if "HTTP request to an HTTPS server" in said:
        return "the server speaks https: use an https:// address (or --pod-scheme https)"
    hint = {
        400: "Vault refused the request",
        403: "permission denied: the token has no policy allowing this path "
        "(use a token with the right policy, or a root token from `labctl vault generate-root`)",
        404: "not found",
        429: "this server is a standby",
        501: "Vault is not initialized",
        503: "Vault is sealed or unavailable (see `labctl vault status`, `labctl vault unseal`)",
    }.get(status, "Vault failed" if status >= 500 else "unexpected answer")
    return f"{hint} ({status}: {said})" if said != hint else f"{hint} ({status})"


def _status_of(error: Exception) -> int:
    import hvac.exceptions as e

    codes: dict[type[Exception], int] = {
        e.InvalidRequest: 400,
        e.Unauthorized: 401,
        e.Forbidden: 403,
        e.InvalidPath: 404,
        e.UnsupportedOperation: 405,
        e.PreconditionFailed: 412,
        e.RateLimitExceeded: 429,
        e.InternalServerError: 500,
        e.VaultNotInitialized: 501,
        e.BadGateway: 502,
        e.VaultDown: 503,
    }
    status = codes.get(type(error))
    if status is None:
        match = re.search(r"\b([1-5]\d\d)\b", str(error))
        status = int(match.group(1)) if match else 500
    return status


def parse_json(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw) if raw.strip() else {}
    except ValueError:
        return {"errors": [raw.decode(errors="replace")[:200]]}
    return value if isinstance(value, dict) else {}


def _media_type(content_type: str) -> str:
    # hvac parses error bodies only when Content-Type is exactly application/json.
    return content_type.split(";")[0].strip() or "application/json"


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
