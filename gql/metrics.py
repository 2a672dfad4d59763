"""Prometheus metrics of one server process, in a registry of its own (tests build many apps)."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import Engine, event

from storage.engines import Tier


class StatementCount:
    """Statements issued on behalf of one request (a mutable box, shared across greenlets and
    the SQLite writer thread)."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0


current_statements: contextvars.ContextVar[StatementCount | None] = contextvars.ContextVar(
    "current_statements", default=None
)


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.sql_statements = Counter(
            "chameleon_sql_statements",
            "SQL statements executed by the server.",
            ["tier"],
            registry=r,
        )
        self.requests = Counter(
            "chameleon_graphql_requests", "GraphQL requests over HTTP.", ["status"], registry=r
        )
        self.latency = Histogram(
            "chameleon_graphql_request_seconds",
            "Latency of GraphQL requests over HTTP.",
            registry=r,
        )
        self.statements_per_request = Histogram(
            "chameleon_sql_statements_per_request",
            "SQL statements per GraphQL request.",
            buckets=(1, 2, 3, 5, 8, 13, 21, 34, 55, 89, float("inf")),
            registry=r,
        )
        self.telemetry_buffer_depth = Gauge(
            "chameleon_telemetry_buffer_depth",
            "Telemetry entries waiting to be flushed.",
            registry=r,
        )
        self.telemetry_refused = Counter(
            "chameleon_telemetry_refused",
            "Telemetry entries refused by a full buffer.",
            registry=r,
        )
        self.subscribers = Gauge("chameleon_subscribers", "Open GraphQL subscriptions.", registry=r)

    def watch_tier(self, tier: Tier) -> None:
        """Count every statement the tier's engines send, overall and for the current request."""
        tier.watch_engines(lambda engine: self._watch_engine(tier.name, engine))

    def _watch_engine(self, tier: str, engine: Engine) -> None:
        counter = self.sql_statements.labels(tier=tier)

        def count(*_: Any) -> None:
            counter.inc()
            box = current_statements.get()
            if box is not None:
                box.value += 1

        event.listen(engine, "before_cursor_execute", count)
