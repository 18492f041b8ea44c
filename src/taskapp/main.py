"""Builds the FastAPI application: settings in, app out; no work at import time."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline
from starlette.staticfiles import StaticFiles

from taskapp import __version__
from taskapp.api import problems
from taskapp.api.fast_path import FastPath
from taskapp.api.main import routers
from taskapp.api.middleware import RequestMiddleware
from taskapp.auth import Authenticator
from taskapp.db.engine import Database
from taskapp.metrics import Metrics
from taskapp.settings import Settings

log = logging.getLogger("taskapp")
STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    metrics = Metrics()
    db = Database(settings, metrics)
    auth = Authenticator(settings)  # raises ConfigError for an unsafe configuration
    metrics.watch_pool(db.pool_stats)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        log.info("taskapp %s starting", __version__, extra={"auth": auth.describe()})
        if auth.anonymous:
            log.warning(
                "running WITHOUT authentication: every request is the user 'anonymous' "
                "(set TASKAPP_IDENTITY_HEADER or TASKAPP_API_TOKENS_FILE to require it)"
            )
        await db.start()
        # Everything built so far lives as long as the process: keep it out of the cyclic
        # garbage collector's way, so full collections stay short under load.
        gc.freeze()
        try:
            yield
        finally:
            await db.close()
            log.info("taskapp stopped")
            # uvicorn ends by re-raising SIGTERM, which skips atexit: flush the log batch now.
            for handler in logging.getLogger().handlers:
                handler.flush()

    # Swagger UI and ReDoc from the package's own copies: /docs works without the Internet.
    app = FastAPIOffline(
        title="TaskApp",
        version=__version__,
        description="Tasks for the platform's users. Errors are RFC 9457 problem details.",
        lifespan=lifespan,
        # We export Prometheus metrics ourselves; FastAPI's OpenTelemetry hook would otherwise
        # look for a tracer provider on every request (3% of a list request's CPU, profiled).
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.db = db
    app.state.auth = auth
    problems.install(app)
    for router in routers:  # one level of routers: each level costs time on every request
        app.include_router(router)
    if settings.serve_frontend:
        app.mount("/", StaticFiles(directory=settings.static_dir or STATIC, html=True))
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Request-Id"],
            expose_headers=["Link", "Location", "X-Request-Id"],
        )
    app.add_middleware(
        RequestMiddleware,
        metrics=metrics,
        max_body=settings.max_body_bytes,
        access_log=settings.access_log,
        # CORS runs inside this middleware: with it on, every request takes FastAPI's path.
        fast=None if settings.cors_origins else FastPath(app),
    )
    return app
