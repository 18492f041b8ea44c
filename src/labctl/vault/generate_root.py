"""`labctl vault generate-root`: a new root token from a threshold of recovery (or unseal) keys.

Two flows, chosen from the server's answer: HashiCorp Vault serves the unauthenticated
`sys/generate-root/*`; OpenBao (2.5.3 and later) disables it by default (405 "unsupported
operation") and serves `sys/generate-root-token/*`, which takes a token. Same bodies, same decode.

Replaces the runbook's `vault operator generate-root -init`, `-nonce=<N> <KEY>` per key and
`-decode=<TOKEN> -otp=<OTP>`: the keys are read without echo, the OTP is shown once (so an attempt
finished elsewhere can still be decoded), and the decode runs here (ops-apis 1.6).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from labctl.vault.connection import VaultNode
from labctl.vault.errors import Refused, VaultError
from labctl.vault.unseal import KeyRing


@dataclass(frozen=True)
class Attempt:
    started: bool
    nonce: str
    progress: int
    required: int
    complete: bool
    encoded_token: str = ""
    otp: str = ""  # only in the answer that starts the attempt

    @classmethod
    def from_body(cls, body: dict[str, object]) -> Attempt:
        wrapped = body.get("data")  # the token flow answers inside `data`, like any API call
        if isinstance(wrapped, dict):
            body = wrapped

        def num(key: str) -> int:
            value = body.get(key)
            return value if isinstance(value, int) else 0

        return cls(
            started=body.get("started") is True,
            nonce=str(body.get("nonce") or ""),
            progress=num("progress"),
            required=num("required"),
            complete=body.get("complete") is True,
            encoded_token=str(body.get("encoded_token") or ""),
            otp=str(body.get("otp") or ""),
        )


def decode_token(encoded_token: str, otp: str) -> str:
    """The root token: base64-decode (Vault omits the padding), then XOR with the OTP's bytes."""
    raw = base64.b64decode(encoded_token + "=" * (-len(encoded_token) % 4))
    if len(raw) != len(otp):
        raise VaultError(
            f"the encoded token is {len(raw)} bytes but the OTP is {len(otp)} characters: "
            "this OTP belongs to another attempt"
        )
    return bytes(a ^ b for a, b in zip(raw, otp.encode(), strict=True)).decode()


LEGACY, TOKEN_FLOW = "sys/generate-root", "sys/generate-root-token"


@dataclass(frozen=True)
class Endpoint:
    """Where this server generates root tokens, and the token that flow needs (if any)."""

    node: VaultNode
    prefix: str = LEGACY
    token: str | None = None

    def call(self, method: str, path: str, body: dict[str, str] | None = None) -> Any:
        return self.node.call(method, f"{self.prefix}/{path}", body=body, token=self.token)


def endpoint(node: VaultNode, token: str | None = None) -> Endpoint:
    """The flow this server supports: try Vault's unauthenticated one, else OpenBao's."""
    reply = node.call("GET", f"{LEGACY}/attempt")
    if reply.status != 405:
        return Endpoint(node)
    if not token:
        raise Refused(
            f"{node.name} disables the unauthenticated sys/generate-root (OpenBao 2.5.3 and "
            "later): its sys/generate-root-token/* needs a token with access to it; set "
            "VAULT_TOKEN (or enable the old endpoint with "
            "disable_unauthed_generate_root_endpoints = false in the server configuration)"
        )
    return Endpoint(node, TOKEN_FLOW, token)


def _attempt(
    where: Endpoint, method: str, path: str, body: dict[str, str] | None = None
) -> Attempt:
    reply = where.call(method, path, body)
    if reply.status != 200:
        raise VaultError(f"{method} {where.prefix}/{path} on {where.node.name}: {reply.errors}")
    return Attempt.from_body(reply.body)


def status(where: Endpoint) -> Attempt:
    return _attempt(where, "GET", "attempt")


def cancel(where: Endpoint) -> None:
    reply = where.call("DELETE", "attempt")
    if reply.status not in (200, 204):
        raise VaultError(f"cancelling the root token generation: {reply.errors}")


def start(where: Endpoint) -> Attempt:
    """Begin an attempt; refuses when one is running (Vault allows one at a time)."""
    current = status(where)
    if current.started:
        raise Refused(
            f"a root token generation is already in progress on {where.node.name} (nonce "
            f"{current.nonce}, {current.progress}/{current.required} keys): finish it with "
            "`labctl vault generate-root --nonce NONCE`, or cancel it with `--cancel`"
        )
    attempt = _attempt(where, "PUT", "attempt", {})
    if not attempt.otp:
        raise VaultError("Vault started the attempt without returning an OTP")
    return attempt


def provide_keys(where: Endpoint, nonce: str, keys: KeyRing) -> Attempt:
    """Send keys for `nonce` until the attempt completes or the user stops."""
    attempt = status(where)
    index = 0
    while not attempt.complete:
        prompt = f"recovery key {attempt.progress + 1}/{attempt.required} (nonce {nonce})"
        key = keys.key(index, prompt)
        if not key:
            return attempt
        attempt = _attempt(where, "PUT", "update", {"key": key, "nonce": nonce})
        index += 1
    return attempt


def generate_root(
    where: Endpoint, ask_key: Callable[[str], str], show_otp: Callable[[Attempt], None]
) -> str:
    """The whole flow: start, show the OTP once, take the keys, decode. Returns the root token."""
    attempt = start(where)
    show_otp(attempt)
    done = provide_keys(where, attempt.nonce, KeyRing(ask_key))
    if not done.complete:
        raise Refused(
            f"stopped at {done.progress}/{done.required} keys; the attempt (nonce "
            f"{attempt.nonce}) stays open: continue with `--nonce`, decode with `--decode`"
        )
    return decode_token(done.encoded_token, attempt.otp)
