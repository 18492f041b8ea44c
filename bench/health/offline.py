"""Offline: `labctl health --snapshot` on 1,000 nodes, 30,000 pods, 3,000 PVCs.

Targets: under 3 s and under 500 MiB. Run: `.venv/bin/python -m bench.health.offline [DIR]`
(the generated snapshot is kept in DIR, by default a temporary folder, ~200 MB).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.health._proc import best_of, bytecode_env, load, med, med_cpu

LABCTL = str(Path(sys.executable).parent / "labctl")
SMALL = Path(__file__).parents[2] / "examples" / "snapshots" / "homelab"


def main(folder: Path | None = None, times: int = 3) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="labctl-bench-") as tmp:
        folder = folder or Path(tmp) / "snapshot"
        if not (folder / "pods.json").exists():
            # In a child process: a child forked from a parent holding the generated objects
            # would report the parent's memory as its own peak RSS.
            subprocess.run([sys.executable, "-m", "bench.health.synth", str(folder)], check=True)
        size = sum(f.stat().st_size for f in folder.rglob("*.json")) / 2**20
        env = bytecode_env(Path(tmp) / "pycache")  # as installed: see _proc.bytecode_env
        best_of([LABCTL, "health", "--snapshot", str(SMALL), "-o", "json"], 1, env)
        runs = best_of([LABCTL, "health", "--snapshot", str(folder), "-o", "json"], times, env)
        pods = len(json.loads((folder / "pods.json").read_bytes())["items"])  # after: see above
    seconds, peak = med(runs), max(r.peak_mib for r in runs)
    print(f"offline: {pods} pods, snapshot {size:.0f} MiB on disk; {load()}")
    print(
        f"  labctl health --snapshot: median {seconds:.2f} s of {times} "
        f"({', '.join(f'{r.seconds:.2f}' for r in runs)}), peak RSS {peak:.0f} MiB, "
        f"exit {runs[0].returncode}"
    )
    print(f"  CPU time (user+sys): median {med_cpu(runs):.2f} s")
    print(
        f"  targets: < 3 s {'met' if seconds < 3 else 'MISSED'}, "
        f"< 500 MiB {'met' if peak < 500 else 'MISSED'}"
    )
    return {"seconds": seconds, "peak_mib": peak}


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
