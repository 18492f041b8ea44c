"""wrk runs and CPU accounting from /proc: what one measured window cost, and whom."""

from __future__ import annotations

import os
import re
import resource
import subprocess
from dataclasses import dataclass
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _process_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def _tree(root: int) -> list[int]:
    """`root` and its descendants (PostgreSQL's backends, a server's workers)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += parents.get(pid, [])
    return found


def cpu_seconds(root: int) -> float:
    return sum(_process_ticks(pid) for pid in _tree(root)) / TICK


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent on anything but idle and I/O wait, since boot."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(
        int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / TICK


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


@dataclass
class Window:
    """One measured wrk run and the CPU everyone spent during it."""

    rps: float
    requests: int
    p50_ms: float
    p99_ms: float
    non_2xx: int
    server_cpu: float  # seconds
    postgres_cpu: float
    wrk_cpu: float
    machine_cpu: float
    seconds: float
    load: float

    def per_request_ms(self, cpu: float) -> float:
        return cpu * 1000 / max(self.requests, 1)

    @property
    def others_cpu(self) -> float:
        """CPU of everything else on the machine in the window (neighbours' work)."""
        return max(0.0, self.machine_cpu - self.server_cpu - self.postgres_cpu - self.wrk_cpu)


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wrk(
    url: str,
    script: Path | None,
    seconds: int,
    *,
    threads: int,
    connections: int,
    server_pid: int,
    postgres_pid: int,
) -> Window:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    before = (cpu_seconds(server_pid), cpu_seconds(postgres_pid), machine_busy_seconds())
    wrk_before = _children_cpu()
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    wrk_cpu = _children_cpu() - wrk_before
    server_cpu = cpu_seconds(server_pid) - before[0]
    postgres_cpu = cpu_seconds(postgres_pid) - before[1]
    machine_cpu = machine_busy_seconds() - before[2]

    def find(pattern: str) -> str:
        match = re.search(pattern, out)
        if match is None:
            raise SystemExit(f"unexpected wrk output:\n{out}")
        return match.group(1)

    socket_errors = re.search(r"Socket errors: (.*)", out)
    if socket_errors:
        print(f"    wrk socket errors: {socket_errors.group(1)}", flush=True)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return Window(
        rps=float(find(r"Requests/sec:\s+([\d.]+)")),
        requests=int(find(r"(\d+) requests in")),
        p50_ms=_ms(find(r"\s50%\s+(\S+)")),
        p99_ms=_ms(find(r"\s99%\s+(\S+)")),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        server_cpu=server_cpu,
        postgres_cpu=postgres_cpu,
        wrk_cpu=wrk_cpu,
        machine_cpu=machine_cpu,
        seconds=seconds,
        load=load_average(),
    )
