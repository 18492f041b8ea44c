"""Rolling a Deployment so that each new pod's Vault Agent fetches new credentials.

`kubectl rollout restart` (the restartedAt annotation, as `labctl workloads restart`), then
`kubectl rollout status`'s test: the controller saw the new generation, every replica is
updated and available, no old one is left. The Deployment's own rolling strategy (maxUnavailable,
maxSurge) and readiness gates keep it serving; a pod of TaskApp is ready only when its database
credentials work.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from labctl.vault.errors import Refused, VaultError
from labctl.vault.unseal import Waiter

if TYPE_CHECKING:
    from lightkube import Client


def parse(ref: str) -> tuple[str, str]:
    """'taskapp/taskapp-backend' -> (namespace, name)."""
    namespace, slash, name = ref.partition("/")
    if not slash or not namespace or not name:
        raise Refused(f"--rollout {ref!r}: give NAMESPACE/DEPLOYMENT")
    return namespace, name


def replicas(kube: Client, ref: str) -> int:
    return int((_read(kube, ref).get("spec") or {}).get("replicas") or 1)


def roll(kube: Client, ref: str, wait: Waiter) -> None:
    """Restart every pod of the Deployment `ref` and wait until the rollout is complete."""
    from labctl.actions.workloads import plan_restart, step_applier

    before = _read(kube, ref)
    plan = plan_restart(before, datetime.now(UTC))
    if plan.refusals:
        raise Refused("; ".join(plan.refusals))
    generation = int(before["metadata"].get("generation") or 0)
    _api(lambda: [step_applier(kube)(step) for step in plan.steps], ref)
    wait.until(f"the rollout of {ref}", lambda: _complete(_read(kube, ref), generation))


def _complete(deployment: dict[str, Any], before: int) -> bool:
    status, want = deployment.get("status") or {}, (deployment.get("spec") or {}).get("replicas", 1)
    return (
        int(status.get("observedGeneration") or 0) > before
        and status.get("updatedReplicas", 0) == want
        and status.get("availableReplicas", 0) >= want
        and status.get("replicas", 0) == want  # no pod of the old template left
    )


def _read(kube: Client, ref: str) -> dict[str, Any]:
    from labctl.actions.kube import get_json

    namespace, name = parse(ref)
    read: dict[str, Any] = _api(lambda: get_json(kube, "Deployment", name, namespace), ref)
    return read


def _api(call: Any, ref: str) -> Any:
    from lightkube import ApiError

    try:
        return call()
    except ApiError as error:
        raise VaultError(f"deployment {ref}: {error.status.message}") from error
