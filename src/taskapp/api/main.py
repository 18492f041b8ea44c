"""All routers of the API, included by `taskapp.main` straight into the app."""

from __future__ import annotations

from fastapi import APIRouter

from taskapp.api.routes import health, tasks

routers: tuple[APIRouter, ...] = (health.router, tasks.router)
