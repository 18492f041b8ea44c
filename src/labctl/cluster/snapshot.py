"""The Snapshot: everything the health checks read, gathered once (DESIGN.md, principle 1).

A snapshot folder holds, per kind, the unchanged output of `kubectl get <resource> -A -o json`
named by kubectl's full resource name (`pods.json`, `deployments.apps.json`,
`backups.velero.io.json`), an `extras/` tree of raw HTTP bodies that are not Kubernetes objects
(`extras/vault/<pod>/sys-health.json`, `extras/alertmanager/api-v2-alerts.json`,
`extras/kubelet/<node>/stats-summary.json`), and `snapshot.json`: when, from which context, and
what could not be read and why.

A missing file means *not collected*: `items()` and `extra()` answer None, and the checks that
need it report unknown. A folder made by hand with kubectl is a valid snapshot without
`snapshot.json`; its time is then the newest file's modification time.

Files are read lazily and once, so `labctl health --only vault` never parses `pods.json`.

Objects are judged one by one: a null field is an absent field (the API server and kubectl
write `null` for unset optional fields), an item without `kind` gets its file's kind, and an
object whose fields have the wrong type is set aside as a `BadObject` (kind, namespace, name,
field) that the checks report once, while every other object of its file is still read.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, get_args, get_type_hints, is_typeddict

import msgspec

from labctl.cluster.kinds import BY_RESOURCE

Obj = dict[str, Any]

SNAPSHOT_FILE = "snapshot.json"
FORMAT_VERSION = 1


class NotASnapshot(ValueError):
    """A folder holding neither snapshot.json, nor a kubectl list of a kind, nor extras/."""


class NotCollected(Exception):
    """Raised by `Snapshot.require()`: the data a check needs is not in the snapshot."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


@dataclass(frozen=True)
class BadObject:
    """An object that cannot be read as its kind: reported once, the others still judged."""

    resource: str
    kind: str
    namespace: str
    name: str
    field: str  # where, as `spec.unschedulable` ("" for the whole object)
    problem: str  # what msgspec found, e.g. "Expected `bool`, got `str`"

    @property
    def ref(self) -> str:
        return "/".join(p for p in (self.kind, self.namespace, self.name) if p)


@dataclass
class Snapshot:
    """Kubernetes objects by full resource name, extras by relative path, and what is missing.

    Build one from memory (tests, the live collector) or with `Snapshot.load(folder)`.
    `gaps` maps a source (`pods`, `extras/vault/vault-1/sys-health.json`, `vault`) to why it
    could not be read (`403 Forbidden`, `timeout after 10s`).
    """

    resources: dict[str, list[Obj]] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    extra_statuses: dict[str, int] = field(default_factory=dict)
    gaps: dict[str, str] = field(default_factory=dict)
    not_served: set[str] = field(default_factory=set)
    taken_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    context: str | None = None
    server_version: str | None = None
    folder: Path | None = None
    shapes: Mapping[str, type] = field(default_factory=dict)
    bad_objects: dict[str, list[BadObject]] = field(default_factory=dict)
    _extra_paths: frozenset[str] | None = None
    _memo: dict[str, Any] = field(default_factory=dict)
    _vetted: dict[str, int] = field(default_factory=dict)  # resource -> id() of its vetted list

    # -- reading

    def items(self, resource: str) -> list[Obj] | None:
        """The objects of one kind (`pods`, `deployments.apps`), or None if not collected.

        Objects built in memory (the live collector, tests) are vetted on first read like a
        file's: nulls dropped, `kind` filled in, objects of the wrong shape set aside.
        """
        if resource not in self.resources and self.folder is not None:
            self._read_resource(resource)
        found = self.resources.get(resource)
        if found is not None and self._vetted.get(resource) != id(found):
            found = self.resources[resource] = self._vet(resource, found)
            self._vetted[resource] = id(found)
        return found

    def bad(self, resource: str) -> list[BadObject]:
        """The objects of `resource` that could not be read (after `items(resource)`)."""
        return self.bad_objects.get(resource, [])

    def require(self, resource: str) -> list[Obj]:
        """Like `items()`, but raises `NotCollected` with the recorded reason."""
        found = self.items(resource)
        if found is None:
            raise NotCollected(resource, self.why_missing(resource))
        return found

    def read_extra(self, path: str) -> Any | None:
        """A parsed extras body (`vault/vault-0/sys-health.json`), or None if not collected."""
        if path not in self.extras and self.folder is not None:
            file = self.folder / "extras" / path
            if file.is_file():
                try:
                    self.extras[path] = _read_json(file)
                except msgspec.DecodeError:
                    # e.g. `kubectl get --raw ... > file` that failed and wrote nothing
                    self.gaps.setdefault(f"extras/{path}", "the file is not JSON (empty?)")
                    return None
        return self.extras.get(path)

    def extra_status(self, path: str) -> int | None:
        """The HTTP status an extras body came with (sys/health answers 429, 503...), if known."""
        return self.extra_statuses.get(path)

    def extra_paths(self, prefix: str) -> list[str]:
        """Relative paths of the extras under `prefix` (`vault/`), collected or recorded missing."""
        paths = set(self.extras)
        if self.folder is not None:
            if self._extra_paths is None:
                root = self.folder / "extras"
                found = (p.relative_to(root).as_posix() for p in root.rglob("*.json"))
                self._extra_paths = frozenset(found) if root.is_dir() else frozenset()
            paths |= self._extra_paths
        paths |= {g.removeprefix("extras/") for g in self.gaps if g.startswith("extras/")}
        return sorted(p for p in paths if p.startswith(prefix))

    def derived(self, key: str, compute: Callable[[Snapshot], T]) -> T:
        """`compute(self)`, once per snapshot: indexes several checks share (pods by namespace)."""
        if key not in self._memo:
            self._memo[key] = compute(self)
        result: T = self._memo[key]
        return result

    def why_missing(self, source: str) -> str:
        """The recorded reason a source is missing, or 'not collected'."""
        return self.gaps.get(source) or self.gaps.get(f"extras/{source}") or "not collected"

    # -- files

    @classmethod
    def load(cls, folder: Path, shapes: Mapping[str, type] | None = None) -> Snapshot:
        """Open a snapshot folder made by labctl or by `kubectl get <resource> -A -o json`.

        `shapes` maps a resource to a TypedDict naming the fields to keep (e.g.
        `labctl.checks.fields.SHAPES`); other resources are decoded whole.
        """
        if not folder.is_dir():
            raise FileNotFoundError(f"snapshot folder {folder} does not exist")
        meta_file = folder / SNAPSHOT_FILE
        known = any((folder / f"{resource}.json").is_file() for resource in BY_RESOURCE)
        if not (meta_file.is_file() or known or (folder / "extras").is_dir()):
            raise NotASnapshot(
                f"{folder} is not a snapshot folder: it holds no {SNAPSHOT_FILE}, no "
                "`kubectl get <resource> -A -o json` file (nodes.json, pods.json, ...) and no "
                "extras/ (make one with `labctl snapshot save`)"
            )
        snapshot = cls(folder=folder, shapes=shapes or {})
        if meta_file.is_file():
            meta = _read_json(meta_file)
            snapshot.taken_at = _parse_time(meta.get("takenAt")) or snapshot.taken_at
            snapshot.context = meta.get("context")
            snapshot.server_version = meta.get("serverVersion")
            snapshot.gaps = {g["source"]: g["reason"] for g in meta.get("notCollected", [])}
            snapshot.extra_statuses = dict(meta.get("extraStatus") or {})
            snapshot.not_served = set(meta.get("notServed") or [])
        else:
            newest = max((p.stat().st_mtime for p in folder.glob("*.json")), default=None)
            if newest is not None:
                snapshot.taken_at = datetime.fromtimestamp(newest, UTC)
        return snapshot

    def save(self, folder: Path) -> None:
        """Write the snapshot in the folder format (one kubectl-shaped list per kind)."""
        folder.mkdir(parents=True, exist_ok=True)
        for resource, objects in sorted(self.resources.items()):
            body = {"apiVersion": "v1", "items": objects, "kind": "List", "metadata": {}}
            _write_json(folder / f"{resource}.json", body)
        for path, body in sorted(self.extras.items()):
            _write_json(folder / "extras" / path, body)
        _write_json(folder / SNAPSHOT_FILE, self.metadata())

    def metadata(self) -> Obj:
        return {
            "formatVersion": FORMAT_VERSION,
            "takenAt": self.taken_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "context": self.context,
            "serverVersion": self.server_version,
            "collected": sorted(self.resources),
            "extraStatus": dict(sorted(self.extra_statuses.items())),
            "notServed": sorted(self.not_served),
            "notCollected": [{"source": s, "reason": r} for s, r in sorted(self.gaps.items())],
        }

    def _read_resource(self, resource: str) -> None:
        assert self.folder is not None
        file = self.folder / f"{resource}.json"
        if not file.is_file():
            return
        try:
            decoded = decode_items(resource, file.read_bytes(), self.shapes.get(resource))
        except (msgspec.DecodeError, msgspec.ValidationError) as error:
            self.gaps[resource] = f"{file.name} is not a Kubernetes list: {error}"
            return
        self.resources[resource] = decoded.items
        self._vetted[resource] = id(decoded.items)
        if decoded.bad:
            self.bad_objects[resource] = decoded.bad

    def _vet(self, resource: str, objects: list[Any]) -> list[Obj]:
        shape = self.shapes.get(resource)
        kept: list[Obj] = []
        bad: list[BadObject] = []
        for obj in objects:
            item = _vetted_item(resource, obj, shape, validate=True, project=False)
            (bad if isinstance(item, BadObject) else kept).append(item)  # type: ignore[arg-type]
        if bad:
            self.bad_objects.setdefault(resource, []).extend(bad)
        return kept


T = TypeVar("T")
_DECODERS: dict[Any, msgspec.json.Decoder[Any]] = {}


def _decoder(item_type: Any) -> msgspec.json.Decoder[Any]:
    decoder = _DECODERS.get(item_type)
    if decoder is None:
        kube_list = msgspec.defstruct("KubeList", [("items", list[item_type] | None)])
        decoder = _DECODERS[item_type] = msgspec.json.Decoder(kube_list)
    return decoder


def decode_list(raw: bytes, shape: type | None) -> list[Obj]:
    """The items of a kubectl List, decoding only the fields of `shape` if given.

    Raises on any item that does not fit `shape`; `decode_items` sets such items aside.
    """
    items: list[Obj] = _decoder(shape or Obj).decode(raw).items or []
    return items


@dataclass(frozen=True)
class Decoded:
    items: list[Obj]
    bad: list[BadObject]


def decode_items(resource: str, raw: bytes, shape: type | None) -> Decoded:
    """A kubectl List's items, one object at a time when one of them does not fit `shape`.

    The fast path decodes the whole list at once; only a list holding a null or a wrong type
    where `shape` wants an object is decoded again item by item. Raises only when `raw` is
    not a list of objects at all.
    """
    try:
        items = decode_list(raw, shape)
    except msgspec.ValidationError:
        raw_items = _decoder(msgspec.Raw).decode(raw).items or []
        return _one_by_one(resource, raw_items, shape)
    # Nulls left in free-form parts (`spec: Any`) and absent kinds: the same as one by one.
    # A shape typed all the way down lets no null through (it fails over to one by one).
    clean = not _free_form(shape) or b"null" not in raw
    kind = BY_RESOURCE.get(resource)
    for index, item in enumerate(items):
        if not clean:
            item = items[index] = _without_nulls(item)
        if kind is not None and "kind" not in item:
            item["kind"] = kind.kind
            item.setdefault("apiVersion", kind.api_version)
    return Decoded(items, [])


_FREE_FORM: dict[Any, bool] = {}


def _free_form(shape: Any) -> bool:
    """Whether values of `shape` may hold a null the decoder lets through (an `Any` part)."""
    if shape is None or shape is Any:
        return True
    if shape not in _FREE_FORM:
        _FREE_FORM[shape] = False  # recursion guard
        if isinstance(shape, type) and is_typeddict(shape):
            parts = list(get_type_hints(shape).values())
        else:
            parts = list(get_args(shape))
        _FREE_FORM[shape] = any(_free_form(part) for part in parts)
    return _FREE_FORM[shape]


def _one_by_one(resource: str, raw_items: list[msgspec.Raw], shape: type | None) -> Decoded:
    decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(shape or Obj)
    typed = not _free_form(shape)  # then an item that decodes holds no null
    kind = BY_RESOURCE.get(resource)
    kept: list[Obj] = []
    bad: list[BadObject] = []
    for raw_item in raw_items:
        try:
            item: Any = decoder.decode(raw_item)
        except msgspec.ValidationError:
            item = msgspec.json.decode(raw_item)  # whole, to name it and retry without nulls
            vetted = _vetted_item(resource, item, shape, validate=True)
            (bad if isinstance(vetted, BadObject) else kept).append(vetted)  # type: ignore[arg-type]
            continue
        if typed and kind is not None:
            if "kind" not in item:
                item["kind"] = kind.kind
                item.setdefault("apiVersion", kind.api_version)
            kept.append(item)
        else:
            kept.append(_vetted_item(resource, item, shape, validate=False))  # type: ignore[arg-type]
    return Decoded(kept, bad)


_AT = re.compile(r"\s*- at `\$\.?([^`]*)`$")


def _vetted_item(
    resource: str, obj: Any, shape: type | None, validate: bool, project: bool = True
) -> Obj | BadObject:
    """`obj` without nulls and with its kind, checked against `shape` (and projected on it
    if `project`); or why it cannot be read."""
    kind = BY_RESOURCE.get(resource)
    kind_name = kind.kind if kind else resource
    if not isinstance(obj, dict):
        return BadObject(resource, kind_name, "", "?", "", f"an item is {type(obj).__name__}")
    item: Obj = _without_nulls(obj)
    if kind is not None and "kind" not in item:
        item["kind"] = kind.kind
        item.setdefault("apiVersion", kind.api_version)
    if validate and shape is not None:
        try:
            projected: Obj = msgspec.convert(item, shape)
        except msgspec.ValidationError as error:
            meta: Obj = item["metadata"] if isinstance(item.get("metadata"), dict) else {}
            text = str(error)
            where = _AT.search(text)
            return BadObject(
                resource,
                str(item.get("kind") or kind_name),
                str(meta.get("namespace") or ""),
                str(meta.get("name") or "?"),
                where.group(1) if where else "",
                _AT.sub("", text),
            )
        return projected if project else item
    return item


def _without_nulls(value: Any) -> Any:
    """`value` with every null member and list element dropped (null means unset)."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value if v is not None]
    return value


def _read_json(file: Path) -> Any:
    return msgspec.json.decode(file.read_bytes())


def _write_json(file: Path, body: Any) -> None:
    file.parent.mkdir(parents=True, exist_ok=True)
    tmp = file.with_suffix(file.suffix + ".tmp")
    tmp.write_text(json.dumps(body, indent=2, sort_keys=False) + "\n")
    os.replace(tmp, file)


def _parse_time(value: Any) -> datetime | None:
    return parse_time(value) if isinstance(value, str) else None


def parse_time(value: str | None) -> datetime | None:
    """An RFC 3339 timestamp as Kubernetes writes it, or None if absent or unreadable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def iter_pvc_volumes(summary: Obj) -> Iterator[Obj]:
    """The volume entries of a kubelet stats/summary body that belong to a PVC."""
    for pod in summary.get("pods") or []:
        for volume in pod.get("volume") or []:
            if volume.get("pvcRef"):
                yield volume
