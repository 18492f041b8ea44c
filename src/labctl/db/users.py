"""The dynamic database users Vault creates, and the expired ones still connected.

Vault's PostgreSQL plugin creates `v-<auth>-<role>-<random>-<time>` roles with VALID UNTIL. That
date only stops new logins: sessions opened before it keep working after the role expired (and
Vault's default revocation does not end them). Those roles are what `labctl db users` flags.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from labctl.db.queries import DYNAMIC_ROLES, literal, query_json
from labctl.db.transport import Transport

VAULT_PREFIX = "v-"


class DbUser(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    valid_until: datetime | None
    can_login: bool
    expired: bool
    sessions: int

    @property
    def stale_sessions(self) -> bool:
        """Expired, yet still connected: the credentials outlived their lease."""
        return self.expired and self.sessions > 0


class DbUsers(BaseModel):
    model_config = ConfigDict(frozen=True)

    checked_at: datetime
    users: list[DbUser]

    @property
    def flagged(self) -> list[DbUser]:
        return [u for u in self.users if u.stale_sessions]


def dynamic_users(transport: Transport, prefix: str = VAULT_PREFIX) -> DbUsers:
    """Roles whose name starts with `prefix`, with expiry and open sessions (server's clock)."""
    answer = query_json(transport, DYNAMIC_ROLES.replace("{prefix}", literal(prefix)))
    return DbUsers(checked_at=answer["now"], users=answer["roles"])
