"""Every TaskApp setting, in one place.

Each field is read from the environment as ``TASKAPP_<FIELD>`` (case-insensitive), so a container
needs no flags; `taskapp serve --host/--port` only override the two bind settings. The table in
docs/taskapp.md is this class, field by field. Nothing else in the package reads the environment.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/taskapp.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TASKAPP_", extra="ignore", frozen=True)

    # Serving
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Processes sharing the socket; each keeps its own /metrics (see docs).",
    )
    shutdown_timeout: int = Field(
        default=20, gt=0, description="Seconds to finish in-flight requests after SIGTERM."
    )
    max_body_bytes: int = Field(
        default=64 * 1024, ge=1024, description="Largest request body accepted (else 413)."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    access_log: bool = True
    static_dir: Path | None = Field(
        default=None, description="Serve the front end from here instead of the packaged files."
    )
    serve_frontend: bool = True

    # Database
    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        validation_alias=AliasChoices("TASKAPP_DATABASE_URL", "DATABASE_URL"),
    )
    database_credentials_file: Path = Path("/vault/secrets/db-creds")
    credentials_poll_interval: float = Field(default=1.0, gt=0)
    migrate_on_start: bool = True
    db_pool_size: int = Field(default=10, ge=1)
    # Overflow connections are closed as soon as they are returned, so under steady load they
    # are opened and closed all the time (TCP + SCRAM + a new backend each): off by default.
    db_max_overflow: int = Field(default=0, ge=0)
    db_pool_timeout: float = Field(default=5.0, gt=0)
    db_pool_recycle: int = Field(
        default=1800, ge=0, description="Close connections older than this many seconds."
    )
    db_connect_timeout: float = Field(default=5.0, gt=0)
    db_command_timeout: float = Field(default=10.0, gt=0)
    db_retire_timeout: float = Field(
        default=30.0,
        gt=0,
        description="After a credential change, wait this long for old connections to be returned.",
    )

    # Authentication and CORS
    identity_header: str | None = Field(
        default=None,
        description="Header the edge sets to the user, e.g. Cf-Access-Authenticated-User-Email.",
    )
    api_tokens_file: Path | None = None
    allow_anonymous: bool | None = Field(
        default=None,
        description="Default: only when no auth is configured and the bind host is loopback.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("identity_header", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def auth_configured(self) -> bool:
        return self.identity_header is not None or self.api_tokens_file is not None

    @property
    def anonymous(self) -> bool:
        """Whether requests without credentials are served (as the single user `anonymous`)."""
        if self.allow_anonymous is not None:
            return self.allow_anonymous
        return not self.auth_configured and _is_loopback(self.host)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
