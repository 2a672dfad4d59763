"""Server settings, read from the environment (prefix CHAMELEON_) by pydantic-settings."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """One object for every knob; built in the app factory or CLI, never at import time."""

    model_config = SettingsConfigDict(env_prefix="CHAMELEON_", extra="ignore")

    data_dir: Path = Field(default=Path("./.chameleon"), description="Embedded SQLite files.")
    template_db_url: str = Field(default="", description="Template tier URL (SQLAlchemy).")
    instance_db_url: str = Field(default="", description="Instance tier URL (SQLAlchemy).")
    sql_echo: bool = False

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

    event_bus: Literal["memory", "postgres"] = "memory"
    subscriber_queue_size: int = 1_000
    # Events kept while the PostgreSQL bus reconnects; past it the oldest are dropped.
    event_bus_outbox_size: int = 10_000
    # Off by default: subscription frames are small JSON, and compressing each one once per
    # subscriber was a tenth of the server's fan-out work.
    ws_compression: bool = False
    telemetry_buffer_size: int = 10_000
    # The buffer's bound in bytes of entry JSON (an entry count alone lets a few huge
    # entries hold gigabytes); past either bound `recordTelemetry` answers BACKPRESSURE.
    telemetry_buffer_bytes: int = 64_000_000
    telemetry_batch_size: int = 1_000
    telemetry_flush_interval_s: float = 0.5

    @model_validator(mode="after")
    def _default_urls(self) -> Settings:
        if not self.template_db_url:
            self.template_db_url = f"sqlite+aiosqlite:///{self.data_dir / 'templates.db'}"
        if not self.instance_db_url:
            self.instance_db_url = f"sqlite+aiosqlite:///{self.data_dir / 'instances.db'}"
        return self

    @property
    def embedded(self) -> bool:
        """True when both tiers are SQLite files (the zero set-up default)."""
        return all(url.startswith("sqlite") for url in (self.template_db_url, self.instance_db_url))
