"""Connection strings: which database to reach, and how to show one without its password.

Accepts libpq URIs (`postgresql://user:secret@host:5432/db?sslmode=require`), SQLAlchemy URLs
(`postgresql+asyncpg://...`, the driver suffix is dropped) and libpq key=value strings. The password
never goes on a command line (where `ps` shows it): tools get the DSN without it, and the password
through the PGPASSWORD environment variable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

MASK = "***"
_KV_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


@dataclass(frozen=True)
class Dsn:
    """A PostgreSQL connection string, split into what tools may see and the secret."""

    without_password: str
    password: str | None
    database: str

    @classmethod
    def parse(cls, raw: str) -> Dsn:
        raw = raw.strip()
        if "://" in raw:
            return cls._parse_uri(raw)
        return cls._parse_keywords(raw)

    @classmethod
    def _parse_uri(cls, raw: str) -> Dsn:
        scheme, netloc, path, query, fragment = urlsplit(raw)
        scheme = scheme.split("+", 1)[0]
        if scheme not in ("postgresql", "postgres"):
            raise ValueError(f"not a PostgreSQL URL (scheme {scheme!r}): {mask(raw)}")
        userinfo, at, hostport = netloc.rpartition("@")
        user, colon, password = userinfo.partition(":")
        netloc = f"{user}@{hostport}" if at and user else hostport
        public = urlunsplit((scheme, netloc, path, query, fragment))
        secret = unquote(password) if colon else None
        return cls(public, secret, unquote(path.lstrip("/")) or unquote(user) or "postgres")

    @classmethod
    def _parse_keywords(cls, raw: str) -> Dsn:
        found = _KV_PASSWORD.search(raw)
        password = None
        if found:
            value = found.group(2)
            password = value[1:-1].replace("\\'", "'") if value.startswith("'") else value
        public = _KV_PASSWORD.sub("", raw).strip()
        database = re.search(r"dbname\s*=\s*(\S+)", public)
        user = re.search(r"user\s*=\s*(\S+)", public)
        name = database.group(1) if database else user.group(1) if user else "postgres"
        return cls(public, password, name.strip("'"))

    def masked(self) -> str:
        """The DSN for messages: the password, if there was one, shows as ***."""
        if self.password is None:
            return self.without_password
        if "://" in self.without_password:
            scheme, netloc, path, query, fragment = urlsplit(self.without_password)
            user, at, hostport = netloc.rpartition("@")
            netloc = f"{user}:{MASK}@{hostport}" if at else f":{MASK}@{hostport}"
            return urlunsplit((scheme, netloc, path, query, fragment))
        return f"{self.without_password} password={MASK}"

    def scrub(self, text: str) -> str:
        """`text` with the password (raw and URL-encoded forms) replaced by ***."""
        return scrub(text, self.password)


def scrub(text: str, secret: str | None) -> str:
    if not secret:
        return text
    from urllib.parse import quote

    for form in {secret, quote(secret, safe="")}:
        text = text.replace(form, MASK)
    return text


def mask(raw: str) -> str:
    """Mask the password of a DSN that may not even parse (for error messages)."""
    masked = re.sub(r"(://[^:/@]*:)[^@]*@", rf"\1{MASK}@", raw)
    return _KV_PASSWORD.sub(rf"\g<1>{MASK}", masked)
