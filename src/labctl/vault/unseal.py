"""`labctl vault unseal`: Shamir unseal (and seal migration) of one replica or every sealed one.

Replaces the runbook's `vault operator unseal <key>` repeated per key and pod, which leaves the
keys in shell history and in `ps`. Keys come from a callback (a no-echo prompt), are kept in
memory only for the next replica, and are never printed or logged.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from labctl.vault.connection import VaultNode
from labctl.vault.errors import Refused, VaultError, WaitTimedOut
from labctl.vault.status import ReplicaStatus, replica_status

AskKey = Callable[[str], str]  # prompt -> key ("" to stop)


def auto_unseal_explanation(pod: str, status: ReplicaStatus) -> str:
    return (
        f"{pod} uses auto-unseal ({status.seal_type}) and its seal cannot decrypt the root key: "
        'Vault answered "failed to verify recovery key" at the threshold key. Recovery keys '
        "unseal a replica that an operator sealed (sys/seal) while its seal works; they cannot "
        "replace the seal itself. Check that the KMS key (or the static key) exists and is "
        "enabled, the pod's cloud credentials and its network path to the KMS endpoint, and the "
        "pod's log; then restart the pod. If the key is gone for good, this Vault cannot be "
        "unsealed: its data is encrypted with it. (`--migrate` is only for a seal migration.)"
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


def unseal(
    node: VaultNode, keys: KeyRing, migrate: bool = False, wait: Waiter | None = None
) -> UnsealResult:
    """Submit keys to `node` until it is unsealed or the user stops entering keys.

    After the threshold key a joining Raft node answers `sealed: true, progress: 0` while it
    catches up with the leader: that is success, so wait for it rather than ask for more keys.
    """
    wait = wait or Waiter()
    status = read_seal(node)
    if status.initialized is False:
        raise Refused(f"{node.name} is not initialized: there is nothing to unseal")
    if not status.sealed:
        return UnsealResult(node.name, False, 0, status.threshold, False, "already unsealed")
    migrate = migrate or status.migration  # Vault requires `migrate` on every migration key
    what = "recovery key" if status.auto_unseal else "unseal key"
    index, progress = 0, status.progress
    while True:
        key = keys.key(index, f"{what} {progress + 1}/{status.threshold} for {node.name}")
        if not key:
            return UnsealResult(node.name, True, progress, status.threshold, migrate, "stopped")
        reply = node.call("PUT", "sys/unseal", body={"key": key, "migrate": migrate})
        if reply.status != 200:
            if status.auto_unseal and "recovery key" in reply.errors:
                raise VaultError(auto_unseal_explanation(node.name, status))
            raise VaultError(f"unsealing {node.name}: {reply.errors}")
        index += 1
        sealed, before = reply.body.get("sealed") is True, progress
        progress = int(reply.body.get("progress", 0))
        if sealed and progress == 0 and before + 1 >= (status.threshold or 0):
            wait.until(f"{node.name} to unseal (catching up with the leader)",
                       lambda: read_seal(node).sealed is False)  # fmt: skip
            sealed = False
        elif sealed and progress == before:
            raise VaultError(
                f"{node.name} did not count that key (progress still {progress}/"
                f"{status.threshold}): it was entered already; enter a different key"
            )
        if not sealed:
            note = "unsealed, seal migration started" if migrate else "unsealed"
            return UnsealResult(node.name, False, 0, status.threshold, migrate, note)


def unseal_all(
    nodes: list[VaultNode],
    keys: KeyRing,
    migrate: bool = False,
    only: str | None = None,
    wait: Waiter | None = None,
) -> list[UnsealResult]:
    """Unseal each sealed node in order (or only the one named), stopping at the first the user
    gives up on.

    With several nodes, one that cannot be read (its pod is down) is reported and skipped. A
    node that is not initialized while another one is has not joined Raft yet (`retry_join`
    runs first): wait for it to join, then unseal it.
    """
    wait = wait or Waiter()
    results: list[UnsealResult] = []
    seals: dict[str, ReplicaStatus | None] = {}
    for node in nodes:
        try:
            seals[node.name] = read_seal(node)
        except VaultError as error:
            if len(nodes) == 1 or node.name == only:
                raise
            seals[node.name] = None
            if only is None:
                results.append(UnsealResult(node.name, True, 0, None, False, f"skipped: {error}"))
    cluster_initialized = any(s is not None and s.initialized for s in seals.values())
    for node in nodes:
        status = seals[node.name]
        if status is None or (only is not None and node.name != only):
            continue
        if status.initialized is False and cluster_initialized:
            wait.until(f"{node.name} to join Raft", partial(_initialized, node))
        result = unseal(node, keys, migrate, wait)
        results.append(result)
        if result.sealed:
            break
    return results


def _initialized(node: VaultNode) -> bool:
    return read_seal(node).initialized is True


@dataclass
class Waiter:
    """Polls a condition until it holds or `timeout` seconds pass (then `WaitTimedOut`)."""

    timeout: float = 120.0
    interval: float = 0.5
    sleep: Callable[[float], None] = time.sleep

    def until(self, what: str, done: Callable[[], bool]) -> None:
        deadline = time.monotonic() + self.timeout
        while not done():
            if time.monotonic() > deadline:
                raise WaitTimedOut(f"timed out after {self.timeout:g} s waiting for {what}")
            self.sleep(self.interval)
