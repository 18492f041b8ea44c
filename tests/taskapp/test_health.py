"""Liveness, readiness, metrics and the logs."""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

import pytest

from taskapp import logs
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


def test_access_log_line_is_what_the_logging_path_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    handler = BatchingHandler(stream, interval=3600)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [handler])
    monkeypatch.setattr(root, "level", logging.INFO)
    fields: dict[str, object] = {"status": 201, "duration_ms": 1.25}
    token = request_id.set("rid-2")
    try:
        logs.access("POST /api/tasks 201", fields)  # built directly
        logging.getLogger("taskapp.access").info("POST /api/tasks 201", extra=fields)
    finally:
        request_id.reset(token)
    handler.flush()
    direct, usual = (json.loads(line) for line in stream.getvalue().splitlines())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", direct.pop("ts"))
    usual.pop("ts")
    assert list(direct.items()) == list(usual.items())
    assert direct["request_id"] == "rid-2" and direct["status"] == 201


def test_access_log_takes_the_logging_path_when_captured(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="taskapp.access")
    logs.access("GET /healthz 200", {"status": 200, "duration_ms": 0.5})
    [record] = [r for r in caplog.records if r.name == "taskapp.access"]
    assert record.getMessage() == "GET /healthz 200"
    assert record.__dict__["status"] == 200
