"""Connecting to a cluster, and the raw reads lightkube has no typed call for.

Everything that talks to the Kubernetes API gets its client from `connect()`, so timeouts and
error wording are the same everywhere. API-server proxy reads (Vault's status endpoints,
Alertmanager's API, kubelet stats) go through `proxy_get()` on the client's own authenticated
HTTP connection.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx2
    from lightkube import Client

DEFAULT_TIMEOUT = 10.0


class ClusterError(Exception):
    """A cluster could not be reached or configured; the message says what to do."""


@dataclass(frozen=True)
class ClusterTarget:
    """Which cluster to talk to: kubectl's --kubeconfig and --context."""

    kubeconfig: Path | None = None
    context: str | None = None
    timeout: float = DEFAULT_TIMEOUT


def connect(target: ClusterTarget | None = None) -> Client:
    """A lightkube client for `target` (by default the current kubectl context)."""
    import httpx2
    import yaml
    from lightkube import Client, ConfigError, KubeConfig

    target = target or ClusterTarget()
    where = target.kubeconfig or "$KUBECONFIG or ~/.kube/config"
    try:
        if target.kubeconfig is not None:
            config = KubeConfig.from_file(target.kubeconfig)
        else:
            config = KubeConfig.from_env()
        single = config.get(context_name=target.context)
    except (ConfigError, OSError, ValueError, yaml.YAMLError) as error:
        raise ClusterError(f"cannot load a kubeconfig from {where}: {error}") from error
    except (TypeError, KeyError, AttributeError, IndexError) as error:
        # lightkube reads the YAML as it comes: a list where a map belongs fails like this
        raise ClusterError(f"cannot load a kubeconfig from {where}: malformed ({error})") from error
    return Client(single, timeout=httpx2.Timeout(target.timeout), field_manager="labctl")


@dataclass(frozen=True)
class ProxyResponse:
    status: int
    body: bytes
    content_type: str = ""

    def json(self) -> Any:
        import json

        return json.loads(self.body)


def _http(client: Client) -> httpx2.Client:
    # lightkube exposes no raw request call; its GenericClient keeps the authenticated
    # httpx client (base URL, TLS, bearer/exec auth) here.
    http: httpx2.Client = client._client._client
    return http


def server_url(client: Client) -> str:
    """The API server's URL, as the kubeconfig gives it."""
    return str(_http(client).base_url).rstrip("/")


def proxy_get(client: Client, path: str, timeout: float | None = None) -> ProxyResponse:
    """GET an API-server path (e.g. a pod or service proxy URL) without raising on non-2xx.

    Vault's sys/health answers 429, 472, 473, 501 and 503 by design, so the caller decides
    what a status means. Transport errors and timeouts raise `httpx2.HTTPError`.
    """
    kwargs: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
    response = _http(client).get(path, **kwargs)
    return ProxyResponse(status=response.status_code, body=response.content)


def proxy_request(
    client: Client,
    method: str,
    path: str,
    *,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float | None = None,
) -> ProxyResponse:
    """Any method on an API-server proxy path (Vault writes go through here), not raising on
    non-2xx. `path` may carry a query string. Transport errors raise `httpx2.HTTPError`."""
    kwargs: dict[str, Any] = {} if timeout is None else {"timeout": timeout}
    response = _http(client).request(method, path, content=content, headers=headers, **kwargs)
    return ProxyResponse(
        status=response.status_code,
        body=response.content,
        content_type=response.headers.get("content-type", ""),
    )


def pod_proxy_path(namespace: str, pod: str, port: int | str, path: str, scheme: str = "") -> str:
    prefix = f"{scheme}:" if scheme else ""
    return f"/api/v1/namespaces/{namespace}/pods/{prefix}{pod}:{port}/proxy/{path.lstrip('/')}"


def service_proxy_path(
    namespace: str, service: str, port: int | str, path: str, scheme: str = ""
) -> str:
    prefix = f"{scheme}:" if scheme else ""
    return (
        f"/api/v1/namespaces/{namespace}/services/{prefix}{service}:{port}/proxy/{path.lstrip('/')}"
    )


def node_proxy_path(node: str, path: str) -> str:
    return f"/api/v1/nodes/{node}/proxy/{path.lstrip('/')}"


def serving_certificate(client: Client, timeout: float) -> dict[str, str] | None:
    """The API server's serving certificate from a TLS handshake: subject, issuer, notBefore,
    notAfter (RFC 3339). None when the server is not reached over https.

    The handshake does not verify: it reads the dates whatever the trust (an expired
    certificate must still be reported); the API calls themselves verify as configured.
    """
    import socket
    import ssl

    url = _http(client).base_url
    if url.scheme != "https" or not url.host:
        return None
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection((url.host, url.port or 443), timeout=timeout) as raw,
        context.wrap_socket(raw, server_hostname=url.host) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    return None if der is None else certificate_fields(der)


def certificate_fields(der: bytes) -> dict[str, str]:
    """Subject, issuer and validity of a DER X.509 certificate (RFC 5280 section 4.1)."""
    tbs = _children(_children(der)[0][1])[0][1]  # Certificate -> TBSCertificate
    fields = _children(tbs)
    if fields[0][0] == 0xA0:  # [0] version
        fields = fields[1:]
    issuer, validity, subject = fields[2][1], fields[3][1], fields[4][1]
    not_before, not_after = (_time(tag, value) for tag, value in _children(validity))
    return {
        "subject": _name(subject),
        "issuer": _name(issuer),
        "notBefore": not_before,
        "notAfter": not_after,
    }


def _children(data: bytes) -> list[tuple[int, bytes]]:
    """The (tag, content) of each DER element in `data`."""
    out: list[tuple[int, bytes]] = []
    i = 0
    while i < len(data):
        tag, length = data[i], data[i + 1]
        i += 2
        if length & 0x80:
            size = length & 0x7F
            length = int.from_bytes(data[i : i + size], "big")
            i += size
        out.append((tag, data[i : i + length]))
        i += length
    return out


def _time(tag: int, value: bytes) -> str:
    text = value.decode()
    if tag == 0x17:  # UTCTime YYMMDDHHMMSSZ: 50-99 are 19xx (RFC 5280 4.1.2.5.1)
        text = ("19" if int(text[:2]) >= 50 else "20") + text
    return f"{text[0:4]}-{text[4:6]}-{text[6:8]}T{text[8:10]}:{text[10:12]}:{text[12:14]}Z"


_ATTRIBUTES = {b"\x55\x04\x03": "CN", b"\x55\x04\x0a": "O", b"\x55\x04\x0b": "OU"}


def _name(data: bytes) -> str:
    """`CN=kube-apiserver` from an X.501 Name (CN, O and OU attributes)."""
    parts: list[str] = []
    for _, rdn in _children(data):
        for _, pair in _children(rdn):
            (_, oid), (_, value) = _children(pair)[:2]
            if oid in _ATTRIBUTES:
                parts.append(f"{_ATTRIBUTES[oid]}={value.decode(errors='replace')}")
    return ",".join(parts)
