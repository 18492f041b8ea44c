"""A policy scanner over the tree: checkov's Kubernetes checks, with our exceptions.

Every failed check is a finding unless policy_exceptions.yaml lists it with a reason: one
place for every exception. An exception names a check id and the objects it applies to
(checkov's `Kind.namespace.name`, shell-style patterns). Those under `chart_exceptions` excuse
only objects a chart rendered (`--charts`), never our own manifest of the same name. Exceptions
that no longer match anything are reported as notes, so the list does not rot (chart ones only
when charts were rendered). checkov runs offline
(`--skip-download`); it takes a few seconds to start.
"""

from __future__ import annotations

import fnmatch
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from labctl.validate.model import Result, ToolMissing
from labctl.validate.tree import Tree

NAME = "policy"


@dataclass(frozen=True)
class Exception_:
    check: str
    objects: tuple[str, ...]
    reason: str
    charts_only: bool = False  # listed under chart_exceptions: objects from charts only

    def covers(self, check_id: str, resource: str, from_chart: bool = False) -> bool:
        if self.charts_only and not from_chart:
            return False
        return check_id == self.check and any(fnmatch.fnmatch(resource, p) for p in self.objects)


def load_exceptions(path: Path | None = None) -> list[Exception_]:
    text = (
        path.read_text()
        if path
        else resources.files("labctl.validate").joinpath("policy_exceptions.yaml").read_text()
    )
    listed = yaml.safe_load(text) or {}
    out = []
    for key, charts_only in (("exceptions", False), ("chart_exceptions", True)):
        for entry in listed.get(key) or []:
            if not entry.get("reason"):
                raise ValueError(f"policy exception {entry.get('check')} has no reason")
            objects = tuple(entry.get("objects") or ["*"])
            out.append(Exception_(str(entry["check"]), objects, entry["reason"], charts_only))
    return out


def _checkov() -> str:
    beside = Path(sys.executable).parent / "checkov"
    found = shutil.which("checkov") or (str(beside) if beside.exists() else None)
    if found is None:
        raise ToolMissing("checkov", "platform-lab[validate] extra (Python)")
    return found


@dataclass(frozen=True)
class Scan:
    failed: list[dict[str, Any]]  # checkov's failed_checks entries
    resources: int
    passed: int
    parsing_errors: int


def scan(root: Path) -> Scan:
    """checkov's verdicts on the Kubernetes objects below `root`."""
    done = subprocess.run(
        [
            _checkov(),
            "--directory",
            str(root.resolve()),
            "--framework",
            "kubernetes",
            "--output",
            "json",
            "--quiet",
            "--compact",
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode not in (0, 1):
        raise RuntimeError(f"checkov failed ({done.returncode}): {done.stderr[-2000:]}")
    report = json.loads(done.stdout or "{}")
    reports = report if isinstance(report, list) else [report]
    summaries = [one.get("summary") or {} for one in reports]
    return Scan(
        failed=[
            check
            for one in reports
            for check in (one.get("results") or {}).get("failed_checks") or []
        ],
        resources=sum(int(s.get("resource_count", 0)) for s in summaries),
        passed=sum(int(s.get("passed", 0)) for s in summaries),
        parsing_errors=sum(int(s.get("parsing_errors", 0)) for s in summaries),
    )


def validate(tree: Tree, exceptions_file: Path | None = None) -> Result:
    # checkov has no checks for CRDs, and the charts' CRDs are megabytes it would parse.
    rendered = [m for m in tree.manifests if m.app and m.kind != "CustomResourceDefinition"]
    if not rendered:
        return judge(scan(tree.root), load_exceptions(exceptions_file), tree.root)
    # One checkov run over the tree and the charts' objects (its start-up is most of its time).
    with tempfile.TemporaryDirectory(prefix="labctl-policy-") as tmp:
        shutil.copytree(tree.root, Path(tmp) / "tree")
        files: dict[str, list[dict[str, Any]]] = {}
        for manifest in rendered:
            files.setdefault(manifest.path.removeprefix("chart:"), []).append(manifest.obj)
        for name, objects in files.items():
            path = Path(tmp) / "chart" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.with_suffix(".yaml").write_text(yaml.safe_dump_all(objects, sort_keys=False))
        return judge(
            scan(Path(tmp)), load_exceptions(exceptions_file), Path(tmp) / "tree", charts=True
        )


def _relative(check: dict[str, Any], root: Path | None) -> str:
    absolute = Path(str(check.get("file_abs_path", "")))
    if root is not None and absolute.is_relative_to(root.resolve()):
        return absolute.relative_to(root.resolve()).as_posix()
    if root is not None and absolute.is_relative_to(root.resolve().parent / "chart"):
        return "chart:" + absolute.relative_to(root.resolve().parent / "chart").as_posix()
    return str(check.get("file_path", "")).lstrip("/")


def judge(
    scanned: Scan, exceptions: list[Exception_], root: Path | None = None, charts: bool = False
) -> Result:
    """Findings for the failed checks that no exception covers; `charts`: charts were scanned."""
    result = Result(NAME, checked=scanned.resources)
    failed = scanned.failed
    used: set[Exception_] = set()
    for check in failed:
        check_id, resource = str(check["check_id"]), str(check["resource"])
        path = _relative(check, root)
        from_chart = path.startswith("chart:")
        excused = next((e for e in exceptions if e.covers(check_id, resource, from_chart)), None)
        if excused:
            used.add(excused)
            continue
        where = f"{path} {resource}"
        result.add(str(check.get("check_name", "")), where, check_id)
    if scanned.parsing_errors:
        result.add(f"checkov could not parse {scanned.parsing_errors} file(s)", check="parse")
    covered = len(failed) - len(result.findings)
    result.notes.append(
        f"checkov: {scanned.passed} passed, {len(failed)} failed checks, {covered} covered "
        f"by {len(used)} of {len(exceptions)} listed exceptions"
    )
    for stale in exceptions:
        if stale not in used and (charts or not stale.charts_only):
            result.notes.append(f"exception {stale.check} {list(stale.objects)} matched nothing")
    return result
