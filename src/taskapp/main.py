"""Builds the FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI

from taskapp import __version__


def create_app() -> FastAPI:
    app = FastAPI(title="TaskApp", version=__version__)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
