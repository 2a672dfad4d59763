"""Server settings, read from the environment (prefix CHAMELEON_) by pydantic-settings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from storage.settings import DatabaseSettings


class Settings(DatabaseSettings):
    """One object for every knob; built in the app factory or CLI, never at import time.

    The database URLs and their defaults come from `DatabaseSettings`, which Alembic's
    env.py reads too.
    """

    host: str = "127.0.0.1"
    port: int = 8000
    graphiql: bool = True
    introspection: bool = True
    cors_origins: list[str] = Field(default_factory=list)
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5_000
    max_page_size: int = 500
    max_body_bytes: int = 6_000_000
    # Queries the planner can compile are answered by one SQL statement per tier that
    # builds the JSON (gql.compiled); false: every query runs through the resolvers.
    compiled_reads: bool = True

    event_bus: Literal["memory", "postgres"] = "memory"
    subscriber_queue_size: int = 1_000
    # Events kept while the PostgreSQL bus reconnects; past it the oldest are dropped.
    event_bus_outbox_size: int = 10_000
    # Off by default: subscription frames are small JSON, and compressing each one once per
    # subscriber was a tenth of the server's fan-out work.
    ws_compression: bool = False
    # uvicorn's line per request cost 0.1-0.15 ms of CPU per request (a quarter of the
    # cheapest request's cost); a reverse proxy usually logs requests already. Errors and
    # refused requests are logged either way.
    access_log: bool = False
    telemetry_buffer_size: int = 10_000
    # The buffer's bound in bytes of entry JSON (an entry count alone lets a few huge
    # entries hold gigabytes); past either bound `recordTelemetry` answers BACKPRESSURE.
    telemetry_buffer_bytes: int = 64_000_000
    telemetry_batch_size: int = 1_000
    telemetry_flush_interval_s: float = 0.5
    # How long a writing mutation's idempotencyKey replays its first answer (24 h).
    idempotency_retention_s: float = Field(default=86_400.0, gt=0)
