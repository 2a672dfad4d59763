"""What one server process holds while it runs: engines, event bus, telemetry buffer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gql.auth import auth_enabled
from gql.events import MemoryBus, create_bus
from gql.metrics import Metrics
from gql.revocation import Revocations
from gql.settings import Settings
from storage.engines import Tiers
from storage.telemetry.buffer import TelemetryBuffer, Written
from storage.telemetry.events import Event
from storage.telemetry.known_ids import KnownIds

if TYPE_CHECKING:
    from gql.postgres_bus import PostgresBus


@dataclass
class ServerState:
    """Opened in the lifespan, in dependency order, and closed in reverse."""

    _tiers: Tiers | None = None
    _bus: MemoryBus | PostgresBus | None = None
    _telemetry: TelemetryBuffer | None = None
    # The revoked tokens, kept only while auth is on (nothing checks tokens otherwise).
    revocations: Revocations | None = None
    closing: bool = field(default=False)

    @property
    def tiers(self) -> Tiers:
        assert self._tiers is not None, "server not started"
        return self._tiers

    @property
    def bus(self) -> MemoryBus | PostgresBus:
        assert self._bus is not None, "server not started"
        return self._bus

    @property
    def telemetry(self) -> TelemetryBuffer:
        assert self._telemetry is not None, "server not started"
        return self._telemetry

    async def open(self, settings: Settings, metrics: Metrics) -> None:
        tiers = Tiers.open(
            settings.template_db_url,
            settings.instance_db_url,
            echo=settings.sql_echo,
            # The database's own backstop for the operation timeout (`gql.http`).
            statement_timeout_ms=round(settings.operation_timeout_s * 1000),
        )
        metrics.watch_tier(tiers.template)
        metrics.watch_tier(tiers.instance)
        # One memory of checked ids per process, for the telemetry checks (see KnownIds).
        tiers.instance.known_ids = KnownIds()
        self._tiers = tiers
        bus = create_bus(
            settings.event_bus,
            tiers.instance,
            settings.subscriber_queue_size,
            outbox_size=settings.event_bus_outbox_size,
        )
        await bus.start()
        self._bus = bus
        if auth_enabled(settings):
            revocations = Revocations(tiers.instance, settings.auth_revocation_refresh_s)
            await revocations.start(bus)
            self.revocations = revocations

        async def announce(written: Written) -> None:
            """Entries too large to announce before they were stored, now by log id."""
            for entry, log_id in written:
                await bus.publish(Event.of_entry(entry, log_id))

        telemetry = TelemetryBuffer(
            tiers.instance,
            capacity=settings.telemetry_buffer_size,
            max_bytes=settings.telemetry_buffer_bytes,
            batch_size=settings.telemetry_batch_size,
            flush_interval_s=settings.telemetry_flush_interval_s,
            on_written=announce,
        )
        telemetry.start()
        self._telemetry = telemetry
        metrics.telemetry_buffer_depth.set_function(lambda: telemetry.depth)
        metrics.subscribers.set_function(lambda: bus.count)
        metrics.watch_runtime(bus, telemetry)

    async def end_subscriptions(self) -> None:
        """First step of a graceful stop: every subscription completes (the bus itself stays
        up until the telemetry is drained: other processes still hear what is written)."""
        self.closing = True
        if self._bus is not None:
            self._bus.close_all()

    async def close(self) -> None:
        """Last step: every accepted telemetry entry is written, the bus sends what it still
        holds, then engines are disposed."""
        try:
            if self.revocations is not None:
                await self.revocations.stop()
            if self._telemetry is not None:
                await self._telemetry.stop()
        finally:
            if self._bus is not None:
                await self._bus.stop()
            if self._tiers is not None:
                await self._tiers.dispose()
