"""Dependencies as vocabulary: `CurrentCaller` (who asks, and the database) and `Db`.

One dependency per route, not two: FastAPI's dependency solving is the largest single cost of a
request after the database (profiled), and each sub-dependency pays it again. Both are
`async def`: FastAPI runs plain `def` dependencies in a thread pool, a cost on every request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from taskapp.auth import Authenticator, Unauthenticated
from taskapp.db.engine import Database


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated user of this request, and the database to serve them from."""

    user: str
    db: Database


async def _database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def current_caller(request: Request) -> Caller:
    """The `CurrentCaller` of a request; HTTP 401 when it does not authenticate."""
    auth: Authenticator = request.app.state.auth
    try:
        user = auth.identify(request.headers)
    except Unauthenticated as exc:
        raise HTTPException(401, exc.detail, headers={"WWW-Authenticate": "Bearer"}) from None
    return Caller(user, request.app.state.db)


Db = Annotated[Database, Depends(_database)]
CurrentCaller = Annotated[Caller, Depends(current_caller)]
