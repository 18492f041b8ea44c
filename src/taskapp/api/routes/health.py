"""/healthz (liveness), /readyz (database reachable and migrated) and /metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.responses import Response

from taskapp.api.deps import Db
from taskapp.api.problems import problem
from taskapp.metrics import Metrics

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz() -> Response:
    """The process answers. Never touches the database, so a database outage restarts nothing."""
    return Response(b'{"status":"ok"}', media_type="application/json")


@router.get("/readyz")
async def readyz(db: Db) -> Response:
    reason = await db.check()
    if reason is not None:
        return problem(503, reason, headers={"Retry-After": "1"})
    return Response(b'{"status":"ready"}', media_type="application/json")


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    registry: Metrics = request.app.state.metrics
    return Response(registry.render(), media_type=CONTENT_TYPE_LATEST)
