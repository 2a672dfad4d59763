"""Telemetry: what the buffer alone takes per second (an append to a deque: a ceiling, not
what a client can record), rows its flusher writes per second, and `recordTelemetry` per
second over HTTP, the API path a client actually has (`tests/bench/telemetry_api.py`)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from storage.engines import Tiers
from storage.enums import LogType
from storage.telemetry.buffer import TelemetryBuffer, TelemetryEntry
from tests.bench import telemetry_api
from tests.bench.common import fresh_sqlite, temporary_dir
from tests.bench.data import example_instance

ENTRIES = 200_000
FLUSHED = 50_000


async def measure() -> dict[str, Any]:
    with temporary_dir() as root:
        urls = fresh_sqlite(root)
        tiers = Tiers.open(urls.template, urls.instance)
        try:
            instance_id = await example_instance(tiers)
            entries = [
                TelemetryEntry(instance_id, LogType.TELEMETRY, details={"n": n})
                for n in range(ENTRIES)
            ]
            buffer = TelemetryBuffer(tiers.instance, capacity=ENTRIES, batch_size=1_000)
            started = time.perf_counter()
            for entry in entries:
                buffer.record(entry)
            record_s = time.perf_counter() - started
            refused_before = buffer.refused
            assert buffer.record(entries[0]) is False  # full: refused, not blocked
            assert buffer.refused == refused_before + 1
            flusher = TelemetryBuffer(tiers.instance, capacity=FLUSHED, batch_size=1_000)
            for entry in entries[:FLUSHED]:
                flusher.record(entry)
            started = time.perf_counter()
            await flusher.drain()
            flush_s = time.perf_counter() - started
        finally:
            await tiers.dispose()
    return {
        "buffer_append_per_s": round(ENTRIES / record_s),
        "flush_rows_per_s": round(FLUSHED / flush_s),
        "batch_size": 1_000,
        "database": "sqlite",
        **await telemetry_api.measure(),
    }


if __name__ == "__main__":
    print(asyncio.run(measure()))
