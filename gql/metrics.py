"""Prometheus metrics of one server process, in a registry of its own (tests build many apps)."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, event

from gql.fanout import BusHealth
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
        self.operations = Counter(
            "chameleon_operations",
            "GraphQL operations over HTTP by the path that answered them: compiled (a "
            "query as SQL that builds the JSON, a mutation with a plain payload without "
            "per-field execution), or resolved field by field.",
            ["path"],
            registry=r,
        )
        self.telemetry_buffer_depth = Gauge(
            "chameleon_telemetry_buffer_depth",
            "Telemetry entries waiting to be flushed.",
            registry=r,
        )
        self.subscribers = Gauge("chameleon_subscribers", "Open GraphQL subscriptions.", registry=r)

    def watch_runtime(self, bus: WatchedBus, telemetry: WatchedBuffer) -> None:
        """Counters kept by the bus and the buffer themselves, read at every scrape (they
        live in `storage` and `gql.fanout`, which know nothing of Prometheus)."""
        self.registry.register(_RuntimeCollector(bus, telemetry))

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


class WatchedBus(Protocol):
    health: BusHealth

    @property
    def waiting(self) -> int: ...


class WatchedBuffer(Protocol):
    refused: int
    quarantined: int
    bytes: int


class _RuntimeCollector(Collector):
    def __init__(self, bus: WatchedBus, telemetry: WatchedBuffer) -> None:
        self.bus = bus
        self.telemetry = telemetry

    def collect(self) -> Iterator[Metric]:
        health, telemetry = self.bus.health, self.telemetry
        counters = (
            (
                "chameleon_telemetry_refused",
                "Telemetry entries refused by a full buffer (answered BACKPRESSURE).",
                telemetry.refused,
            ),
            (
                "chameleon_telemetry_quarantined",
                "Telemetry entries the database refused, stored as ERROR rows instead.",
                telemetry.quarantined,
            ),
            (
                "chameleon_event_bus_reconnects",
                "Times the event bus reconnected after losing its connections.",
                health.reconnects,
            ),
            (
                "chameleon_event_bus_publish_failures",
                "Event sends that failed (retried after reconnecting, or dropped when refused).",
                health.publish_failures,
            ),
            (
                "chameleon_event_bus_dropped",
                "Events dropped because the bus's outbox was full while it was down.",
                health.dropped,
            ),
            (
                "chameleon_event_bus_offered",
                "Events put into subscribers' queues: one per subscription the event matched.",
                health.offered,
            ),
        )
        for name, documentation, value in counters:
            yield CounterMetricFamily(name, documentation, value=value)
        gauges = (
            (
                "chameleon_telemetry_buffer_bytes",
                "Bytes of telemetry waiting to be flushed.",
                telemetry.bytes,
            ),
            (
                "chameleon_event_bus_connected",
                "1 while the event bus is connected.",
                int(health.connected),
            ),
            (
                "chameleon_event_bus_waiting",
                "Events published but not yet sent by the bus.",
                self.bus.waiting,
            ),
        )
        for name, documentation, value in gauges:
            yield GaugeMetricFamily(name, documentation, value=value)
