"""A policy scanner over the tree: checkov's Kubernetes checks, with our exceptions.

Every failed check is a finding unless policy_exceptions.yaml lists it with a reason: one
place for every exception. An exception names a check id and the objects it applies to
(checkov's `Kind.namespace.name`, shell-style patterns). Exceptions that no longer match
anything are reported as notes, so the list does not rot. checkov runs offline
(`--skip-download`); it takes a few seconds to start.
"""

from __future__ import annotations

import fnmatch
import json
import shutil
import subprocess
import sys
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

    def covers(self, check_id: str, resource: str) -> bool:
        return check_id == self.check and any(fnmatch.fnmatch(resource, p) for p in self.objects)


def load_exceptions(path: Path | None = None) -> list[Exception_]:
    text = (
        path.read_text()
        if path
        else resources.files("labctl.validate").joinpath("policy_exceptions.yaml").read_text()
    )
    entries = (yaml.safe_load(text) or {}).get("exceptions") or []
    out = []
    for entry in entries:
        if not entry.get("reason"):
            raise ValueError(f"policy exception {entry.get('check')} has no reason")
        out.append(
            Exception_(str(entry["check"]), tuple(entry.get("objects") or ["*"]), entry["reason"])
        )
    return out


def _checkov() -> str:
    beside = Path(sys.executable).parent / "checkov"
    found = shutil.which("checkov") or (str(beside) if beside.exists() else None)
    if found is None:
        raise ToolMissing("checkov", "checkov (Python; `uv sync` installs it with the dev group)")
    return found


def scan(root: Path) -> list[dict[str, Any]]:
    """checkov's failed checks for the Kubernetes objects below `root`."""
    done = subprocess.run(
        [
            _checkov(),
            "--directory",
            str(root),
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
    return [
        check for one in reports for check in (one.get("results") or {}).get("failed_checks") or []
    ]


def validate(tree: Tree, exceptions_file: Path | None = None) -> Result:
    result = Result(NAME)
    exceptions = load_exceptions(exceptions_file)
    used: set[Exception_] = set()
    failed = scan(tree.root)
    resources_seen = set()
    for check in failed:
        check_id, resource = str(check["check_id"]), str(check["resource"])
        resources_seen.add(resource)
        excused = next((e for e in exceptions if e.covers(check_id, resource)), None)
        if excused:
            used.add(excused)
            continue
        where = f"{str(check.get('file_path', '')).lstrip('/')} {resource}"
        result.add(str(check.get("check_name", "")), where, check_id)
    result.checked = len(resources_seen)
    result.notes.append(
        f"checkov: {len(failed)} failed checks, {len(failed) - len(result.findings)} covered "
        f"by {len(used)} of {len(exceptions)} listed exceptions"
    )
    for stale in exceptions:
        if stale not in used:
            result.notes.append(f"exception {stale.check} {list(stale.objects)} matched nothing")
    return result
