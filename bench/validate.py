"""`labctl validate` on the example tree, without and with `--charts`, in the same run.

The two variants alternate (A B A B ...) so that load on the shared machine hits both alike;
each run is a fresh `labctl` process, as on a commit hook. Prints the median wall time, the
median seconds of each step (from the JSON report), and the ratio of the two.

Run: `.venv/bin/python -m bench.validate --chart-dir CHARTS [--times 3] [--tree DIR]
[--skip-policy]`, with the charts at the tree's pinned versions in CHARTS (as `helm pull
--untar` leaves them); `--skip-policy` leaves checkov out of both variants.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

LABCTL = str(Path(sys.executable).parent / "labctl")
TREE = Path(__file__).parents[1] / "examples" / "rendered"


def once(args: list[str]) -> tuple[float, dict[str, float]]:
    started = time.perf_counter()
    done = subprocess.run(
        [LABCTL, "validate", *args, "-o", "json"], capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    report = json.loads(done.stdout)
    steps = {"load": report["load_seconds"]}
    steps |= {v["validator"]: v["seconds"] for v in report["validators"]}
    return wall, steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chart-dir", type=Path, required=True)
    parser.add_argument("--times", type=int, default=3)
    parser.add_argument("--tree", type=Path, default=TREE)
    parser.add_argument("--skip-policy", action="store_true")
    options = parser.parse_args()
    common = [str(options.tree), *(["--skip", "policy"] if options.skip_policy else [])]
    variants = {
        "without --charts": common,
        "with --charts": [*common, "--charts", "--chart-dir", str(options.chart_dir)],
    }
    walls: dict[str, list[float]] = {name: [] for name in variants}
    steps: dict[str, dict[str, list[float]]] = {name: {} for name in variants}
    for _ in range(options.times):
        for name, args in variants.items():
            wall, seconds = once(args)
            walls[name].append(wall)
            for step, value in seconds.items():
                steps[name].setdefault(step, []).append(value)
    load = os.getloadavg()[0]
    print(f"labctl validate {options.tree}, median of {options.times} (load average {load:.1f}):")
    names = list(variants)
    every = list(dict.fromkeys(s for name in names for s in steps[name]))
    print(f"  {'step':20s}" + "".join(f"{name:>20s}" for name in names))
    for step in every:
        cells = [
            f"{statistics.median(steps[name][step]):19.2f}s" if step in steps[name] else " " * 20
            for name in names
        ]
        print(f"  {step:20s}" + "".join(cells))
    medians = [statistics.median(walls[name]) for name in names]
    print(f"  {'wall clock':20s}" + "".join(f"{m:19.2f}s" for m in medians))
    print(f"  --charts costs {medians[1] / medians[0]:.2f}x the plain run")


if __name__ == "__main__":
    main()
