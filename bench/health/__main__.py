"""All health benchmarks: `.venv/bin/python -m bench.health`."""

from __future__ import annotations

from bench.health import coldstart, live, offline

if __name__ == "__main__":
    coldstart.main()
    live.main()
    offline.main()
