"""JSON logs to stdout, one object per line, each carrying the current request id."""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import threading
import time
from contextvars import ContextVar
from typing import Any, TextIO

import msgspec

request_id: ContextVar[str | None] = ContextVar("taskapp_request_id", default=None)

# Attributes every LogRecord has; anything else passed via `extra=` is copied into the JSON.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's ANSI copy of msg
}


_encode = msgspec.json.Encoder(enc_hook=str).encode


def _dumps(entry: dict[str, Any]) -> str:
    """One compact JSON line; msgspec is several times faster than `json.dumps` for these."""
    try:
        return _encode(entry).decode()
    except (TypeError, ValueError, UnicodeError):  # text no UTF-8 encoder takes, odd keys
        return json.dumps(entry, default=str, separators=(",", ":"))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": _timestamp(record.created, record.msecs),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = request_id.get()
        if rid is not None:
            entry["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return _dumps(entry)


_last_second: tuple[int, str] = (-1, "")  # formatted once per second: most lines share it


def _timestamp(created: float, msecs: float) -> str:
    global _last_second
    second, text = _last_second  # one read: a tuple is replaced whole, never half-updated
    if second != int(created):
        second = int(created)
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _last_second = (second, text)
    return f"{text}.{int(msecs):03d}Z"


class BatchingHandler(logging.Handler):
    """Writes lines in batches: at most every `interval` seconds, at once for warnings and up.

    One write system call per request (the access log) was measurable under load; a batch costs
    one per interval. A daemon thread flushes what waits; `logging.shutdown` flushes at exit.
    """

    def __init__(self, stream: TextIO, interval: float = 0.2, capacity: int = 512) -> None:
        super().__init__()
        self.stream = stream
        self.capacity = capacity
        self._lines: list[str] = []
        self._flusher = threading.Thread(
            target=self._flush_every, args=(interval,), name="log-flush", daemon=True
        )
        self._flusher.start()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        self.append(line, urgent=record.levelno >= logging.WARNING)

    def append(self, line: str, *, urgent: bool = False) -> None:
        """Queue a formatted line; write the batch now when `urgent` or full."""
        with self.lock or contextlib.nullcontext():
            self._lines.append(line)
            urgent = urgent or len(self._lines) >= self.capacity
        if urgent:
            self.flush()

    def flush(self) -> None:
        with self.lock or contextlib.nullcontext():
            if not self._lines:
                return
            text = "\n".join(self._lines) + "\n"
            self._lines.clear()
            try:
                self.stream.write(text)
                self.stream.flush()
            except (OSError, ValueError):
                pass  # stdout closed: nothing useful to do with a log line

    def _flush_every(self, interval: float) -> None:
        while True:
            time.sleep(interval)
            self.flush()


_access = logging.getLogger("taskapp.access")


def access(msg: str, fields: dict[str, Any]) -> None:
    """Log one request at INFO on `taskapp.access`, as `info(msg, extra=fields)` would.

    When the line would go, unfiltered, to the root logger's one handler, our JSON batch handler
    (the configuration `configure` makes), the line is built straight away: no LogRecord, no
    caller lookup (the logging machinery was a tenth of a small request's CPU, profiled).
    Any other configuration (tests capturing logs, extra handlers) takes the usual path.
    """
    if not _access.isEnabledFor(logging.INFO):
        return
    handler = _only_handler()
    if handler is None:
        _access.info(msg, extra=fields)
        return
    created = time.time()
    entry: dict[str, Any] = {
        "ts": _timestamp(created, (created - int(created)) * 1000),
        "level": "info",
        "logger": _access.name,
        "msg": msg,
    }
    rid = request_id.get()
    if rid is not None:
        entry["request_id"] = rid
    entry.update(fields)
    handler.append(_dumps(entry))


def _only_handler() -> BatchingHandler | None:
    logger: logging.Logger | None = _access
    while logger is not None and logger is not logging.root:
        if logger.handlers or logger.filters or not logger.propagate:
            return None
        logger = logger.parent
    handlers = logging.root.handlers
    if len(handlers) != 1 or logging.root.filters:
        return None
    handler = handlers[0]
    if (
        type(handler) is not BatchingHandler
        or type(handler.formatter) is not JsonFormatter
        or handler.filters
        or handler.level > logging.INFO
    ):
        return None
    return handler


def configure(level: str = "INFO") -> None:
    """Route the root logger (and uvicorn's) to stdout as JSON. Idempotent."""
    handler = BatchingHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for previous in root.handlers:
        previous.flush()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # Our middleware writes the access log; uvicorn's would duplicate it.
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
