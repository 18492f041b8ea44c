"""`labctl vault status|unseal|recover-raft|generate-root|configure|db`.

Thin: parse, call `labctl.vault`, render. Vault is reached through the API server's pod proxy
(kubeconfig) or at `--address`/VAULT_ADDR. Tokens come from VAULT_TOKEN or a prompt without
echo, keys always from a prompt without echo; neither is ever printed or logged. Exit codes as
the other operations commands: 0 done, 1 Vault is not healthy (status), 3 refused or not
confirmed, 4 Vault or API error, 5 timed out waiting.

One module for the group (about 500 lines) because each command is only its options and a
few calls; the options repeat per command so that `labctl vault status -n vault` reads like
kubectl. The logic is in `labctl.vault`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from labctl.cli._ops import (
    EXIT_FAILED,
    Context,
    DryRun,
    Force,
    Kubeconfig,
    Output,
    Reason,
    Yes,
    emit,
    err,
)

if TYPE_CHECKING:
    import hvac

    from labctl.vault.connection import VaultNode, VaultTarget
    from labctl.vault.overview import Overview

app = typer.Typer(help="HashiCorp Vault: status, unseal, Raft recovery, root token, configuration.")
db_app = typer.Typer(help="The database secrets engine: connections, roles, root, leases.")
app.add_typer(db_app, name="db")

Namespace = Annotated[str, typer.Option("-n", "--namespace", help="Vault's namespace.")]
StatefulSet = Annotated[str, typer.Option("--statefulset", help="Vault's StatefulSet.")]
Address = Annotated[
    str | None,
    typer.Option("--address", envvar="VAULT_ADDR", help="Reach Vault here, not via the pods."),
]
PodScheme = Annotated[
    str,
    typer.Option("--pod-scheme", help="http, or https when Vault's listener has TLS (pod proxy)."),
]
Timeout = Annotated[
    float,
    typer.Option("--request-timeout", metavar="SECONDS", help="Seconds to wait for each call."),
]
Pod = Annotated[str | None, typer.Argument(help="One replica (default: every sealed one).")]
Mount = Annotated[str, typer.Option("--mount", help="The database engine's mount path.")]


def _target(
    address: str | None, namespace: str, statefulset: str, kubeconfig: Path | None,
    context: str | None, timeout: float, pod_scheme: str = "http",
) -> VaultTarget:  # fmt: skip
    from labctl.cluster.client import ClusterTarget
    from labctl.vault.connection import VaultTarget

    cluster = ClusterTarget(kubeconfig=kubeconfig, context=context, timeout=timeout)
    return VaultTarget(
        address=address, namespace=namespace, statefulset=statefulset, cluster=cluster,
        ca_cert=os.environ.get("VAULT_CACERT"), timeout=timeout, scheme=pod_scheme,
    )  # fmt: skip


@contextmanager
def _errors() -> Iterator[None]:
    import httpx2

    from labctl.cli._ops import EXIT_CLUSTER
    from labctl.vault.connection import unreachable
    from labctl.vault.errors import Refused, VaultError

    try:
        yield
    except (VaultError, Refused) as error:
        err(str(error))
        raise typer.Exit(error.exit_code) from None
    except httpx2.HTTPError as error:  # the API server, on a call not wrapped closer to it
        err(f"cannot reach the Kubernetes API server: {unreachable(error)}")
        raise typer.Exit(EXIT_CLUSTER) from None


def _nodes(target: VaultTarget, pod: str | None = None) -> list[VaultNode]:
    from labctl.vault.connection import nodes

    found = nodes(target)
    return found if pod is None else _nodes_named(found, pod)


def _nodes_named(found: list[VaultNode], pod: str) -> list[VaultNode]:
    from labctl.vault.errors import VaultError

    chosen = [n for n in found if n.name == pod]
    if not chosen:
        raise VaultError(f"no Vault pod {pod!r} (found: {', '.join(n.name for n in found)})")
    return chosen


def _secret(prompt: str) -> str:
    """A secret from the terminal without echo; "" when the user just presses Enter."""
    value: str = typer.prompt(prompt, default="", hide_input=True, show_default=False, err=True)
    return value


def _token(required: bool = True) -> str | None:
    from labctl.vault.errors import Refused

    token = os.environ.get("VAULT_TOKEN")
    if token or not required:
        return token
    if not sys.stdin.isatty():
        raise Refused("set VAULT_TOKEN (no terminal to ask for a token)")
    return _secret("Vault token") or None


def _confirm(question: str, yes: bool) -> None:
    from labctl.vault.errors import Refused

    if yes:
        return
    if not sys.stdin.isatty():
        raise Refused("not confirmed: rerun with --yes")
    if not typer.confirm(question, err=True):
        raise Refused("not confirmed: nothing was changed")


# --- status -------------------------------------------------------------------------------


@app.command()
def status(
    output: Output = "table",
    namespace: Namespace = "vault",
    statefulset: StatefulSet = "vault",
    pod_scheme: PodScheme = "http",
    address: Address = None,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    timeout: Timeout = 10.0,
) -> None:
    """Every replica (seal, state, version), Raft peers (with VAULT_TOKEN), failure tolerance."""
    from labctl.vault.overview import read_overview

    with _errors():
        target = _target(address, namespace, statefulset, kubeconfig, context, timeout, pod_scheme)
        overview = read_overview(_nodes(target), _token(required=False), not address)
    _show_overview(overview, output)
    if not overview.healthy:
        raise typer.Exit(EXIT_FAILED)


def _show_overview(overview: Overview, output: str) -> None:
    if output != "table":
        emit([asdict(overview) | {"healthy": overview.healthy}], output, ())
        return
    rows = [
        {"replica": r.name, "state": r.status.state.value, "sealed": r.status.sealed,
         "initialized": r.status.initialized, "seal": r.status.seal_type,
         "recovery_seal": r.status.recovery_seal, "version": r.status.version}
        for r in overview.replicas
    ]  # fmt: skip
    emit(rows, "table", ("replica", "state", "sealed", "initialized", "seal", "recovery_seal",
                         "version"))  # fmt: skip
    if overview.peers is not None:
        typer.echo("")
        peers = [asdict(p) for p in overview.peers]
        emit(peers, "table", ("node_id", "address", "voter", "leader"))
    elif overview.quorum_lost:
        typer.echo("\nRaft peers: not read (no leader to answer)")
    else:
        typer.echo("\nRaft peers: not read (set VAULT_TOKEN to list them)")
    q = overview.quorum
    source = "" if overview.quorum_from_peers else " (assuming every replica votes)"
    if q is not None:
        tolerance = "none, quorum lost" if overview.quorum_lost else f"{q.failure_tolerance}"
        typer.echo(f"\nvoters {q.voters}, quorum {q.size}, failure tolerance {tolerance}{source}")
    elif overview.quorum_lost:
        typer.echo("\nvoters unknown, failure tolerance none, quorum lost")
    if overview.autopilot is not None:
        health = "healthy" if overview.autopilot.healthy else "UNHEALTHY"
        typer.echo(
            f"autopilot: {health}, failure tolerance now {overview.autopilot.failure_tolerance}"
        )
    for warning in overview.warnings:
        typer.echo(f"! {warning}")


# --- unseal -------------------------------------------------------------------------------


@app.command()
def unseal(
    pod: Pod = None,
    migrate: Annotated[
        bool, typer.Option("--migrate", help="Seal migration: send migrate=true with each key.")
    ] = False,
    wait: Annotated[
        float, typer.Option("--wait", help="Seconds to wait for a node to join or catch up.")
    ] = 120.0,
    namespace: Namespace = "vault",
    statefulset: StatefulSet = "vault",
    pod_scheme: PodScheme = "http",
    address: Address = None,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    timeout: Timeout = 10.0,
) -> None:
    """Unseal with Shamir keys, read without echo (Enter on an empty prompt stops)."""
    from labctl.vault.unseal import KeyRing, Waiter, unseal_all

    with _errors():
        target = _target(address, namespace, statefulset, kubeconfig, context, timeout, pod_scheme)
        found = _nodes(target)
        if pod is not None:
            _nodes_named(found, pod)
        results = unseal_all(found, KeyRing(_secret), migrate, pod, Waiter(wait))
    for result in results:
        known = result.sealed and result.threshold is not None
        progress = f" ({result.progress}/{result.threshold} keys)" if known else ""
        typer.echo(f"{result.pod}: {result.note}{progress}")
    if any(r.sealed for r in results):
        raise typer.Exit(EXIT_FAILED)


# --- recover-raft -------------------------------------------------------------------------


@app.command("recover-raft")
def recover_raft(
    peer: Annotated[
        list[str] | None,
        typer.Option(
            "--peer", help="A surviving pod (repeat; default: the replicas that still answer)."
        ),
    ] = None,
    node_id: Annotated[
        list[str] | None,
        typer.Option(
            "--node-id",
            help="POD=ID when a node id is not the pod name (repeat); with --address: its node id.",
        ),
    ] = None,
    helper_image: Annotated[
        str | None, typer.Option("--helper-image", help="Image with /bin/sh (default: Vault's).")
    ] = None,
    migrate: Annotated[bool, typer.Option("--migrate", help="Unseal with migrate=true.")] = False,
    wait: Annotated[float, typer.Option("--wait", help="Seconds to wait for each step.")] = 300.0,
    poll: Annotated[float, typer.Option("--poll", hidden=True)] = 2.0,
    data_dir: Annotated[
        Path | None,
        typer.Option("--data-dir", help="With --address: the server's Raft path on this machine."),
    ] = None,
    cluster_address: Annotated[
        str | None,
        typer.Option(
            "--cluster-address", help="With --address: its Raft HOST:PORT (cluster_addr)."
        ),
    ] = None,
    dry_run: DryRun = False,
    yes: Yes = False,
    namespace: Namespace = "vault",
    statefulset: StatefulSet = "vault",
    pod_scheme: PodScheme = "http",
    address: Address = None,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    timeout: Timeout = 10.0,
) -> None:
    """Lost Raft quorum: rewrite raft/peers.json on the survivors and restart them (a plan).

    Through Kubernetes by default; with --address and --data-dir, for a server outside it."""
    from labctl.vault import raft_recovery as rr
    from labctl.vault.connection import connect_kube, proxy_node
    from labctl.vault.overview import read_overview
    from labctl.vault.unseal import KeyRing

    with _errors():
        if address:
            _recover_at_address(address, data_dir, node_id, cluster_address, wait, poll, dry_run,
                                yes, migrate, timeout)  # fmt: skip
            return
        target = _target(None, namespace, statefulset, kubeconfig, context, timeout, pod_scheme)
        kube = connect_kube(target)
        ids = dict(item.split("=", 1) for item in node_id or [])
        plan = rr.plan_recovery(
            _statefulset(kube, target), read_overview(_nodes(target)), peer, ids, helper_image
        )
        _show_plan(plan)
        if dry_run:
            typer.echo("dry run: nothing was changed")
            return
        _confirm("Stop Vault and rewrite its Raft membership?", yes)
        runner = rr.Runner(kube, err, timeout=wait, interval=poll)
        runner.run_kubernetes_steps(plan)
        survivors = [proxy_node(kube, target, p) for p in plan.survivors]
        ids_after = [p["id"] for p in plan.peers]
        overview = rr.bring_up(runner, ids_after, survivors, KeyRing(_secret), migrate,
                               _token(False))  # fmt: skip
    _show_overview(overview, "table")
    for note in plan.after:
        typer.echo(f"next: {note}")


def _recover_at_address(
    address: str, data_dir: Path | None, node_id: list[str] | None, cluster_address: str | None,
    wait: float, poll: float, dry_run: bool, yes: bool, migrate: bool, timeout: float,
) -> None:  # fmt: skip
    from labctl.vault import raft_recovery as rr
    from labctl.vault.errors import Refused
    from labctl.vault.overview import read_overview
    from labctl.vault.unseal import KeyRing, Waiter

    if data_dir is None or not node_id or len(node_id) != 1:
        raise Refused("with --address, recover-raft needs --data-dir DIR and one --node-id ID")
    target = _target(address, "", "", None, None, timeout)
    nodes = _nodes(target)
    token = _token(False)
    plan = rr.plan_local_recovery(
        read_overview(nodes, token, replicas_vote=False), data_dir,
        node_id[0].split("=")[-1], cluster_address,
    )  # fmt: skip
    _show_plan(plan)
    if dry_run:
        typer.echo("dry run: nothing was changed")
        return
    _confirm("Rewrite this server's Raft membership?", yes)
    runner = rr.LocalRunner(err, Waiter(wait, poll))
    runner.write_and_wait_for_restart(plan, nodes[0])
    overview = rr.bring_up(runner, [plan.node_id], nodes, KeyRing(_secret), migrate, token)
    _show_overview(overview, "table")
    for note in plan.after:
        typer.echo(f"next: {note}")


def _statefulset(kube: Any, target: VaultTarget) -> dict[str, Any]:
    from lightkube import ApiError
    from lightkube.resources.apps_v1 import StatefulSet as Sts

    from labctl.vault.errors import VaultError

    try:
        sts = kube.get(Sts, target.statefulset, namespace=target.namespace)
    except ApiError as error:
        raise VaultError(f"cannot read the StatefulSet: {error.status.message}") from error
    manifest: dict[str, Any] = sts.to_dict()
    return manifest


def _show_plan(plan: Any) -> None:
    typer.echo(f"Survivors: {', '.join(plan.survivors)}")
    typer.echo(f"peers.json: {plan.peers_json}")
    for number, step in enumerate(plan.steps, 1):
        typer.echo(f"{number:2}. {step.verb:7} {step.target}  ({step.why})")
    for note in plan.after:
        typer.echo(f"afterwards, by hand: {note}")


# --- generate-root ------------------------------------------------------------------------


@app.command("generate-root")
def generate_root(
    pod: Annotated[
        str | None, typer.Argument(help="The replica (default: the active one).")
    ] = None,
    nonce: Annotated[
        str | None, typer.Option("--nonce", help="Continue this attempt (asks for its OTP).")
    ] = None,
    cancel: Annotated[bool, typer.Option("--cancel", help="Cancel the running attempt.")] = False,
    token_file: Annotated[
        Path | None, typer.Option("--token-file", help="Write the root token here (0600).")
    ] = None,
    namespace: Namespace = "vault",
    statefulset: StatefulSet = "vault",
    pod_scheme: PodScheme = "http",
    address: Address = None,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    timeout: Timeout = 10.0,
) -> None:
    """A new root token from recovery keys: nonce and OTP (shown once), keys, decode."""
    from labctl.vault import generate_root as gr
    from labctl.vault.errors import Refused
    from labctl.vault.unseal import KeyRing

    def show_otp(attempt: gr.Attempt) -> None:
        err(f"Nonce: {attempt.nonce}  (give it to the other key holders)")
        err(f"OTP:   {attempt.otp}  (shown once: needed to decode if this run stops)")

    with _errors():
        target = _target(address, namespace, statefulset, kubeconfig, context, timeout, pod_scheme)
        node = _nodes(target, pod)[0] if pod else _active(_nodes(target))
        where = gr.endpoint(node, _token(required=False))
        if cancel:
            gr.cancel(where)
            typer.echo("root token generation cancelled")
            return
        if nonce:
            done = gr.provide_keys(where, nonce, KeyRing(_secret))
            if not done.complete:
                raise Refused(f"stopped at {done.progress}/{done.required} keys")
            root = gr.decode_token(done.encoded_token, _secret("OTP of this attempt"))
        else:
            root = gr.generate_root(where, _secret, show_otp)
    if token_file:
        token_file.touch(mode=0o600)
        token_file.write_text(root + "\n")
        typer.echo(f"root token written to {token_file}; revoke it when done")
    else:
        typer.echo(f"Root token: {root}")
        err("Revoke it when done: vault token revoke <token>")


# --- configure ----------------------------------------------------------------------------


@app.command()
def configure(
    spec: Annotated[
        Path, typer.Option("--spec", metavar="FILE", help="The VaultSpec YAML (labctl render).")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would change; change nothing.")
    ] = False,
    yes: Yes = False,
    output: Output = "table",
    namespace: Namespace = "vault",
    statefulset: StatefulSet = "vault",
    pod_scheme: PodScheme = "http",
    address: Address = None,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    timeout: Timeout = 10.0,
) -> None:
    """Make Vault match a VaultSpec: Kubernetes auth and roles, policies, database engine."""
    from labctl.vault.configure import Action, configure, load_spec

    with _errors():
        desired = load_spec(spec)
        client = _client(
            _target(address, namespace, statefulset, kubeconfig, context, timeout, pod_scheme)
        )
        changes = configure(client, desired, apply=False)
        pending = [c for c in changes if c.action is not Action.UNCHANGED]
        if pending and not dry_run:
            _confirm(f"Apply {len(pending)} change(s) to Vault?", yes)
            changes = configure(client, desired, apply=True)
    rows = [asdict(c) | {"fields": ", ".join(c.fields)} for c in changes]
    if output == "table" and dry_run:
        typer.echo("dry run: nothing was changed")
    emit(rows, output, ("kind", "name", "action", "fields"))


def _client(target: VaultTarget) -> hvac.Client:
    """An authenticated hvac client for the active replica (or the address)."""
    return _active(_nodes(target)).hvac(_token())


def _active(found: list[VaultNode]) -> VaultNode:
    """The active replica (standbys forward, but the active one answers directly)."""
    from labctl.vault.overview import read_replica
    from labctl.vault.status import ReplicaState

    if len(found) > 1:
        found = [n for n in found if read_replica(n).status.state is ReplicaState.ACTIVE] or found
    return found[0]


# --- db -----------------------------------------------------------------------------------


@db_app.command("list")
def db_list(
    mount: Mount = "database",
    output: Output = "table",
    namespace: Namespace = "vault",
    statefulset: StatefulSet = "vault",
    pod_scheme: PodScheme = "http",
    address: Address = None,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    timeout: Timeout = 10.0,
) -> None:
    """Connections (no passwords: Vault never returns them) and roles."""
    from labctl.vault.db import read_engine

    with _errors():
        client = _client(
            _target(address, namespace, statefulset, kubeconfig, context, timeout, pod_scheme)
        )
        engine = read_engine(client, mount)
    if output != "table":
        emit([asdict(engine)], output, ())
        return
    connections = [
        asdict(c) | {"allowed_roles": ",".join(c.allowed_roles)} for c in engine.connections
    ]
    emit(
        connections, "table", ("name", "plugin_name", "username", "allowed_roles", "connection_url")
    )
    typer.echo("")
    emit([asdict(r) for r in engine.roles], "table", ("name", "db_name", "default_ttl", "max_ttl"))


@db_app.command("rotate-root")
def db_rotate_root(
    connection: Annotated[str, typer.Argument(help="The database connection.")],
    yes: Yes = False,
    mount: Mount = "database",
    namespace: Namespace = "vault",
    statefulset: StatefulSet = "vault",
    pod_scheme: PodScheme = "http",
    address: Address = None,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    timeout: Timeout = 10.0,
) -> None:
    """Rotate a connection's root password (only Vault knows the new one)."""
    from labctl.vault.db import rotate_root

    action = rotate_root(connection, mount)
    with _errors():
        client = _client(
            _target(address, namespace, statefulset, kubeconfig, context, timeout, pod_scheme)
        )
        typer.echo(f"{action.verb} {action.path}\n{action.consequence}")
        _confirm(f"Rotate the root password of {connection}?", yes)
        action.run(client)
    typer.echo(f"rotated the root password of {connection}")


@db_app.command("leases")
def db_leases(
    role: Annotated[str, typer.Argument(help="The database role.")],
    mount: Mount = "database",
    output: Output = "table",
    namespace: Namespace = "vault",
    statefulset: StatefulSet = "vault",
    pod_scheme: PodScheme = "http",
    address: Address = None,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    timeout: Timeout = 10.0,
) -> None:
    """The leases issued for a role (needs sudo on sys/leases/lookup)."""
    from labctl.vault.db import leases

    with _errors():
        client = _client(
            _target(address, namespace, statefulset, kubeconfig, context, timeout, pod_scheme)
        )
        found = leases(client, role, mount)
    emit([{"lease_id": lease} for lease in found], output, ("lease_id",))


@db_app.command("revoke-prefix")
def db_revoke_prefix(
    role: Annotated[str, typer.Argument(help="The database role whose leases to revoke.")],
    rollout: Annotated[
        list[str] | None,
        typer.Option(
            "--rollout",
            help="NAMESPACE/DEPLOYMENT using the role (repeat): rolled first, so its pods hold "
            "new credentials before the old are revoked (no outage).",
        ),
    ] = None,
    grace: Annotated[
        float, typer.Option("--grace", help="Seconds the apps get to switch after the roll.")
    ] = 5.0,
    wait: Annotated[float, typer.Option("--wait", help="Seconds to wait for each rollout.")] = 600,
    poll: Annotated[float, typer.Option("--poll", hidden=True)] = 2.0,
    dry_run: DryRun = False,
    yes: Yes = False,
    mount: Mount = "database",
    namespace: Namespace = "vault",
    statefulset: StatefulSet = "vault",
    pod_scheme: PodScheme = "http",
    address: Address = None,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    timeout: Timeout = 10.0,
) -> None:
    """Revoke every lease of a role: Vault drops those database users.

    With --rollout, the consumers are renewed first and only the old leases are revoked."""
    from labctl.vault import rollout as rollouts
    from labctl.vault.connection import connect_kube
    from labctl.vault.db import leases, plan_renewal, renew_then_revoke, revoke_prefix
    from labctl.vault.unseal import Waiter

    with _errors():
        target = _target(address, namespace, statefulset, kubeconfig, context, timeout, pod_scheme)
        client = _client(target)
        if not rollout:
            action = revoke_prefix(role, len(leases(client, role, mount)), mount)
            typer.echo(f"{action.verb} {action.path}\n{action.consequence}")
            if dry_run:
                typer.echo("dry run: nothing was changed")
                return
            _confirm(f"Revoke every lease of {role}?", yes)
            action.run(client)
            typer.echo(f"revoked the leases of {role}")
            return
        refs = list(rollout)
        for ref in refs:
            rollouts.parse(ref)  # NAMESPACE/NAME, or Refused before anything is read
        kube = connect_kube(target)
        plan = plan_renewal(client, role, sum(rollouts.replicas(kube, r) for r in refs), mount)
        typer.echo(f"1. roll {', '.join(refs)} (one pod at a time, as each Deployment's strategy "
                   "and PodDisruptionBudget allow)")  # fmt: skip
        typer.echo(f"2. wait for {plan.new_expected} new lease(s), then {grace:g} s")
        typer.echo(f"3. revoke the {len(plan.old)} lease(s) of {role} listed now")
        typer.echo(plan.consequence)
        if dry_run:
            typer.echo("dry run: nothing was changed")
            return
        _confirm(f"Roll the consumers, then revoke the old leases of {role}?", yes)
        waiter = Waiter(wait, poll)

        def renew() -> None:
            for ref in refs:
                err(f"rolling {ref}")
                rollouts.roll(kube, ref, waiter)

        revoked = renew_then_revoke(client, plan, renew, waiter, grace)
    typer.echo(f"revoked {len(revoked)} old lease(s) of {role}; the consumers hold new ones")


# --- snapshot -----------------------------------------------------------------------------

snapshot_app = typer.Typer(help="Vault's own backup: Raft snapshots, with a sha256 beside them.")
app.add_typer(snapshot_app, name="snapshot")
File = Annotated[Path, typer.Argument(help="The snapshot file (FILE.sha256 sits beside it).")]


@snapshot_app.command("save")
def snapshot_save(
    file: File,
    kubernetes_role: Annotated[
        str | None,
        typer.Option("--kubernetes-role", help="Log in with Kubernetes auth as this role."),
    ] = None,
    jwt_file: Annotated[
        str, typer.Option("--jwt-file", help="The service-account token for --kubernetes-role.")
    ] = "/var/run/secrets/kubernetes.io/serviceaccount/token",
    namespace: Namespace = "vault",
    statefulset: StatefulSet = "vault",
    pod_scheme: PodScheme = "http",
    address: Address = None,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    timeout: Timeout = 60.0,
) -> None:
    """Write a Raft snapshot of every secret Vault holds (still encrypted) to FILE."""
    from labctl.vault.connection import kubernetes_login
    from labctl.vault.snapshot import checksum_file, save

    with _errors():
        target = _target(address, namespace, statefulset, kubeconfig, context, timeout, pod_scheme)
        node = _active(_nodes(target))
        if kubernetes_role:
            token = kubernetes_login(node, kubernetes_role, jwt_file)
        else:
            token = _token() or ""
        info = save(node, token, file)
    typer.echo(
        f"saved {file} ({info.size} bytes, Raft index {info.index}) and {checksum_file(file).name}"
    )


@snapshot_app.command("restore")
def snapshot_restore(
    file: File,
    dry_run: DryRun = False,
    yes: Yes = False,
    force: Force = False,
    reason: Reason = None,
    wait: Annotated[
        float, typer.Option("--wait", help="Seconds to wait for Vault to serve again.")
    ] = 120.0,
    namespace: Namespace = "vault",
    statefulset: StatefulSet = "vault",
    pod_scheme: PodScheme = "http",
    address: Address = None,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    timeout: Timeout = 60.0,
) -> None:
    """Replace all of Vault's data with FILE's (verified first; the plan is shown)."""
    from labctl.vault.errors import Refused
    from labctl.vault.overview import read_replica
    from labctl.vault.snapshot import plan_restore, restore
    from labctl.vault.status import ReplicaState
    from labctl.vault.unseal import Waiter

    with _errors():
        if force and not reason:
            raise Refused("--force needs --reason (why a snapshot of another cluster is restored)")
        target = _target(address, namespace, statefulset, kubeconfig, context, timeout, pod_scheme)
        found = _nodes(target)
        node, token = _active(found), _token() or ""
        plan = plan_restore(node, token, file, force)
        for line in plan.lines:
            typer.echo(line)
        if dry_run:
            typer.echo("dry run: nothing was changed")
            return
        _confirm("Replace all of Vault's data with this snapshot?", yes)
        if force:
            err(f"forced restore: {reason}")
        restore(node, token, plan)

        def settled() -> bool:
            states = {read_replica(n).status.state for n in found}
            return ReplicaState.ACTIVE in states or (force and ReplicaState.SEALED in states)

        Waiter(wait, 1.0).until("Vault to serve again after the restore", settled)
    note = " (sealed: unseal it with the snapshot's cluster's keys)" if force else ""
    typer.echo(f"restored {file}{note}")
