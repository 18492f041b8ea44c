"""`labctl vault unseal`: Shamir unseal (and seal migration) of one replica or every sealed one.

Replaces the runbook's `vault operator unseal <key>` repeated per key and pod, which leaves the
keys in shell history and in `ps`. Keys come from a callback (a no-echo prompt), are kept in
memory only for the next replica, and are never printed or logged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from labctl.vault.connection import VaultNode
from labctl.vault.errors import Refused, VaultError
from labctl.vault.status import ReplicaStatus, replica_status

AskKey = Callable[[str], str]  # prompt -> key ("" to stop)


def auto_unseal_explanation(pod: str, status: ReplicaStatus) -> str:
    return (
        f"{pod} uses auto-unseal ({status.seal_type}): it unseals itself with the KMS key and "
        "the keys you hold are recovery keys. Recovery keys cannot unseal it: they only "
        "authorize generate-root and rekey. It is sealed, so Vault cannot use the KMS key "
        "now. Check that the key exists and is enabled, the pod's cloud credentials and its "
        "network path to the KMS endpoint, and the pod's log; then restart the pod. If the "
        "KMS key is gone for good, this Vault cannot be unsealed: its data is encrypted with "
        "it. (`--migrate` is only for a seal migration, after the seal configuration changed.)"
    )


@dataclass
class KeyRing:
    """Keys entered so far: the same Shamir shares unseal every replica, so ask once."""

    ask: AskKey
    _keys: list[str] = field(default_factory=list)

    def key(self, index: int, prompt: str) -> str:
        while len(self._keys) <= index:
            key = self.ask(prompt).strip()
            if not key:
                return ""
            self._keys.append(key)
        return self._keys[index]


@dataclass(frozen=True)
class UnsealResult:
    pod: str
    sealed: bool  # True also when the pod could not be read
    progress: int
    threshold: int | None
    migrated: bool
    note: str


def read_seal(node: VaultNode) -> ReplicaStatus:
    reply = node.call("GET", "sys/seal-status")
    if reply.status != 200:
        raise VaultError(f"reading the seal status of {node.name}: {reply.errors}")
    return replica_status(seal_status=reply.body)


def unseal(node: VaultNode, keys: KeyRing, migrate: bool = False) -> UnsealResult:
    """Submit keys to `node` until it is unsealed or the user stops entering keys."""
    status = read_seal(node)
    if status.initialized is False:
        raise Refused(f"{node.name} is not initialized: there is nothing to unseal")
    if not status.sealed:
        return UnsealResult(node.name, False, 0, status.threshold, False, "already unsealed")
    migrate = migrate or status.migration  # Vault requires `migrate` on every migration key
    if status.auto_unseal and not migrate:
        raise Refused(auto_unseal_explanation(node.name, status))
    index, progress = 0, status.progress
    while True:
        what = "recovery key" if status.auto_unseal else "unseal key"
        key = keys.key(index, f"{what} {progress + 1}/{status.threshold} for {node.name}")
        if not key:
            return UnsealResult(node.name, True, progress, status.threshold, migrate, "stopped")
        reply = node.call("PUT", "sys/unseal", body={"key": key, "migrate": migrate})
        if reply.status != 200:
            raise VaultError(f"unsealing {node.name}: {reply.errors}")
        index += 1
        sealed, progress = reply.body.get("sealed") is True, int(reply.body.get("progress", 0))
        if not sealed:
            note = "unsealed, seal migration started" if migrate else "unsealed"
            return UnsealResult(node.name, False, 0, status.threshold, migrate, note)


def unseal_all(nodes: list[VaultNode], keys: KeyRing, migrate: bool = False) -> list[UnsealResult]:
    """Unseal each sealed node in order, stopping at the first the user gives up on.

    With several nodes, one that cannot be read (its pod is down) is reported and skipped.
    """
    results: list[UnsealResult] = []
    for node in nodes:
        try:
            read_seal(node)
        except VaultError as error:
            if len(nodes) == 1:
                raise
            results.append(UnsealResult(node.name, True, 0, None, False, f"skipped: {error}"))
            continue
        result = unseal(node, keys, migrate)
        results.append(result)
        if result.sealed:
            break
    return results
