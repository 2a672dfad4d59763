"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, String, Text, TypeDecorator
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeEngine


class UUIDType(TypeDecorator[uuid.UUID]):
    """Native UUID on PostgreSQL, the 36-character text form elsewhere."""

    impl = String(36)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.UUID(as_uuid=True))
        return dialect.type_descriptor(String(36))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, uuid.UUID):
            value = uuid.UUID(str(value))
        return value if dialect.name == "postgresql" else str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> uuid.UUID | None:
        if value is None or isinstance(value, uuid.UUID):
            return value
        return uuid.UUID(value)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps; SQLite keeps no zone, so it is restored on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC values")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


# JSONB on PostgreSQL (indexable, compact), plain JSON text elsewhere: template-tier blueprints.
JSONType = JSON().with_variant(postgresql.JSONB(), "postgresql")


def json_text(value: Any) -> str:
    """`value` as the JSON text the instance tier stores: compact, keys in the client's
    order, non-ASCII as itself. Python writes every float as its shortest exact repr and
    every integer in full, so `json.loads` gives back the very value (-0.0, 1e16, 2**64+1)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


class JSONText(TypeDecorator[Any]):
    """Client JSON kept as its own text in a TEXT column, on every dialect.

    A column declared JSON has NUMERIC affinity on SQLite (a stored `100.0` reads back as
    the integer 100, a number beyond 64 bits as a rounded float) and JSONB rewrites numbers
    on PostgreSQL (-0.0, 1e16); either would change what a client wrote and the state hash
    computed from it (issue 12). Text keeps the value exactly and alike on both tiers.
    Python's None is stored as the JSON text `null`, as SQLAlchemy's JSON type does."""

    impl = Text
    cache_ok = True
    should_evaluate_none = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str:
        return json_text(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else json.loads(value)

    def compare_values(self, x: Any, y: Any) -> bool:
        """Equal when the stored texts are: the ORM writes a changed value only, and Python
        calls `False`, `0` and `-0.0` equal, which would leave `-0.0` where `false` was put."""
        return json_text(x) == json_text(y)


def utcnow() -> datetime:
    return datetime.now(UTC)
