"""All routers of the API."""

from __future__ import annotations

from fastapi import APIRouter

from taskapp.api.routes import health, tasks

api_router = APIRouter()
api_router.include_router(health.router)
api_router.include_router(tasks.router)
