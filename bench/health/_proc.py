"""Run a command and report its wall time and peak memory (the child's own max RSS)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from statistics import median


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mib: float
    returncode: int
    cpu_seconds: float  # user + system, the child and the children it waited for


def bytecode_env(cache: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of an installed labctl: Python reads and writes a bytecode cache.

    pip and uv install packages with their .pyc files (the labctl image's `pip install`
    compiles them). This machine's shells set PYTHONDONTWRITEBYTECODE=1, which would make
    every run recompile ~300 modules (about 0.45 s of CPU for `labctl health`); the cache goes
    to a private folder (PYTHONPYCACHEPREFIX), so the working tree stays clean.
    """
    env = dict(os.environ if base is None else base)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


def no_bytecode_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """No bytecode cache at all: every module is compiled from source on every run."""
    env = dict(os.environ if base is None else base)
    env.pop("PYTHONPYCACHEPREFIX", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run(command: list[str], env: dict[str, str] | None = None) -> Run:
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return Run(seconds, usage.ru_maxrss / 1024, process.returncode, cpu)


def best_of(command: list[str], times: int, env: dict[str, str] | None = None) -> list[Run]:
    return [run(command, env) for _ in range(times)]


def med(runs: list[Run]) -> float:
    return median(r.seconds for r in runs)


def med_cpu(runs: list[Run]) -> float:
    """CPU time varies less than wall time on a shared, busy machine."""
    return median(r.cpu_seconds for r in runs)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} CPUs"
