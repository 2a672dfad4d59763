"""Server settings, read from the environment (prefix CHAMELEON_) by pydantic-settings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from storage.settings import DatabaseSettings


class Settings(DatabaseSettings):
    """One object for every knob; built in the app factory or CLI, never at import time.

    The database URLs and their defaults come from `DatabaseSettings`, which Alembic's
    env.py reads too.
    """

    host: str = "127.0.0.1"
    port: int = 8000
    # `production` turns GraphiQL, introspection, field suggestions and /metrics on the main
    # port off unless each is enabled explicitly (see `gql.profile`).
    profile: Literal["development", "production"] = "development"
    # None: the profile decides (on in development, off in production).
    graphiql: bool | None = None
    introspection: bool | None = None
    field_suggestions: bool | None = None
    # The live console at /console (static pages over the public API); the profile decides.
    console: bool | None = None
    # A second listener serving only /metrics (then not on the main port in any profile).
    metrics_port: int | None = Field(default=None, ge=1, le=65_535)
    metrics_host: str = "127.0.0.1"

    # Serve anonymous full access on a non-loopback address anyway (warned at every start).
    insecure_anonymous: bool = False

    # An HTTP operation running longer is cancelled (and its PostgreSQL statement with it).
    operation_timeout_s: float = Field(default=30.0, gt=0)
    # Objects a query may ask for, lists multiplying what is under them (see `gql.cost`).
    max_query_cost: int = Field(default=1_000_000, ge=1)
    # Bytes of one JSON value a client sends (attributes, details, metadata, memory...).
    max_json_value_bytes: int = Field(default=1_000_000, ge=1)
    # Mutations per second per caller (token bucket); 0 turns the limit off. None: the
    # profile decides (off in development, 50 per second in production).
    rate_limit_per_s: float | None = Field(default=None, ge=0)
    rate_limit_burst: int = Field(default=100, ge=1)
    cors_origins: list[str] = Field(default_factory=list)
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5_000
    max_page_size: int = 500
    max_body_bytes: int = 6_000_000
    # Queries the planner can compile are answered by one SQL statement per tier that
    # builds the JSON (gql.compiled); false: every query runs through the resolvers.
    compiled_reads: bool = True
    # Mutations whose payload selection is plain skip graphql-core's per-field execution
    # and run their resolver directly (gql.compiled.mutations); false: the resolver path.
    compiled_mutations: bool = True

    # Callers (SPEC 8, `gql.auth`): auth is on as soon as one of these is set, and then every
    # request needs a bearer token. HS256 tokens are checked with the secret, RS256/ES256
    # tokens with the JWKS (a file path or an http(s) URL); issuer and audience, when set,
    # must match the token's `iss` and `aud`.
    auth_secret: str | None = Field(default=None, repr=False)
    auth_jwks: str | None = None
    auth_issuer: str | None = None
    auth_audience: str | None = None
    # Seconds between two reads of the revoked tokens by each server process (`gql.revocation`);
    # on the PostgreSQL event bus a revocation is heard at once as well.
    auth_revocation_refresh_s: float = Field(default=2.0, gt=0)

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

    @model_validator(mode="after")
    def _profile_defaults(self) -> Settings:
        """Fills what the operator left unset from the profile; explicit values win."""
        development = self.profile == "development"
        if self.graphiql is None:
            self.graphiql = development
        if self.console is None:
            self.console = development
        if self.introspection is None:
            self.introspection = development
        if self.field_suggestions is None:
            self.field_suggestions = development
        if self.rate_limit_per_s is None:
            self.rate_limit_per_s = 0.0 if development else 50.0
        if not self.introspection:
            # Suggestions name fields and arguments: they would leak the hidden schema.
            self.field_suggestions = False
        return self

    @property
    def auth_configured(self) -> bool:
        """True when any CHAMELEON_AUTH_* setting is given."""
        return any((self.auth_secret, self.auth_jwks, self.auth_issuer, self.auth_audience))

    @property
    def metrics_on_main_port(self) -> bool:
        """/metrics beside /graphql: in development, unless it has a port of its own."""
        return self.profile == "development" and self.metrics_port is None
