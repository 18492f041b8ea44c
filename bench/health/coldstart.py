"""Cold start: `labctl --help` and `labctl health --help` against bare Python startup.

Also the import floors a `labctl health` run cannot go below with its current libraries:
Typer (which builds a pydantic validator per option, so it imports pydantic) and lightkube
with its HTTP stack. Measured with a bytecode cache, as an installed labctl has one
(`_proc.bytecode_env`); `labctl --help` also without one, for comparison.

Run: `.venv/bin/python -m bench.health.coldstart`.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bench.health._proc import best_of, bytecode_env, load, med, med_cpu, no_bytecode_env

LABCTL = str(Path(sys.executable).parent / "labctl")
PY = sys.executable
FLOORS = {
    "python -c pass": [PY, "-c", "pass"],
    "import typer + pydantic": [PY, "-c", "import typer._adapters"],
    "import lightkube + httpx2": [PY, "-c", "import lightkube, httpcore2"],
}


def main(times: int = 7) -> dict[str, float]:
    commands = {
        **FLOORS,
        "labctl --help": [LABCTL, "--help"],
        "labctl health --help": [LABCTL, "health", "--help"],
    }
    with tempfile.TemporaryDirectory(prefix="labctl-pyc-") as cache:
        env = bytecode_env(Path(cache))
        for command in commands.values():
            best_of(command, 1, env)  # writes the bytecode cache
        runs = {name: best_of(command, times, env) for name, command in commands.items()}
    uncached = best_of([LABCTL, "--help"], times, no_bytecode_env())
    print(f"cold start, median of {times} with a bytecode cache ({load()}):")
    for name, found in runs.items():
        print(f"  {name:28s} {med(found) * 1000:6.0f} ms wall, {med_cpu(found) * 1000:4.0f} ms CPU")
    print(
        f"  {'labctl --help, no .pyc':28s} {med(uncached) * 1000:6.0f} ms wall, "
        f"{med_cpu(uncached) * 1000:4.0f} ms CPU"
    )
    return {
        "python": med(runs["python -c pass"]),
        "help": med(runs["labctl --help"]),
        "health_help": med(runs["labctl health --help"]),
        "help_no_pyc": med(uncached),
    }


if __name__ == "__main__":
    main()
