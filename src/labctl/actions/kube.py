"""The plain Kubernetes reads and steps every action shares, and API errors in words.

`get_json` and `list_json` read objects as the API server sends them (plain dicts, like the
health snapshot), so planning never depends on a client model accepting every field; errors
are lightkube's `ApiError` as for every other call. `apply_common` performs the verbs that are
one API call (patch, delete, scale); action modules handle their own verbs (evict, wait, ...).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote, urlencode

from labctl.actions.plan import ActionFailed, Retry, Step

if TYPE_CHECKING:
    from lightkube import ApiError, Client


def resource(kind: str) -> Any:
    """The lightkube class for a kind name used in plans and reads."""
    from lightkube.resources import apps_v1, autoscaling_v2, batch_v1, core_v1, policy_v1

    from labctl.cluster import crds

    table: dict[str, Any] = {
        "Node": core_v1.Node,
        "Pod": core_v1.Pod,
        "Event": core_v1.Event,
        "PersistentVolumeClaim": core_v1.PersistentVolumeClaim,
        "PersistentVolume": core_v1.PersistentVolume,
        "Deployment": apps_v1.Deployment,
        "StatefulSet": apps_v1.StatefulSet,
        "DaemonSet": apps_v1.DaemonSet,
        "ReplicaSet": apps_v1.ReplicaSet,
        "Job": batch_v1.Job,
        "HorizontalPodAutoscaler": autoscaling_v2.HorizontalPodAutoscaler,
        "PodDisruptionBudget": policy_v1.PodDisruptionBudget,
        "Application": crds.Application,
        "Certificate": crds.Certificate,
        "CertificateRequest": crds.CertificateRequest,
        "Issuer": crds.Issuer,
        "ClusterIssuer": crds.ClusterIssuer,
        "LonghornVolume": crds.LonghornVolume,
    }
    if kind not in table:
        raise ValueError(f"no resource class for kind {kind!r}")
    return table[kind]


Obj = dict[str, Any]


def api_path(kind: str, namespace: str | None = None, name: str | None = None) -> str:
    """The REST path of a kind's collection (all namespaces when `namespace` is None or '*'),
    or of one object."""
    info = resource(kind)._api_info
    group, version = info.resource.group, info.resource.version
    root = f"/apis/{group}/{version}" if group else f"/api/{version}"
    where = f"/namespaces/{quote(namespace)}" if namespace and namespace != "*" else ""
    tail = f"/{quote(name)}" if name else ""
    return f"{root}{where}/{info.plural}{tail}"


def get_json(client: Client, kind: str, name: str, namespace: str | None = None) -> Obj:
    obj: Obj = _read(client, api_path(kind, namespace, name))
    obj.setdefault("kind", kind)
    return obj


def list_json(
    client: Client,
    kind: str,
    namespace: str | None = "*",
    *,
    fields: dict[str, str] | None = None,
    labels: dict[str, str] | Obj | None = None,
    page: int = 500,
) -> list[Obj]:
    """Every object of a kind, page by page (limit/continue). `labels` is a dict of equalities
    or a LabelSelector object (matchLabels, matchExpressions)."""
    query: dict[str, Any] = {"limit": page}
    if fields:
        query["fieldSelector"] = ",".join(f"{k}={v}" for k, v in fields.items())
    if labels:
        selector = labels if {"matchLabels", "matchExpressions"} & set(labels) else None
        query["labelSelector"] = selector_string(selector or {"matchLabels": labels})
    items: list[Obj] = []
    while True:
        body = _read(client, f"{api_path(kind, namespace)}?{urlencode(query)}")
        for item in body.get("items") or []:
            item.setdefault("kind", kind)
            items.append(item)
        token = (body.get("metadata") or {}).get("continue")
        if not token:
            return items
        query["continue"] = token


def selector_string(selector: Obj) -> str:
    """A LabelSelector object in the API's query syntax (`k=v`, `k in (a,b)`, `!k`, ...)."""
    terms = [f"{k}={v}" for k, v in (selector.get("matchLabels") or {}).items()]
    for expression in selector.get("matchExpressions") or []:
        key, values = expression.get("key"), ",".join(expression.get("values") or [])
        terms.append(
            {
                "In": f"{key} in ({values})",
                "NotIn": f"{key} notin ({values})",
                "Exists": str(key),
                "DoesNotExist": f"!{key}",
            }[str(expression.get("operator"))]
        )
    return ",".join(terms)


MERGE_PATCH = "application/merge-patch+json"


def request_json(
    client: Client,
    method: str,
    path: str,
    body: Any = None,
    content_type: str = "application/json",
) -> Obj:
    """One API call with a JSON body on the client's authenticated connection; the answer as a
    dict. Non-2xx answers raise lightkube's `ApiError` (with the server's Status), so callers
    handle every error the same way; transport errors and timeouts raise `httpx2.HTTPError`."""
    from labctl.cluster.client import _http

    content = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": content_type} if body is not None else {}
    response = _http(client).request(method, path, content=content, headers=headers)
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if 200 <= response.status_code < 300 and isinstance(answer, dict):
        return answer
    raise _api_error(response.status_code, answer, response.content)


def _read(client: Client, path: str) -> Any:
    return request_json(client, "GET", path)


def _api_error(code: int, answer: Any, raw: bytes) -> ApiError:
    from lightkube import ApiError
    from lightkube.models.meta_v1 import Status

    given = answer if isinstance(answer, dict) and answer.get("kind") == "Status" else {}
    status = {
        "code": code,
        "reason": given.get("reason") or ("Error" if code >= 300 else "UnexpectedBody"),
        "message": given.get("message") or raw.decode("utf-8", "replace")[:200].strip(),
        "details": given.get("details"),
    }
    return ApiError(status=cast(Status, Status.from_dict(status)))


def apply_common(client: Client, step: Step) -> str:
    """Perform a one-call step: `patch` (merge), `delete` (body: gracePeriodSeconds,
    propagationPolicy), `scale` (body: replicas)."""
    from lightkube import ApiError

    body = dict(step.body or {})
    path = api_path(step.kind, step.namespace, step.name)
    try:
        if step.verb == "patch":
            request_json(client, "PATCH", path, body, MERGE_PATCH)
            return "patched"
        if step.verb == "scale":
            patch = {"spec": {"replicas": int(body["replicas"])}}
            request_json(client, "PATCH", f"{path}/scale", patch, MERGE_PATCH)
            return f"scaled to {body['replicas']}"
        if step.verb == "delete":
            options = {
                "kind": "DeleteOptions",
                "apiVersion": "v1",
                "propagationPolicy": body.get("propagationPolicy", "Background"),
            }
            if body.get("gracePeriodSeconds") is not None:
                options["gracePeriodSeconds"] = body["gracePeriodSeconds"]
            if body.get("uid"):
                options["preconditions"] = {"uid": body["uid"]}
            return deleted(request_json(client, "DELETE", path, options))
    except ApiError as error:
        if step.verb == "delete" and status_code(error) == 404:
            return "already gone"
        raise ActionFailed(f"{step.verb} {step.target}: {api_error_message(error)}") from error
    raise ValueError(f"unknown step verb {step.verb!r}")


def pods_gone(client: Client, pods: list[Obj], poll_interval: float) -> str:
    """One poll: `Retry` while any of `pods` ({namespace, name, uid}) is still in the API. A pod
    of the same name with another uid is a replacement: the one asked about is gone."""
    from lightkube import ApiError

    waiting = []
    for pod in pods:
        try:
            current = get_json(client, "Pod", pod["name"], pod["namespace"])
        except ApiError as error:
            if status_code(error) == 404:
                continue
            raise ActionFailed(f"reading pod {pod['name']}: {api_error_message(error)}") from error
        if pod.get("uid") is None or (current.get("metadata") or {}).get("uid") == pod["uid"]:
            waiting.append(f"{pod['namespace']}/{pod['name']}")
    if waiting:
        count = f"{len(waiting)} pod{'s' * (len(waiting) != 1)}"
        raise Retry(f"{count} still terminating: {', '.join(waiting)}", poll_interval)
    return "all pods gone"


def deleted(answer: Obj) -> str:
    """What a DELETE's answer says happened. A pod bound to a node is only marked for deletion
    (`deletionTimestamp`) and stays Terminating until its kubelet has stopped it; an object with
    finalizers stays until they are removed; anything else is gone."""
    meta = answer.get("metadata") or {}
    if answer.get("kind") == "Status" or not meta.get("deletionTimestamp"):
        return "deleted"
    if finalizers := [f for f in meta.get("finalizers") or [] if f != "foregroundDeletion"]:
        waiting = ", ".join(finalizers)
        return f"deletion requested: it stays until its finalizers are removed ({waiting})"
    if "foregroundDeletion" in (meta.get("finalizers") or []):
        return "deletion requested: it goes once its dependents are gone (foreground)"
    grace = meta.get("deletionGracePeriodSeconds")
    within = f" within {grace}s" if grace is not None else ""
    return f"Terminating, not gone yet: its kubelet stops it{within}"


def relay_warnings(client: Client, show: Callable[[str], None]) -> None:
    """Show every `Warning` header the API server answers with (deprecations, PodSecurity
    `warn`), once each, as kubectl does: they are advice about the request that succeeded."""
    from labctl.cluster.client import _http

    seen: set[str] = set()

    def hook(response: Any) -> None:
        for value in response.headers.get_list("warning"):
            text = warning_text(value)
            if text and text not in seen:
                seen.add(text)
                show(f"Warning: {text}")

    _http(client).event_hooks["response"].append(hook)


def warning_text(header: str) -> str:
    """The text of an RFC 7234 Warning value (`299 - "text"`, quotes escaped)."""
    code, _, rest = header.strip().partition(" ")
    agent, _, quoted = rest.partition(" ")
    if not (code.isdigit() and agent and quoted.startswith('"')):
        return header.strip()
    body = quoted[1:]
    end = len(body)
    index = 0
    while index < len(body):
        if body[index] == "\\":
            index += 2
            continue
        if body[index] == '"':
            end = index
            break
        index += 1
    return body[:end].replace('\\"', '"').replace("\\\\", "\\")


def status_code(error: ApiError) -> int:
    if error.status.code:
        return int(error.status.code)
    return int(error.response.status_code) if error.response is not None else 0


def api_error_message(error: ApiError) -> str:
    """'403 Forbidden: <server message>', plus the causes the server gave."""
    status = error.status
    code = status_code(error)
    text = f"{code} {status.reason or ''}".strip() + f": {status.message or 'no message'}"
    causes = (status.details.causes or []) if status.details else []
    details = "; ".join(c.message for c in causes if c.message)
    return f"{text} ({details})" if details else text
