"""Liveness, readiness, metrics and the logs."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from taskapp.logs import BatchingHandler, JsonFormatter, request_id
from tests.taskapp.support import app_client, sqlite_settings

pytestmark = pytest.mark.anyio


async def test_readyz_and_healthz(tmp_path: Path) -> None:
    async with app_client(sqlite_settings(tmp_path)) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        assert (await client.get("/readyz")).json() == {"status": "ready"}


async def test_metrics_count_requests_by_route(tmp_path: Path) -> None:
    async with app_client(sqlite_settings(tmp_path)) as client:
        await client.post("/api/tasks", json={"title": "x"})
        await client.get("/api/tasks/999")
        text = (await client.get("/metrics")).text
    assert 'taskapp_http_requests_total{method="POST",route="/api/tasks",status="201"} 1.0' in text
    assert (
        'taskapp_http_requests_total{method="GET",route="/api/tasks/{id}",status="404"} 1.0' in text
    )
    assert "taskapp_http_request_duration_seconds_bucket" in text
    assert 'taskapp_db_pool_connections{state="checked_out"}' in text
    assert "taskapp_db_ready 1.0" in text


def test_logs_are_json_with_request_id() -> None:
    record = logging.LogRecord("taskapp", logging.INFO, __file__, 1, "hello %s", ("x",), None)
    record.status = 201
    token = request_id.set("rid-1")
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id.reset(token)
    assert line["msg"] == "hello x"
    assert line["request_id"] == "rid-1"
    assert line["status"] == 201
    assert line["level"] == "info"


def test_log_lines_are_batched_but_warnings_are_not() -> None:
    stream = io.StringIO()
    handler = BatchingHandler(stream, interval=3600)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("taskapp.test-batching")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        logger.warning("first")  # a warning flushes at once
        assert json.loads(stream.getvalue())["msg"] == "first"
        logger.info("second")
        assert "second" not in stream.getvalue()
        handler.flush()
        assert [json.loads(line)["msg"] for line in stream.getvalue().splitlines()] == [
            "first",
            "second",
        ]
    finally:
        logger.removeHandler(handler)
