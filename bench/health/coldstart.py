"""Cold start: `labctl --help` and `labctl health --help` against bare Python startup.

Run: `.venv/bin/python -m bench.health.coldstart`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bench.health._proc import best_of, load, med

LABCTL = str(Path(sys.executable).parent / "labctl")


def main(times: int = 7) -> dict[str, float]:
    baseline = med(best_of([sys.executable, "-c", "pass"], times))
    help_all = med(best_of([LABCTL, "--help"], times))
    help_health = med(best_of([LABCTL, "health", "--help"], times))
    print(f"cold start (median of {times}; {load()}):")
    print(f"  python -c pass        {baseline * 1000:6.0f} ms")
    print(f"  labctl --help         {help_all * 1000:6.0f} ms")
    print(f"  labctl health --help  {help_health * 1000:6.0f} ms")
    return {"python": baseline, "help": help_all, "health_help": help_health}


if __name__ == "__main__":
    main()
