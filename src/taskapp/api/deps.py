"""Dependencies as vocabulary: `Db` and `CurrentUser` in route signatures.

Both are `async def`: FastAPI runs plain `def` dependencies in a thread pool, a cost paid on
every request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from taskapp.auth import Authenticator, Unauthenticated
from taskapp.db.engine import Database


async def _database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def _current_user(request: Request) -> str:
    auth: Authenticator = request.app.state.auth
    try:
        return auth.identify(request.headers)
    except Unauthenticated as exc:
        raise HTTPException(401, exc.detail, headers={"WWW-Authenticate": "Bearer"}) from None


Db = Annotated[Database, Depends(_database)]
CurrentUser = Annotated[str, Depends(_current_user)]
