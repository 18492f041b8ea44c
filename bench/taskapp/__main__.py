"""Benchmark TaskApp against the seed's Express backend, side by side in one run.

    .venv/bin/python -m bench.taskapp [--rounds 2] [--duration 20] [--warmup 5]
                                      [--connections 64] [--threads 2] [--rows 100]

One throwaway PostgreSQL (the tests' helper) holds two databases: the baseline's table as the
seed creates it, and TaskApp's schema (`taskapp migrate`). Each server is one process with its
default settings (TaskApp: JSON access log on, to a file). For each round, for each case (list
100 rows, create), the baseline and then TaskApp each get a fresh table of `--rows` tasks, a
warm-up, then a measured wrk run; TaskApp asks for `?limit=100` so both return the same rows.
CPU per request comes from /proc (the server's process tree, PostgreSQL's), and every window
reports the machine's load and the CPU its neighbours took meanwhile. Needs wrk, node/npm
(`make bench-taskapp` installs the baseline with `npm ci`). Not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from tests.support.postgres import PostgresServer, free_port, pg_binary, running_postgres

from bench.taskapp.measure import Window, load_average, wrk

BIN = Path(sys.executable).parent
BASELINE = Path(__file__).resolve().parent.parent / "express-baseline"
CREATE_LUA = """
wrk.method = "POST"
wrk.body = '{"title":"bench task"}'
wrk.headers["Content-Type"] = "application/json"
"""


@dataclass(frozen=True)
class Server:
    name: str
    database: str
    list_path: str  # both return the same 100 rows
    seed_sql: str  # {rows} rows, newest first by created_at as by id


SERVERS = (
    Server(
        "baseline",
        "baseline",
        "/api/tasks",
        "TRUNCATE tasks RESTART IDENTITY; INSERT INTO tasks (title, completed, created_at) "
        "SELECT 'seeded task ' || n, n % 3 = 0, now() - (({rows} - n) * interval '1 ms') "
        "FROM generate_series(1, {rows}) AS n; ANALYZE tasks;",
    ),
    Server(
        "taskapp",
        "taskapp",
        "/api/tasks?limit=100",
        "TRUNCATE tasks RESTART IDENTITY; "
        "INSERT INTO tasks (owner, title, completed, created_at, updated_at) "
        "SELECT 'anonymous', 'seeded task ' || n, n % 3 = 0, now(), now() "
        "FROM generate_series(1, {rows}) AS n; ANALYZE tasks;",
    ),
)
CASES = ("list", "create")


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return env | values


def _wait_until(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url} exited early; see {log}:\n{log.read_text()[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{url} did not answer; see {log}")


@contextlib.contextmanager
def running(server: Server, dsn: str, workdir: Path) -> Iterator[tuple[str, int]]:
    """The server on a free loopback port: (base URL, pid)."""
    port = free_port()
    log = workdir / f"{server.name}.log"
    if server.name == "baseline":
        command = ["node", str(BASELINE / "server.js")]
        env = _env(DATABASE_URL=dsn, PORT=str(port))
        ready = f"http://127.0.0.1:{port}/api/tasks"
    else:
        # The caller's TASKAPP_* settings apply (pool size, ...), as they would in a pod.
        command = [str(BIN / "taskapp"), "serve", "--port", str(port)]
        env = _env(TASKAPP_DATABASE_URL=dsn, TASKAPP_DATABASE_CREDENTIALS_FILE="/nonexistent")
        ready = f"http://127.0.0.1:{port}/readyz"
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_until(ready, process, log)
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def _psql(dsn: str, sql: str) -> None:
    subprocess.run([pg_binary("psql"), "-q", "-v", "ON_ERROR_STOP=1", dsn, "-c", sql], check=True)


def _postmaster_pid(postgres: PostgresServer) -> int:
    return int((postgres.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])


def _fmt_ratio(taskapp: float, baseline: float) -> str:
    return f"{taskapp / baseline:.2f}x" if baseline else "-"


def report(results: list[tuple[int, str, Window, Window]], args: argparse.Namespace) -> None:
    print()
    print(
        f"TaskApp vs the seed's Express backend (bench/express-baseline), same PostgreSQL, "
        f"{args.rows} rows; wrk -t{args.threads} -c{args.connections} -d{args.duration}s "
        f"after {args.warmup}s warm-up; {os.cpu_count()} CPUs; "
        f"TaskApp {os.environ.get('TASKAPP_WORKERS', '1')} process(es), the baseline 1"
    )
    print(
        "| case | round | baseline req/s | TaskApp req/s | ratio | baseline p50 / p99 ms | "
        "TaskApp p50 / p99 ms | server CPU ms/req (B / T) | PostgreSQL CPU ms/req (B / T) | "
        "non-2xx (B / T) | load 1m (B / T) | neighbours' CPU % (B / T) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for round_, case, b, t in results:

        def busy(w: Window) -> str:
            return f"{100 * w.others_cpu / (w.seconds * (os.cpu_count() or 1)):.0f}"

        print(
            f"| {case} | {round_} | {b.rps:,.0f} | {t.rps:,.0f} | {_fmt_ratio(t.rps, b.rps)} | "
            f"{b.p50_ms:.1f} / {b.p99_ms:.1f} | {t.p50_ms:.1f} / {t.p99_ms:.1f} | "
            f"{b.per_request_ms(b.server_cpu):.3f} / {t.per_request_ms(t.server_cpu):.3f} | "
            f"{b.per_request_ms(b.postgres_cpu):.3f} / {t.per_request_ms(t.postgres_cpu):.3f} | "
            f"{b.non_2xx} / {t.non_2xx} | {b.load:.1f} / {t.load:.1f} | {busy(b)} / {busy(t)} |"
        )
    print()
    goals = {"list": 2.5, "create": 1.3}
    for round_, case, b, t in results:
        ratio = t.rps / b.rps if b.rps else 0.0
        met = ratio >= goals[case] and t.p99_ms < b.p99_ms
        print(
            f"goal {case} >= {goals[case]}x with a lower p99, round {round_}: "
            f"{'met' if met else 'NOT met'} ({ratio:.2f}x; p99 {t.p99_ms:.1f} vs {b.p99_ms:.1f} ms)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rows", type=int, default=100)
    parser.add_argument("--only", choices=CASES, action="append")
    args = parser.parse_args()
    for tool in ("wrk", "node"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (Debian: apt-get install wrk nodejs npm)")
    if not (BASELINE / "node_modules").is_dir():
        raise SystemExit(f"the baseline is not installed: npm ci --prefix {BASELINE}")
    cases = [case for case in CASES if not args.only or case in args.only]
    windows: dict[tuple[int, str, str], Window] = {}
    with running_postgres() as postgres, tempfile.TemporaryDirectory(prefix="taskbench-") as tmp:
        workdir = Path(tmp)
        script = workdir / "create.lua"
        script.write_text(CREATE_LUA)
        postgres_pid = _postmaster_pid(postgres)
        dsns = {server.name: postgres.create_database(server.database) for server in SERVERS}
        subprocess.run(
            [BIN / "taskapp", "migrate"],
            env=_env(TASKAPP_DATABASE_URL=dsns["taskapp"]),
            check=True,
            capture_output=True,
        )
        for round_ in range(1, args.rounds + 1):
            for server in SERVERS:  # baseline, TaskApp, baseline, TaskApp, ...
                with running(server, dsns[server.name], workdir) as (url, pid):
                    for case in cases:
                        _psql(dsns[server.name], server.seed_sql.format(rows=args.rows))
                        path = server.list_path if case == "list" else "/api/tasks"
                        lua = None if case == "list" else script
                        print(
                            f"round {round_}, {server.name}, {case}: warm-up {args.warmup}s, "
                            f"measure {args.duration}s (load {load_average():.1f})",
                            flush=True,
                        )
                        common = {
                            "threads": args.threads,
                            "connections": args.connections,
                            "server_pid": pid,
                            "postgres_pid": postgres_pid,
                        }
                        wrk(url + path, lua, args.warmup, **common)
                        windows[round_, server.name, case] = wrk(
                            url + path, lua, args.duration, **common
                        )
    report(
        [
            (r, case, windows[r, "baseline", case], windows[r, "taskapp", case])
            for r in range(1, args.rounds + 1)
            for case in cases
        ],
        args,
    )


if __name__ == "__main__":
    main()
