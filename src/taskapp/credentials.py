"""Database credentials rendered by Vault Agent into a file.

Two forms are accepted. The seed's template renders shell exports::

    export DATABASE_USER="v-kubernet-taskapp-AbC123-1700000000"
    export DATABASE_PASSWORD="A1a-..."

and a JSON template may render ``{"username": "...", "password": "..."}`` (``user`` and
``DATABASE_USER``/``DATABASE_PASSWORD`` are accepted as keys too). The file is re-read when its
fingerprint (inode, size, mtime) changes, and on demand when a new connection fails to
authenticate; `db.engine.Database` decides what to do with new credentials.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from dataclasses import dataclass
from pathlib import Path


class CredentialsError(ValueError):
    """The credentials file exists but cannot be understood."""


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str

    def __repr__(self) -> str:  # never print a password
        return f"Credentials(user={self.user!r}, password='***')"


Fingerprint = tuple[int, int, int, int]

_USER_KEYS = ("username", "user", "DATABASE_USER")
_PASSWORD_KEYS = ("password", "DATABASE_PASSWORD")
_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


def parse(text: str) -> Credentials:
    """Credentials from the file's text, in either the export form or the JSON form."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise CredentialsError(f"credentials file is not valid JSON: {exc.msg}") from None
        if not isinstance(data, dict):
            raise CredentialsError("credentials JSON must be an object")
        values = {str(k): v for k, v in data.items()}
    else:
        values = _parse_exports(stripped)
    user = next((values[k] for k in _USER_KEYS if k in values), None)
    password = next((values[k] for k in _PASSWORD_KEYS if k in values), None)
    if not isinstance(user, str) or not user or not isinstance(password, str) or not password:
        raise CredentialsError("credentials file must give a non-empty user and password")
    return Credentials(user=user, password=password)


def _parse_exports(text: str) -> dict[str, object]:
    values: dict[str, object] = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _ASSIGNMENT.match(line)
        if match is None:
            raise CredentialsError("credentials file has a line that is not NAME=value")
        name, raw = match.groups()
        try:
            words = shlex.split(raw)
        except ValueError:
            raise CredentialsError(f"credentials file: cannot parse the value of {name}") from None
        values[name] = words[0] if len(words) == 1 else " ".join(words)
    return values


class CredentialsFile:
    """Reads one credentials file and tells whether it changed since the last read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: Fingerprint | None = None

    def fingerprint(self) -> Fingerprint | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)

    def forget(self) -> None:
        """Make the next `changed()` true, so the file is read again."""
        self._seen = None

    def changed(self) -> bool:
        return self.fingerprint() != self._seen

    def read(self) -> Credentials | None:
        """The file's credentials (None when absent); remembers what was read."""
        before = self.fingerprint()
        if before is None:
            self._seen = None
            return None
        creds = parse(self.path.read_text(encoding="utf-8"))
        self._seen = before
        return creds
