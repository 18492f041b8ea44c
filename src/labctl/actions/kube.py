"""The plain Kubernetes steps every action shares, and API errors in words.

`apply_common` performs the verbs that are one API call (patch, delete, scale); action modules
handle their own verbs (evict, wait, ...) and hand the rest here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from labctl.actions.plan import ActionFailed, Step

if TYPE_CHECKING:
    from lightkube import ApiError, Client


def resource(kind: str) -> Any:
    """The lightkube class for a kind name used in plan steps."""
    from lightkube.resources.apps_v1 import DaemonSet, Deployment, ReplicaSet, StatefulSet
    from lightkube.resources.batch_v1 import Job
    from lightkube.resources.core_v1 import Node, Pod
    from lightkube.resources.policy_v1 import PodDisruptionBudget

    from labctl.cluster.crds import Application

    table: dict[str, Any] = {
        "Node": Node,
        "Pod": Pod,
        "Deployment": Deployment,
        "StatefulSet": StatefulSet,
        "DaemonSet": DaemonSet,
        "ReplicaSet": ReplicaSet,
        "Job": Job,
        "PodDisruptionBudget": PodDisruptionBudget,
        "Application": Application,
    }
    if kind not in table:
        raise ValueError(f"no resource class for kind {kind!r}")
    return table[kind]


def apply_common(client: Client, step: Step) -> str:
    """Perform a one-call step: `patch` (merge), `delete` (body: gracePeriodSeconds,
    propagationPolicy), `scale` (body: replicas)."""
    from lightkube import ApiError
    from lightkube.types import CascadeType, PatchType

    cls = resource(step.kind)
    body = dict(step.body or {})
    namespace = step.namespace
    try:
        if step.verb == "patch":
            client.patch(cls, step.name, body, namespace=namespace, patch_type=PatchType.MERGE)
            return "patched"
        if step.verb == "scale":
            patch = {"spec": {"replicas": int(body["replicas"])}}
            client.patch(cls.Scale, step.name, patch, namespace=namespace)
            return f"scaled to {body['replicas']}"
        if step.verb == "delete":
            cascade = {"Background": CascadeType.BACKGROUND, "Foreground": CascadeType.FOREGROUND}
            client.delete(
                cls,
                step.name,
                namespace=namespace,
                grace_period=body.get("gracePeriodSeconds"),
                cascade=cascade.get(body.get("propagationPolicy", ""), CascadeType.BACKGROUND),
            )
            return "deleted"
    except ApiError as error:
        if step.verb == "delete" and status_code(error) == 404:
            return "already gone"
        raise ActionFailed(f"{step.verb} {step.target}: {api_error_message(error)}") from error
    raise ValueError(f"unknown step verb {step.verb!r}")


def status_code(error: ApiError) -> int:
    return int(error.status.code or error.response.status_code)


def api_error_message(error: ApiError) -> str:
    """'403 Forbidden: <server message>', plus the causes the server gave."""
    status = error.status
    code = status_code(error)
    text = f"{code} {status.reason or ''}".strip() + f": {status.message or 'no message'}"
    causes = (status.details.causes or []) if status.details else []
    details = "; ".join(c.message for c in causes if c.message)
    return f"{text} ({details})" if details else text
