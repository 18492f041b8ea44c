"""Who is asking: a bearer API token, an identity header set by the edge, or nobody.

* **Bearer tokens.** `TASKAPP_API_TOKENS_FILE` lists one `user:sha256-of-token` per line
  (`taskapp token USER` prints a new token and its line). Only hashes are stored. The file is
  re-read when it changes.
* **Identity header.** `TASKAPP_IDENTITY_HEADER` names a header the edge sets after it
  authenticated the user (for Cloudflare Access: `Cf-Access-Authenticated-User-Email`). The
  backend must then be reachable only through that edge.
* **Anonymous.** With neither configured and a loopback bind address, every request is the user
  `anonymous` and the log says so at start. `TASKAPP_ALLOW_ANONYMOUS` overrides the default.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from collections.abc import Mapping
from pathlib import Path

from taskapp.errors import ConfigError
from taskapp.settings import Settings

ANONYMOUS = "anonymous"
_USER_MAX = 320


class Unauthenticated(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(user: str) -> tuple[str, str]:
    """A fresh token and the tokens-file line that grants it to `user`."""
    token = secrets.token_urlsafe(32)
    return token, f"{user}:{hash_token(token)}"


class TokenFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._users: dict[str, str] = {}
        self._stamp: tuple[int, int] | None = None
        self._checked = 0.0
        self._load()

    def _load(self) -> None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            raise ConfigError(f"API tokens file {self.path} does not exist") from None
        users: dict[str, str] = {}
        for number, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            user, sep, digest = line.rpartition(":")
            if not sep or not user or len(digest) != 64:
                raise ConfigError(f"{self.path}:{number}: expected user:sha256hex")
            users[digest.lower()] = user
        self._users = users
        self._stamp = (st.st_mtime_ns, st.st_size)

    def user(self, token: str) -> str | None:
        now = time.monotonic()
        if now - self._checked > 1.0:
            self._checked = now
            try:
                st = os.stat(self.path)
                if (st.st_mtime_ns, st.st_size) != self._stamp:
                    self._load()
            except (OSError, ConfigError):
                pass  # keep the tokens we have; a broken edit must not lock everyone out
        return self._users.get(hash_token(token))


class Authenticator:
    def __init__(self, settings: Settings) -> None:
        self.header = settings.identity_header.lower() if settings.identity_header else None
        self.tokens = TokenFile(settings.api_tokens_file) if settings.api_tokens_file else None
        self.anonymous = settings.anonymous
        if not (self.anonymous or self.header or self.tokens):
            raise ConfigError(
                "no authentication is configured and anonymous access is off: set "
                "TASKAPP_IDENTITY_HEADER or TASKAPP_API_TOKENS_FILE "
                "(or TASKAPP_ALLOW_ANONYMOUS=true for a trusted network)"
            )

    def describe(self) -> str:
        ways = []
        if self.tokens:
            ways.append("bearer tokens")
        if self.header:
            ways.append(f"identity header {self.header}")
        if self.anonymous:
            ways.append("anonymous")
        return ", ".join(ways)

    def identify(self, headers: Mapping[str, str]) -> str:
        authorization = headers.get("authorization")
        if authorization is not None and self.tokens is not None:
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthenticated("Use an Authorization: Bearer token.")
            user = self.tokens.user(token.strip())
            if user is None:
                raise Unauthenticated("The bearer token is not valid.")
            return user
        if self.header is not None:
            value = headers.get(self.header, "").strip()
            if value:
                if len(value) > _USER_MAX:
                    raise Unauthenticated("The identity header is too long.")
                return value.lower()
        if self.anonymous:
            return ANONYMOUS
        raise Unauthenticated("Authentication is required.")
