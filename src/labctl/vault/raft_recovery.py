"""`labctl vault recover-raft`: the runbook's lost-quorum procedure, as a plan and its execution.

Raft needs a majority of voters to elect a leader; when too many are lost for good, the survivors
must be told the new membership through `raft/peers.json` (ops-apis 1.4):

1. stop every server (scale the StatefulSet to 0): peers.json is read at startup;
2. per survivor, a helper pod mounting its data PVC writes `/vault/data/raft/peers.json`, the
   same file on every survivor, listing only the survivors (`<pod>.<service>:8201`);
3. remove the helpers, scale up to the survivors, unseal (with `migrate` during a migration);
4. verify: one active server, the Raft peers are exactly the survivors.

It refuses while any replica is active (a quorum exists: use `vault operator raft remove-peer`)
and when the survivors are not the lowest ordinals (a StatefulSet cannot start vault-1 without
vault-0, and an omitted server must never come back with its old data).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labctl.vault.connection import VaultNode
from labctl.vault.errors import Refused, VaultError, WaitTimedOut
from labctl.vault.overview import Overview, read_overview, read_replica
from labctl.vault.status import ReplicaState
from labctl.vault.unseal import KeyRing, Waiter, auto_unseal_explanation, read_seal, unseal

if TYPE_CHECKING:
    from lightkube import Client

CLUSTER_PORT = 8201
DATA_PATH = "/vault/data"
# Runs in the helper pod; PEERS_JSON and NODE_ID come from its environment.
HELPER_SCRIPT = f"""set -eu
test -d {DATA_PATH}/raft || {{ echo "{DATA_PATH}/raft missing: no Raft data here" >&2; exit 2; }}
if [ -f {DATA_PATH}/node-id ] && [ "$(cat {DATA_PATH}/node-id)" != "$NODE_ID" ]; then
  echo "this server's node id is $(cat {DATA_PATH}/node-id), not $NODE_ID: pass --node-id" >&2
  exit 3
fi
printf '%s\\n' "$PEERS_JSON" > {DATA_PATH}/raft/peers.json
echo "wrote {DATA_PATH}/raft/peers.json"
"""


@dataclass(frozen=True)
class Step:
    """One API call (or wait) of the plan, with the reason for it."""

    verb: str  # PATCH, POST, DELETE, WAIT, UNSEAL, VERIFY
    target: str
    why: str


@dataclass(frozen=True)
class RecoveryPlan:
    namespace: str
    statefulset: str
    survivors: list[str]
    peers: list[dict[str, Any]]  # the peers.json content
    replicas_before: int
    helper_pods: dict[str, dict[str, Any]]  # survivor -> Pod manifest
    steps: list[Step]
    after: list[str] = field(default_factory=list)  # manual follow-ups, not executed

    @property
    def peers_json(self) -> str:
        return json.dumps(self.peers)


def ordinal(pod: str) -> int:
    return int(pod.rsplit("-", 1)[1])


def choose_survivors(overview: Overview, named: list[str]) -> list[str]:
    """The survivors: those named, else every replica that still answers."""
    active = [r.name for r in overview.replicas if r.status.state is ReplicaState.ACTIVE]
    if active:
        raise Refused(
            f"Vault has a Raft quorum ({', '.join(active)} is active): recover-raft is only for "
            "a cluster that lost it. Remove a dead peer with `vault operator raft remove-peer`."
        )
    survivors = named or [
        r.name for r in overview.replicas if r.status.state is not ReplicaState.UNKNOWN
    ]
    if not survivors:
        raise Refused("no replica answers: name the surviving servers with --peer POD")
    return sorted(set(survivors), key=ordinal)


def plan_recovery(
    sts: dict[str, Any],
    overview: Overview,
    survivors: list[str] | None = None,
    node_ids: dict[str, str] | None = None,
    helper_image: str | None = None,
) -> RecoveryPlan:
    """A plan for the StatefulSet `sts` (its manifest as a dict), or `Refused`."""
    meta, spec = sts["metadata"], sts["spec"]
    name, namespace = meta["name"], meta["namespace"]
    chosen = choose_survivors(overview, survivors or [])
    if any(not re.fullmatch(rf"{re.escape(name)}-\d+", p) for p in chosen):
        raise Refused(f"survivors must be pods of StatefulSet {name}: {', '.join(chosen)}")
    if [ordinal(p) for p in chosen] != list(range(len(chosen))):
        raise Refused(
            f"the survivors ({', '.join(chosen)}) are not {name}-0 up to {name}-"
            f"{len(chosen) - 1}: a StatefulSet starts pods in order, so a lower-numbered pod "
            "left out would start with its old data. Recover by hand, or include it."
        )
    ids = {p: (node_ids or {}).get(p, p) for p in chosen}
    service = spec.get("serviceName") or f"{name}-internal"
    peers = [
        {"id": ids[p], "address": f"{p}.{service}:{CLUSTER_PORT}", "non_voter": False}
        for p in chosen
    ]
    replicas = int(spec.get("replicas") or 0)
    helpers = {p: helper_pod(sts, p, ids[p], json.dumps(peers), helper_image) for p in chosen}
    return RecoveryPlan(
        namespace=namespace,
        statefulset=name,
        survivors=chosen,
        peers=peers,
        replicas_before=replicas,
        helper_pods=helpers,
        steps=_steps(name, chosen, helpers),
        after=_follow_ups(name, chosen, replicas, _claim(sts)),
    )


def _steps(name: str, survivors: list[str], helpers: dict[str, dict[str, Any]]) -> list[Step]:
    steps = [
        Step("PATCH", f"statefulsets/{name}/scale replicas=0", "stop every server"),
        Step("WAIT", f"pods {name}-* gone", "peers.json is read only at startup"),
    ]
    for pod, manifest in helpers.items():
        helper = manifest["metadata"]["name"]
        claim = manifest["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"]
        steps += [
            Step("POST", f"pods/{helper}", f"mount {claim}, write raft/peers.json for {pod}"),
            Step("WAIT", f"pods/{helper} Succeeded", "the file is written"),
            Step("DELETE", f"pods/{helper}", "release the volume for the server"),
        ]
    steps += [
        Step("PATCH", f"statefulsets/{name}/scale replicas={len(survivors)}", "start survivors"),
        Step("WAIT", "survivor pods Running", "Vault reads peers.json and elects a leader"),
        Step("UNSEAL", ", ".join(survivors), "Shamir keys if sealed (`migrate` in a migration)"),
        Step("VERIFY", "sys/health, raft configuration", "one active server, peers = survivors"),
    ]
    return steps


def _follow_ups(name: str, survivors: list[str], replicas: int, claim: str) -> list[str]:
    lost = [f"{name}-{i}" for i in range(len(survivors), replicas)]
    if not lost:
        return []
    claims = " ".join(f"{claim}-{p}" for p in lost)
    return [
        f"{', '.join(lost)} must not rejoin with old data: delete their volumes "
        f"(`kubectl delete pvc -n <ns> {claims}`), then scale the StatefulSet back to "
        f"{replicas}; the new servers join with retry_join (or `vault operator raft join`)."
    ]


def _claim(sts: dict[str, Any]) -> str:
    templates = sts["spec"].get("volumeClaimTemplates") or [{"metadata": {"name": "data"}}]
    return str(templates[0]["metadata"]["name"])


def helper_pod(
    sts: dict[str, Any], pod: str, node_id: str, peers_json: str, image: str | None
) -> dict[str, Any]:
    """A pod that mounts `pod`'s data volume and writes peers.json, as the server's user."""
    template = sts["spec"]["template"]["spec"]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{sts['metadata']['name']}-peers-{pod}",
            "namespace": sts["metadata"]["namespace"],
            "labels": {"app.kubernetes.io/managed-by": "labctl", "labctl/raft-recovery": pod},
        },
        "spec": {
            "restartPolicy": "Never",
            "securityContext": template.get("securityContext") or {},
            "containers": [
                {
                    "name": "write-peers",
                    "image": image or template["containers"][0]["image"],
                    "command": ["/bin/sh", "-c", HELPER_SCRIPT],
                    "env": [
                        {"name": "PEERS_JSON", "value": peers_json},
                        {"name": "NODE_ID", "value": node_id},
                    ],
                    "volumeMounts": [{"name": "data", "mountPath": DATA_PATH}],
                    "resources": {
                        "requests": {"cpu": "10m", "memory": "16Mi"},
                        "limits": {"cpu": "100m", "memory": "64Mi"},
                    },
                }
            ],
            "volumes": [
                {"name": "data", "persistentVolumeClaim": {"claimName": f"{_claim(sts)}-{pod}"}}
            ],
        },
    }


# --- execution ---------------------------------------------------------------------------


@dataclass
class Runner:
    """Performs a plan's Kubernetes steps; `sleep` is injectable so tests can act as controllers."""

    kube: Client
    say: Callable[[str], None]
    timeout: float = 300.0
    interval: float = 2.0
    sleep: Callable[[float], None] = time.sleep

    def scale(self, plan: RecoveryPlan, replicas: int) -> None:
        from lightkube.resources.apps_v1 import StatefulSet

        self.say(f"scaling statefulset/{plan.statefulset} to {replicas}")
        self.kube.patch(
            StatefulSet.Scale,
            plan.statefulset,
            {"spec": {"replicas": replicas}},
            namespace=plan.namespace,
        )

    def server_pods(self, plan: RecoveryPlan) -> dict[str, str]:
        from lightkube.resources.core_v1 import Pod

        pattern = re.compile(rf"{re.escape(plan.statefulset)}-\d+")
        return {
            p.metadata.name: (p.status.phase if p.status else None) or "Unknown"
            for p in self.kube.list(Pod, namespace=plan.namespace)
            if p.metadata and p.metadata.name and pattern.fullmatch(p.metadata.name)
        }

    @property
    def waiter(self) -> Waiter:
        return Waiter(self.timeout, self.interval, self.sleep)

    def wait(self, what: str, done: Callable[[], bool]) -> None:
        self.waiter.until(what, done)

    def write_peers(self, plan: RecoveryPlan, survivor: str) -> None:
        from lightkube import codecs
        from lightkube.resources.core_v1 import Pod

        manifest = plan.helper_pods[survivor]
        name = manifest["metadata"]["name"]
        self.say(f"writing raft/peers.json on {survivor}'s volume (pod {name})")
        self.kube.create(codecs.from_dict(manifest))

        def phase() -> str:
            pod = self.kube.get(Pod, name, namespace=plan.namespace)
            return (pod.status.phase if pod.status else None) or "Pending"

        self.wait(f"pod {name} to finish", lambda: phase() in ("Succeeded", "Failed"))
        failed = phase() == "Failed"
        log = self._log(name, plan.namespace) if failed else ""
        self.kube.delete(Pod, name, namespace=plan.namespace)
        if failed:
            raise VaultError(f"helper pod {name} failed; nothing was started. Its log:\n{log}")

    def _log(self, name: str, namespace: str) -> str:
        from lightkube import ApiError

        try:
            return "".join(self.kube.log(name, namespace=namespace))
        except ApiError as error:
            return f"(no log: {error.status.message})"

    def run_kubernetes_steps(self, plan: RecoveryPlan) -> None:
        self.scale(plan, 0)
        self.wait("the Vault pods to stop", lambda: not self.server_pods(plan))
        for survivor in plan.survivors:
            self.write_peers(plan, survivor)
        self.scale(plan, len(plan.survivors))

        def running() -> bool:
            phases = self.server_pods(plan)
            return all(phases.get(p) == "Running" for p in plan.survivors)

        self.wait("the survivors to run", running)


def bring_up(
    runner: Runner | LocalRunner,
    expected_ids: list[str],
    nodes: list[VaultNode],
    keys: KeyRing | None,
    migrate: bool = False,
    token: str | None = None,
) -> Overview:
    """After the restart: unseal the survivors if needed, then verify the new membership.

    Raft applies peers.json when the server unseals, so the unseal is part of the recovery."""
    for node in nodes:
        runner.wait(f"{node.name} to answer", partial(_answers, node))
        status = read_seal(node)
        if status.sealed and status.auto_unseal and not (migrate or status.migration):
            # It unseals itself once its seal answers; if it does not, the seal is unusable.
            try:
                runner.wait(f"{node.name} to auto-unseal", partial(_unsealed, node))
            except WaitTimedOut as error:
                raise VaultError(auto_unseal_explanation(node.name, status)) from error
            continue
        if not status.sealed:
            continue
        if keys is None:
            raise Refused(f"{node.name} is sealed: run `labctl vault unseal {node.name}`")
        runner.say(f"unsealing {node.name}")
        if unseal(node, keys, migrate, runner.waiter).sealed:
            raise Refused(f"{node.name} is still sealed: run `labctl vault unseal {node.name}`")
    runner.wait("an active server", lambda: _has_active(nodes))
    overview = read_overview(nodes, token, replicas_vote=False)
    if overview.peers is not None:
        actual = sorted(p.node_id for p in overview.peers)
        if actual != sorted(expected_ids):
            raise VaultError(f"Raft peers are {actual} after recovery, expected {expected_ids}")
    return overview


# --- a server reached at an address, its data directory on this machine ---------------------


@dataclass(frozen=True)
class LocalPlan:
    """recover-raft for one server outside Kubernetes (systemd, a VM): labctl runs where its
    Raft data directory is, writes peers.json there, and the operator restarts the server."""

    data_dir: Path
    node_id: str
    cluster_address: str  # host:port other servers dial (cluster_addr, 8201)
    steps: list[Step]

    @property
    def peers(self) -> list[dict[str, Any]]:
        return [{"id": self.node_id, "address": self.cluster_address, "non_voter": False}]

    @property
    def peers_json(self) -> str:
        return json.dumps(self.peers)

    @property
    def survivors(self) -> list[str]:
        return [self.node_id]

    @property
    def after(self) -> list[str]:
        return [
            "the other servers must not rejoin with old data: wipe their Raft data directories, "
            "then start them; they join with retry_join (or `bao/vault operator raft join`)"
        ]


def plan_local_recovery(
    overview: Overview, data_dir: Path, node_id: str, cluster_address: str | None
) -> LocalPlan:
    """A plan for the one server at the address, or `Refused`."""
    if any(r.status.state is ReplicaState.ACTIVE for r in overview.replicas):
        raise Refused(
            "this server is active: Raft has a quorum. recover-raft is only for a cluster that "
            "lost it; remove a dead peer with `vault operator raft remove-peer`."
        )
    if not (data_dir / "raft").is_dir():
        raise Refused(f"{data_dir}/raft does not exist: --data-dir must be the server's Raft path")
    address = cluster_address or _own_address(overview, node_id)
    if not address:
        raise Refused(
            f"the Raft address of {node_id} is unknown (no peer list with VAULT_TOKEN): "
            "pass --cluster-address HOST:PORT (the server's cluster_addr)"
        )
    target = data_dir / "raft" / "peers.json"
    steps = [
        Step("VERIFY", "sys/health", "no server is active: quorum is lost"),
        Step("WRITE", str(target), f"the survivor {node_id} at {address} is the only peer"),
        Step("WAIT", "the server restarts", "restart it now (e.g. systemctl restart openbao)"),
        Step("UNSEAL", node_id, "Raft applies peers.json when the server unseals"),
        Step("VERIFY", "sys/health, raft configuration", f"active, peers = [{node_id}]"),
    ]
    return LocalPlan(data_dir, node_id, address, steps)


def _own_address(overview: Overview, node_id: str) -> str | None:
    for peer in overview.peers or []:
        if peer.node_id == node_id:
            return peer.address
    return None


@dataclass
class LocalRunner:
    """Performs a LocalPlan's steps; waits with the same Waiter as the Kubernetes runner."""

    say: Callable[[str], None]
    waiter: Waiter = field(default_factory=Waiter)

    def wait(self, what: str, done: Callable[[], bool]) -> None:
        self.waiter.until(what, done)

    def write_and_wait_for_restart(self, plan: LocalPlan, node: VaultNode) -> None:
        target = plan.data_dir / "raft" / "peers.json"
        target.write_text(plan.peers_json + "\n")
        self.say(f"wrote {target}; restart the server now (labctl waits for it)")

        def restarted() -> bool:
            # Shamir: a restarted server answers sealed. Auto-unseal: it applies and
            # removes peers.json on its own.
            return not target.exists() or (_answers(node) and read_seal(node).sealed is True)

        self.wait("the server to restart", restarted)


def _unsealed(node: VaultNode) -> bool:
    return read_seal(node).sealed is False


def _answers(node: VaultNode) -> bool:
    try:
        return node.call("GET", "sys/seal-status").status == 200
    except VaultError:
        return False


def _has_active(nodes: list[VaultNode]) -> bool:
    return any(read_replica(n).status.state is ReplicaState.ACTIVE for n in nodes)
