"""Benchmark TaskApp on PostgreSQL against pgbench running the same SQL.

    .venv/bin/python -m bench.taskapp [--duration 20] [--warmup 5] [--connections 64] [--threads 2]

A throwaway PostgreSQL (the tests' helper) gets the schema (`taskapp migrate`) and 1,000 tasks;
one `taskapp serve` process (default settings, JSON access log to a file) serves it. For each
case (a page of 100, create, 90/10 mixed) wrk warms up, then measures; pgbench then runs the
same statements over as many connections as TaskApp's pool may open. Needs wrk and pgbench
(Debian: wrk, postgresql). Not a test: figures depend on the machine and its neighbours.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from tests.support.postgres import free_port, pg_binary, running_postgres

from taskapp.db import crud
from taskapp.settings import Settings

BIN = Path(sys.executable).parent


def _literal_sql(statement: crud.Statement, values: dict[str, str]) -> str:
    """TaskApp's own SQL for a statement, with its parameters written in as literals."""
    sql, names = crud.for_asyncpg(statement)
    pattern = r"\$(\d+)(::(?:TIMESTAMP WITH TIME ZONE|[A-Z]+))?"
    sql = re.sub(pattern, lambda m: values[names[int(m.group(1)) - 1]], sql)
    # pgbench reads ":MI" as a variable: spell the format's colons as E-string escapes.
    sql = re.sub(r"'(YYYY[^']*)'", lambda m: "E'" + m.group(1).replace(":", "\\x3A") + "'", sql)
    return sql + ";\n"


# Exactly what TaskApp sends for a page of 100 (it asks for 101 to know about a next page).
LIST_SQL = _literal_sql(crud.POSTGRES.list[False, False], {"user": "'anonymous'", "limit": "101"})
CREATE_SQL = _literal_sql(
    crud.POSTGRES.create,
    {"user": "'anonymous'", "new_title": "'bench task'", "now": "now()"},
)
CREATE_LUA = """
wrk.method = "POST"
wrk.body = '{"title":"bench task"}'
wrk.headers["Content-Type"] = "application/json"
"""
MIXED_LUA = """
local n = 0
request = function()
  n = n + 1
  if n % 10 == 0 then
    return wrk.format("POST", "/api/tasks", {["Content-Type"] = "application/json"},
                      '{"title":"bench task"}')
  end
  return wrk.format("GET", "/api/tasks?limit=100")
end
"""
CASES = {  # name: (wrk path, wrk script, pgbench scripts with weights)
    "list 100": ("/api/tasks?limit=100", None, [("list", LIST_SQL, 1)]),
    "create": ("/api/tasks", CREATE_LUA, [("create", CREATE_SQL, 1)]),
    "mixed 90/10": ("/", MIXED_LUA, [("list", LIST_SQL, 9), ("create", CREATE_SQL, 1)]),
}


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int = 0


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, script: Path | None, seconds: int, args: argparse.Namespace) -> Result:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket = re.search(r"Socket errors: (.*)", out)
    if socket:
        print(f"    wrk socket errors: {socket.group(1)}")
    return Result(rps, p50, p99, int(errors.group(1)) if errors else 0)


def pgbench(
    dsn: str,
    scripts: list[tuple[str, str, int]],
    workdir: Path,
    args: argparse.Namespace,
    clients: int,
) -> Result:
    command = [
        pg_binary("pgbench"),
        "-n",
        "-M",
        "prepared",
        f"-c{clients}",
        f"-j{args.threads}",
        f"-T{args.duration}",
        "-l",
        "--log-prefix",
        str(workdir / "pgbench"),
    ]
    for name, sql, weight in scripts:
        path = workdir / f"{name}.sql"
        path.write_text(sql)
        command += ["-f", f"{path}@{weight}"]
    for old in workdir.glob("pgbench.*"):
        old.unlink()
    out = subprocess.run([*command, dsn], capture_output=True, text=True, check=True).stdout
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))  # type: ignore[union-attr]
    latencies: list[int] = []
    for log in workdir.glob("pgbench.*"):
        latencies += [int(line.split()[2]) for line in log.read_text().splitlines()]
    latencies.sort()

    def pick(quantile: float) -> float:
        return latencies[min(len(latencies) - 1, int(quantile * len(latencies)))] / 1000

    return Result(tps, pick(0.50), pick(0.99))


def seed(dsn: str, rows: int) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKAPP_")}
    env |= {"TASKAPP_DATABASE_URL": dsn, "TASKAPP_DATABASE_CREDENTIALS_FILE": "/nonexistent"}
    subprocess.run([BIN / "taskapp", "migrate"], env=env, check=True, capture_output=True)
    subprocess.run(
        [
            pg_binary("psql"),
            "-q",
            dsn,
            "-c",
            "INSERT INTO tasks (owner, title, completed, created_at, updated_at) "
            f"SELECT 'anonymous', 'seeded task ' || n, n % 3 = 0, now(), now() "
            f"FROM generate_series(1, {rows}) AS n; ANALYZE tasks;",
        ],
        check=True,
        capture_output=True,
    )


def serve(dsn: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ)  # TASKAPP_* settings of the caller apply (pool size, ...)
    env |= {"TASKAPP_DATABASE_URL": dsn, "TASKAPP_DATABASE_CREDENTIALS_FILE": "/nonexistent"}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [BIN / "taskapp", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise SystemExit(f"taskapp did not become ready; see {log}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--only", choices=sorted(CASES), action="append")
    args = parser.parse_args()
    for tool in ("wrk",):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (apt-get install {tool})")
    settings = Settings()  # the server gets the same environment
    pool = settings.db_pool_size + settings.db_max_overflow
    results: list[tuple[str, Result, Result]] = []
    with running_postgres() as postgres, tempfile.TemporaryDirectory(prefix="taskbench-") as tmp:
        workdir = Path(tmp)
        postgres.create_database("bench")
        dsn = postgres.dsn("bench")
        seed(dsn, args.rows)
        port = free_port()
        server = serve(dsn, port, workdir / "taskapp.log")
        try:
            for name, (path, lua, sql) in CASES.items():
                if args.only and name not in args.only:
                    continue
                script = None
                if lua is not None:
                    script = workdir / f"{name.split()[0]}.lua"
                    script.write_text(lua)
                url = f"http://127.0.0.1:{port}{path}"
                print(
                    f"{name}: warm-up {args.warmup}s, then wrk and pgbench {args.duration}s each",
                    flush=True,
                )
                wrk(url, script, args.warmup, args)
                app = wrk(url, script, args.duration, args)
                ceiling = pgbench(dsn, sql, workdir, args, clients=pool)
                results.append((name, app, ceiling))
        finally:
            server.terminate()
            server.wait(30)
    print()
    print(
        f"TaskApp (1 process, PostgreSQL) vs pgbench ({pool} connections, same SQL); "
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s"
    )
    print("| case | req/s | p50 ms | p99 ms | non-2xx | pgbench tps | pgbench p99 ms | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, app, ceiling in results:
        print(
            f"| {name} | {app.rps:,.0f} | {app.p50_ms:.1f} | {app.p99_ms:.1f} | {app.errors} | "
            f"{ceiling.rps:,.0f} | {ceiling.p99_ms:.1f} | {app.rps / ceiling.rps:.2f} |"
        )


if __name__ == "__main__":
    main()
