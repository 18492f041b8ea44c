"""Finding and running the system tools validators use (promtool, amtool)."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

from labctl.validate.model import ToolMissing

# binary -> the Debian package that installs it
PACKAGES = {"promtool": "prometheus", "amtool": "prometheus-alertmanager"}


@dataclass(frozen=True)
class Run:
    returncode: int
    output: str  # stdout and stderr together, as the user would see them


def find(binary: str) -> str:
    path = shutil.which(binary)
    if path is None:
        raise ToolMissing(binary, f"{PACKAGES.get(binary, binary)} (apt-get install)")
    return path


def run(binary: str, *args: str, timeout: float = 120) -> Run:
    done = subprocess.run(
        [find(binary), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Run(done.returncode, (done.stdout + done.stderr).strip())


def version(binary: str) -> tuple[int, int, int] | None:
    match = re.search(r"version (\d+)\.(\d+)\.(\d+)", run(binary, "--version").output)
    return (int(match[1]), int(match[2]), int(match[3])) if match else None


def clip(text: str, lines: int = 40) -> str:
    kept = text.splitlines()
    if len(kept) <= lines:
        return text
    return "\n".join([*kept[:lines], f"... ({len(kept) - lines} more lines)"])
