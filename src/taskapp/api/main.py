"""All routers of the API, included by `taskapp.main` straight into the app."""

from __future__ import annotations

from fastapi import APIRouter

from taskapp.api.routes import health, tasks

# Tasks first: routes are tried in order, and the API is where the traffic is.
routers: tuple[APIRouter, ...] = (tasks.router, health.router)
