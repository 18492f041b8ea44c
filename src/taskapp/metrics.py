"""Prometheus metrics: one registry per app, so several apps can live in one process (tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

PoolStats = Callable[[], dict[str, int]]

_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "taskapp_http_requests_total",
            "HTTP requests by route template, method and status.",
            ("route", "method", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "taskapp_http_request_duration_seconds",
            "Time from request start to the end of the response.",
            ("route", "method"),
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.credential_reloads = Counter(
            "taskapp_credential_reloads_total",
            "Database credential file reads: applied, unchanged, rejected (bad file or login).",
            ("result",),
            registry=self.registry,
        )
        self.db_retries = Counter(
            "taskapp_db_retries_total",
            "Database operations retried on a fresh connection, by reason.",
            ("reason",),
            registry=self.registry,
        )

        # Labelled children by (route, method, status): `labels()` costs more than the update.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def watch_pool(self, stats: PoolStats) -> None:
        self.registry.register(_PoolCollector(stats))

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        children = self._children.get(key)
        if children is None:
            children = (
                self.requests.labels(route, method, str(status)),
                self.latency.labels(route, method),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _PoolCollector(Collector):
    def __init__(self, stats: PoolStats) -> None:
        self._stats = stats

    def collect(self) -> Iterable[GaugeMetricFamily]:
        stats = self._stats()
        pool = GaugeMetricFamily(
            "taskapp_db_pool_connections",
            "Connections of the current pool, by state.",
            labels=("state",),
        )
        for state in ("checked_out", "idle", "overflow"):
            pool.add_metric((state,), stats.get(state, 0))
        yield pool
        yield GaugeMetricFamily(
            "taskapp_db_engines",
            "Engines alive (>1 while old credentials are retired).",
            value=stats.get("engines", 0),
        )
        yield GaugeMetricFamily(
            "taskapp_db_ready",
            "1 when the database was reached and migrated.",
            value=stats.get("ready", 0),
        )
