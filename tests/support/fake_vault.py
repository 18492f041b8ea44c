"""A loopback fake of one HashiCorp Vault server's HTTP API, written from ops-apis.md section 1.

Most tests run on real OpenBao servers (tests/support/openbao.py). This fake stays for what no
server here can do, the `awskms` seal, and answers as OpenBao 2.7.2 was measured to: recovery
keys unseal an operator-sealed node (`sys/seal`) and fail at the threshold key when the KMS
cannot decrypt; `joining_for` (retry_join), `catch_up` (progress 0 after the threshold key) and
`quorum_lost` (autopilot 500). Autopilot's timing (joiners non-voters for 10-17 s, a stopped
voter unhealthy after 2-4 s) is not modelled: tests set `unhealthy` directly.

Tests run hvac (and labctl's own HTTP calls) against this, either
directly (`with FakeVault() as vault: vault.url`) or through FakeKube's pod proxy
(`fake.route("*", r"/api/v1/namespaces/vault/pods/vault-0:8200/proxy/.*", vault.kube_handler)`).

It answers what Vault would for the calls labctl makes:

- `sys/health` (status codes 200/429/472/473/501/503 and the query overrides), `sys/seal-status`;
- `sys/unseal` (Shamir progress, `reset`, `migrate` required during a seal migration),
  `sys/seal`, `sys/generate-root/attempt` and `/update`;
- `sys/storage/raft/configuration` and `/autopilot/state` (auth methods, policies, mounts and
  the database engine are left to the real dev server);
- tokens via `X-Vault-Token` (403 "permission denied" for unknown tokens or paths outside a
  token's allowed prefixes), LIST both as a method and as `GET ?list=true`, Vault's
  `{"errors": [...]}` bodies, 503 "Vault is sealed" while sealed.

Tests script faults with `fail(path_regex, status, times)` and `delay`; `requests` records calls.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import secrets
import string
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from tests.support.fake_kube import Reply
from tests.support.fake_kube import Request as KubeRequest
from tests.support.loopback import LoopbackServer, QuietHandler

Obj = dict[str, Any]


def new_token() -> str:
    alphabet = string.ascii_letters + string.digits
    return "hvs." + "".join(secrets.choice(alphabet) for _ in range(24))


Handler = Callable[..., tuple[int, Obj | None]]


class VaultFailure(Exception):
    def __init__(self, status: int, *errors: str) -> None:
        super().__init__(", ".join(errors))
        self.status, self.errors = status, list(errors)


@dataclass
class Call:
    method: str  # LIST for `?list=true` too
    path: str  # without /v1/
    body: Obj
    token: str | None


@dataclass
class FakeVault:
    """One Vault server. Defaults: initialized, unsealed, active, Shamir 3-of-5, Raft storage."""

    seal_type: str = "shamir"
    initialized: bool = True
    sealed: bool = False
    standby: bool = False
    performance_standby: bool = False
    version: str = "1.18.3"
    threshold: int = 3
    shares: int = 5
    kms_reachable: bool = True  # auto-unseal: whether the KMS can decrypt the root key
    migration: bool = False  # a seal migration is pending: unseal needs migrate=true
    node_id: str = "vault-0"
    root_token: str = field(default_factory=new_token)
    keys: list[str] = field(default_factory=list)  # unseal keys (Shamir) or recovery keys
    tokens: dict[str, list[str]] = field(default_factory=dict)  # token -> allowed path prefixes
    raft_servers: list[Obj] = field(default_factory=list)
    unhealthy: set[str] = field(default_factory=set)  # node ids autopilot reports unhealthy
    # Measured on OpenBao 2.7.2 (tests/vault/test_openbao_*.py), for the seals no server here has:
    joining_for: float = 0.0  # retry_join: `initialized: false` this long after the first read
    catch_up: bool = False  # the threshold key answers `sealed: true, progress: 0`, then unseals
    quorum_lost: bool = False  # a standby without a leader: autopilot 500, Raft config readable
    delay: float = 0.0
    requests: list[Call] = field(default_factory=list)
    _entered: list[str] = field(default_factory=list)
    _joined_at: float | None = None
    _unsealed_at: float | None = None
    _generate: Obj | None = None
    _faults: list[tuple[re.Pattern[str], int, list[int]]] = field(default_factory=list)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _server: LoopbackServer | None = None

    def __post_init__(self) -> None:
        if not self.keys:
            self.keys = [secrets.token_hex(16) for _ in range(self.shares)]
        self.tokens.setdefault(self.root_token, [""])
        if not self.raft_servers:
            self.raft_servers = [
                {"node_id": self.node_id, "address": f"{self.node_id}.vault-internal:8201",
                 "leader": True, "voter": True, "protocol_version": "3"}
            ]  # fmt: skip

    # -- lifecycle

    def __enter__(self) -> FakeVault:
        fake = self

        class _Handler(QuietHandler):
            def _handle(self) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, payload = fake.handle(
                    self.command, split.path, parse_qs(split.query), raw, dict(self.headers)
                )
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    return

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_LIST = _handle

        self._server = LoopbackServer(("127.0.0.1", 0), _Handler)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None, "use FakeVault as a context manager"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def kube_handler(self, request: KubeRequest) -> Reply:
        """A FakeKube route handler: the API server's pod proxy forwarding to this server."""
        path = "/" + request.path.split("/proxy/", 1)[1]
        raw = json.dumps(request.body).encode() if request.body is not None else b""
        status, payload = self.handle(request.method, path, request.query, raw, request.headers)
        return Reply(status=status, body=payload)

    # -- scripting

    def fail(self, path_pattern: str, status: int = 500, times: int = 1) -> None:
        """The next `times` requests whose path (without /v1/) matches answer `status`."""
        self._faults.append((re.compile(path_pattern), status, [times]))

    def token_for(self, *prefixes: str) -> str:
        """A token allowed only on paths starting with one of `prefixes`."""
        token = new_token()
        self.tokens[token] = list(prefixes)
        return token

    def calls(self, method: str | None = None, prefix: str = "") -> list[Call]:
        return [
            c
            for c in self.requests
            if (method is None or c.method == method) and c.path.startswith(prefix)
        ]

    # -- request handling

    def handle(
        self, method: str, path: str, query: dict[str, list[str]], raw: bytes, headers: Any
    ) -> tuple[int, bytes]:
        if self.delay:
            time.sleep(self.delay)
        params = {k: v[-1] for k, v in query.items()}
        if method == "GET" and params.get("list", "").lower() in ("true", "1"):
            method = "LIST"
        body: Obj = json.loads(raw) if raw.strip() else {}
        token = headers.get("X-Vault-Token") or headers.get("x-vault-token")
        api = path.removeprefix("/v1/").strip("/")
        with self._lock:
            self.requests.append(Call(method, api, copy.deepcopy(body), token))
            try:
                status, reply = self._faulted(api) or self._route(method, api, params, body, token)
            except VaultFailure as failure:
                status, reply = failure.status, {"errors": failure.errors}
        if status == 204 or reply is None:
            return status, b""
        return status, json.dumps(reply).encode()

    def _faulted(self, api: str) -> tuple[int, Obj] | None:
        for pattern, status, left in self._faults:
            if left[0] > 0 and pattern.fullmatch(api):
                left[0] -= 1
                message = "permission denied" if status == 403 else f"injected failure ({status})"
                return status, {"errors": [message]}
        return None

    def _route(
        self, method: str, api: str, params: dict[str, str], body: Obj, token: str | None
    ) -> tuple[int, Obj | None]:
        self._join_progress()
        if api == "sys/health":
            return self._health(params)
        if api == "sys/seal-status":
            return 200, self._seal_status()
        if api == "sys/unseal" and method in ("PUT", "POST"):
            return self._unseal(body)
        if api.startswith("sys/generate-root/"):
            return self._generate_root(method, api, body)
        if not self.initialized:
            raise VaultFailure(400, "Vault is not initialized")
        if self.sealed:
            raise VaultFailure(503, "Vault is sealed")
        self._authorize(api, token)
        if api == "sys/seal" and method in ("PUT", "POST"):
            self.sealed, self.standby = True, False  # an operator sealed it (204, no body)
            return 204, None
        for pattern, handler in self._authenticated:
            match = re.fullmatch(pattern, api)
            if match:
                result: tuple[int, Obj | None] = handler(self, method, body, *match.groups())
                return result
        raise VaultFailure(404, f"no handler for route {api!r}. route entry not found.")

    def _join_progress(self) -> None:
        now = time.monotonic()
        if self.joining_for and not self.initialized:
            self._joined_at = self._joined_at or now + self.joining_for
            self.initialized = now >= self._joined_at
        if self._unsealed_at is not None and now >= self._unsealed_at:
            self.sealed, self._unsealed_at = False, None

    def _authorize(self, api: str, token: str | None) -> None:
        if token is None:
            raise VaultFailure(403, "permission denied")
        prefixes = self.tokens.get(token)
        if prefixes is None or not any(api.startswith(p) for p in prefixes):
            raise VaultFailure(403, "permission denied")

    # -- unauthenticated sys endpoints

    def _health(self, params: dict[str, str]) -> tuple[int, Obj]:
        body = {
            "initialized": self.initialized,
            "sealed": self.sealed,
            "standby": self.standby,
            "performance_standby": self.performance_standby,
            "replication_performance_mode": "disabled",
            "replication_dr_mode": "disabled",
            "server_time_utc": int(time.time()),
            "version": self.version,
        }
        if self.initialized and not self.sealed:
            body |= {"cluster_name": "vault-cluster-fake", "cluster_id": "00000000-fake"}

        def code(name: str, default: int) -> int:
            return int(params.get(name, default))

        active = code("activecode", 200)
        if not self.initialized:
            return code("uninitcode", 501), body
        if self.sealed:
            return code("sealedcode", 503), body
        if self.performance_standby:
            ok = params.get("perfstandbyok") == "true"
            return (active if ok else code("performancestandbycode", 473)), body
        if self.standby:
            ok = params.get("standbyok") == "true"
            return (active if ok else code("standbycode", 429)), body
        return active, body

    def _seal_status(self) -> Obj:
        auto = self.seal_type != "shamir"
        status: Obj = {
            "type": self.seal_type,
            "initialized": self.initialized,
            "sealed": self.sealed,
            "t": self.threshold,
            "n": self.shares,
            "progress": len(self._entered),
            "nonce": "",
            "version": self.version,
            "build_date": "2024-12-16T14:00:53Z",
            "migration": self.migration,
            "recovery_seal": auto,
            "storage_type": "raft",
        }
        if auto:
            status["recovery_seal_type"] = "shamir"
        if not self.sealed:
            status |= {"cluster_name": "vault-cluster-fake", "cluster_id": "00000000-fake"}
        return status

    def _unseal(self, body: Obj) -> tuple[int, Obj]:
        if body.get("reset"):
            self._entered.clear()
            return 200, self._seal_status()
        if not self.initialized:
            raise VaultFailure(400, "Vault is not initialized")
        key = body.get("key")
        if not key:
            raise VaultFailure(400, "'key' must be specified in request body as JSON, or 'reset'")
        if not self.sealed:
            return 200, self._seal_status()
        if self.migration and not body.get("migrate"):
            raise VaultFailure(
                400, "'migrate' parameter must be set true in JSON body when in seal migration mode"
            )
        if key not in self.keys:
            self._entered.clear()
            raise VaultFailure(400, "invalid key: failed to decrypt keyring")
        if key not in self._entered:
            self._entered.append(key)
        if len(self._entered) >= self.threshold and self.catch_up:
            self._entered.clear()
            self.catch_up, self._unsealed_at = False, time.monotonic() + 0.2
            return 200, self._seal_status()
        if len(self._entered) >= self.threshold:
            self._entered.clear()
            if self.seal_type != "shamir" and not self.kms_reachable and not self.migration:
                # As OpenBao 2.7.2 answers with a static seal whose key is wrong: recovery keys
                # unseal an operator-sealed node, but only while the seal can decrypt the root
                # key; the failure comes at the threshold key, not the first.
                raise VaultFailure(
                    400, "invalid key: failed to verify recovery key: failed to decrypt "
                    "encrypted stored keys: failed to open ciphertext: cipher: message "
                    "authentication failed",
                )  # fmt: skip
            self.sealed = False
            self.migration = False
        return 200, self._seal_status()

    def _generate_root(self, method: str, api: str, body: Obj) -> tuple[int, Obj | None]:
        if self.sealed:
            raise VaultFailure(503, "Vault is sealed")
        if api == "sys/generate-root/attempt":
            if method == "DELETE":
                self._generate = None
                return 204, None
            if method in ("PUT", "POST"):
                if self._generate is not None:
                    raise VaultFailure(400, "root generation already in progress")
                otp = "".join(
                    secrets.choice(string.ascii_letters + string.digits) for _ in range(28)
                )
                self._generate = {"nonce": str(uuid.uuid4()), "otp": otp, "keys": [], "token": ""}
                return 200, self._attempt(include_otp=True)
            return 200, self._attempt()
        if api == "sys/generate-root/update" and method in ("PUT", "POST"):
            return 200, self._generate_update(body)
        raise VaultFailure(405, "unsupported operation")

    def _attempt(self, include_otp: bool = False) -> Obj:
        g = self._generate or {}
        return {
            "started": bool(g),
            "nonce": g.get("nonce", ""),
            "progress": len(g.get("keys", [])),
            "required": self.threshold,
            "encoded_token": g.get("token", ""),
            "otp": g.get("otp", "") if include_otp else "",
            "otp_length": 28,
            "complete": bool(g.get("token")),
            "pgp_fingerprint": "",
        }

    def _generate_update(self, body: Obj) -> Obj:
        g = self._generate
        if g is None:
            raise VaultFailure(400, "no root generation in progress")
        if body.get("nonce") != g["nonce"]:
            raise VaultFailure(400, "incorrect nonce supplied")
        key = body.get("key")
        if key not in self.keys:
            raise VaultFailure(400, "invalid key: failed to decrypt keyring")
        if key not in g["keys"]:
            g["keys"].append(key)
        if len(g["keys"]) >= self.threshold and not g["token"]:
            token = new_token()
            self.tokens[token] = [""]
            xored = bytes(a ^ b for a, b in zip(token.encode(), g["otp"].encode(), strict=True))
            g["token"] = base64.b64encode(xored).decode().rstrip("=")  # Go's RawStdEncoding
            g["root"] = token
        reply = self._attempt()
        if g["token"]:
            self._generate = None  # the attempt ends with the encoded token
        return reply

    @property
    def generated_root(self) -> str | None:
        """The last root token generate-root produced (what the decode must yield)."""
        roots = [t for t, p in self.tokens.items() if p == [""] and t != self.root_token]
        return roots[-1] if roots else None

    # -- authenticated endpoints (table at the end of the class)

    def _raft_configuration(self, method: str, body: Obj) -> tuple[int, Obj]:
        return 200, {"data": {"config": {"index": 24, "servers": copy.deepcopy(self.raft_servers)}}}

    def _autopilot(self, method: str, body: Obj) -> tuple[int, Obj]:
        if self.quorum_lost:
            raise VaultFailure(500, "local node not active but active cluster node not found")
        voters = [s["node_id"] for s in self.raft_servers if s.get("voter", True)]
        leader = next((s["node_id"] for s in self.raft_servers if s.get("leader")), "")
        size = len([v for v in voters if v not in self.unhealthy]) // 2 + 1
        servers = {
            s["node_id"]: {"id": s["node_id"], "name": s["node_id"], "address": s["address"],
                           "node_status": "alive", "healthy": s["node_id"] not in self.unhealthy,
                           "status": "leader" if s.get("leader") else "voter",
                           "version": self.version}
            for s in self.raft_servers
        }  # fmt: skip
        healthy_voters = len([v for v in voters if v not in self.unhealthy])
        return 200, {"data": {"healthy": not self.unhealthy,
                              "failure_tolerance": max(0, healthy_voters - size),
                              "leader": leader, "voters": voters, "servers": servers}}  # fmt: skip

    _authenticated: ClassVar[tuple[tuple[str, Handler], ...]] = (
        (r"sys/storage/raft/configuration", _raft_configuration),
        (r"sys/storage/raft/autopilot/state", _autopilot),
    )
