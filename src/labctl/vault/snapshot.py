"""`labctl vault snapshot save|restore FILE`: Vault's own backup, a Raft snapshot.

A Raft snapshot (`GET sys/storage/raft/snapshot`) is a gzip'd tar of `meta.json` (Raft index,
term, membership), `state.bin` (every key Vault stores, still encrypted by its keyring) and
`SHA256SUMS` of both. `save` writes FILE and `FILE.sha256` beside it (`sha256sum -c` reads it);
`restore` refuses a file whose checksum, gzip stream or inner SHA256SUMS does not verify, shows
its plan (what is replaced, what is lost), then `POST sys/storage/raft/snapshot`.

A snapshot from another cluster (one initialised anew after a wipe) carries other unseal keys:
Vault refuses it ("could not verify hash file"), and only `--force --reason` sends it to
`sys/storage/raft/snapshot-force`. Afterwards that cluster is sealed, and unseals with the
snapshot's cluster's keys; its root token and data are the snapshot's.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labctl.vault.connection import VaultNode, describe_errors, parse_json
from labctl.vault.errors import Refused, VaultError

SNAPSHOT = "sys/storage/raft/snapshot"
FORCE = "sys/storage/raft/snapshot-force"
OTHER_KEYS = "different set of unseal keys"


@dataclass(frozen=True)
class SnapshotInfo:
    path: Path
    size: int
    sha256: str
    index: int  # the Raft index the snapshot was taken at
    term: int
    servers: list[str]  # the Raft membership it records (node ids)


def checksum_file(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def save(node: VaultNode, token: str, path: Path) -> SnapshotInfo:
    """Download a snapshot from `node` (any unsealed one: standbys forward) into `path`."""
    status, body = node.raw("GET", SNAPSHOT, token=token)
    if status != 200:
        raise VaultError(f"taking a Raft snapshot on {node.name}: {_errors(status, body)}")
    info = inspect(body, path)  # never keep a snapshot that does not verify
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(body)
    partial.replace(path)
    checksum_file(path).write_text(f"{info.sha256}  {path.name}\n")
    return info


def verify(path: Path) -> SnapshotInfo:
    """The snapshot in `path`, or `Refused` when it is missing, corrupted or unchecked."""
    try:
        data = path.read_bytes()
        recorded = checksum_file(path).read_text().split()[0]
    except FileNotFoundError as error:
        raise Refused(
            f"{error.filename} does not exist (a snapshot needs its .sha256 beside it)"
        ) from error
    except (OSError, IndexError) as error:
        raise Refused(f"cannot read {path} or its checksum: {error}") from error
    info = inspect(data, path)
    if info.sha256 != recorded:
        raise Refused(
            f"{path} is corrupted: its sha256 is {info.sha256}, {checksum_file(path).name} "
            f"records {recorded}; nothing was restored"
        )
    return info


def inspect(data: bytes, path: Path) -> SnapshotInfo:
    """Check the snapshot's own structure (gzip CRC, tar, inner SHA256SUMS) and read meta.json."""
    try:
        with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data)), mode="r:") as archive:
            files = {m.name: _read(archive, m) for m in archive.getmembers() if m.isfile()}
    except (OSError, EOFError, tarfile.TarError) as error:
        raise Refused(
            f"{path} is not a readable Raft snapshot ({error}); nothing was restored"
        ) from error
    expected: dict[str, str] = {}
    for line in files.get("SHA256SUMS", b"").decode(errors="replace").splitlines():
        digest, _, name = line.partition("  ")
        expected[name.strip()] = digest
    for name in ("meta.json", "state.bin"):
        if name not in files or hashlib.sha256(files[name]).hexdigest() != expected.get(name):
            raise Refused(f"{path} is corrupted: {name} does not match the snapshot's SHA256SUMS")
    meta: dict[str, Any] = json.loads(files["meta.json"])
    servers = ((meta.get("Configuration") or {}).get("Servers")) or []
    return SnapshotInfo(
        path=path,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        index=int(meta.get("Index") or 0),
        term=int(meta.get("Term") or 0),
        servers=[str(s.get("ID", "")) for s in servers],
    )


def _read(archive: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    handle = archive.extractfile(member)
    return handle.read() if handle is not None else b""


@dataclass(frozen=True)
class RestorePlan:
    snapshot: SnapshotInfo
    node: str
    current_index: int | None  # where the cluster is now (None: unknown)
    force: bool

    @property
    def lines(self) -> list[str]:
        s = self.snapshot
        now = f"at Raft index {self.current_index}" if self.current_index else "(index unknown)"
        lines = [
            f"snapshot: {s.path} ({s.size} bytes, sha256 {s.sha256[:16]}..., verified)",
            f"  taken at Raft index {s.index}, term {s.term}, members {', '.join(s.servers)}",
            f"target: {self.node}, now {now}",
            f"1. POST {FORCE if self.force else SNAPSHOT}: Vault replaces ALL its data with the "
            "snapshot's; everything written after the snapshot is lost",
            "2. WAIT for an active server (Vault reloads; requests fail for a few seconds)",
        ]
        if self.force:
            lines.append(
                "   forced: the cluster takes the snapshot's keyring, seals, and unseals only "
                "with the keys (and root token) of the cluster the snapshot came from"
            )
        return lines


def plan_restore(node: VaultNode, token: str, path: Path, force: bool) -> RestorePlan:
    info = verify(path)
    reply = node.call("GET", "sys/leader", token=token)
    index = reply.body.get("raft_committed_index") if reply.status == 200 else None
    return RestorePlan(info, node.name, index if isinstance(index, int) else None, force)


def restore(node: VaultNode, token: str, plan: RestorePlan) -> None:
    data = plan.snapshot.path.read_bytes()
    if hashlib.sha256(data).hexdigest() != plan.snapshot.sha256:
        raise Refused(f"{plan.snapshot.path} changed since it was checked; nothing was restored")
    status, body = node.raw("POST", FORCE if plan.force else SNAPSHOT, token=token, data=data)
    if status in (200, 204):
        return
    said = _errors(status, body)
    if OTHER_KEYS in said:
        raise Refused(
            "Vault refused the snapshot: it was taken on a cluster with other unseal keys (a "
            "cluster initialised anew?). To restore it anyway, rerun with --force --reason: the "
            "cluster then seals and unseals only with the snapshot's cluster's keys"
        )
    raise VaultError(f"restoring the snapshot on {node.name}: {said}")


def _errors(status: int, body: bytes) -> str:
    return describe_errors(status, parse_json(body))
