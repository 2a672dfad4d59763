"""Versioned UOW attributes (SPEC 4.4): appended, never overwritten; current = newest version."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Connection, Select, Table, func, select
from sqlalchemy.orm import Session

from storage.errors import DomainError, ErrorCode
from storage.ids import new_id
from storage.models import UowAttributeRow
from storage.prepared import PreparedInsert
from storage.types import utcnow
from storage.values import check_key, check_text, checked_json, column_length

ATTRIBUTES = cast(Table, UowAttributeRow.__table__)
_INSERT = PreparedInsert(ATTRIBUTES, [c.name for c in ATTRIBUTES.c])
KEY_LENGTH = column_length(UowAttributeRow.key)
# Write paths are synchronous Core (see Tier.write), on a connection or an ORM session.
Executor = Session | Connection


def newest_versions(uow_ids: Sequence[uuid.UUID]) -> Select[Any]:
    """The newest row of each (uow, key): one statement for any number of units of work."""
    table = UowAttributeRow.__table__
    rank = func.row_number().over(
        partition_by=(table.c.uow_id, table.c.key), order_by=table.c.version.desc()
    )
    ranked = select(table, rank.label("_rank")).where(table.c.uow_id.in_(uow_ids)).subquery()
    return select(ranked).where(ranked.c._rank == 1).order_by(ranked.c.uow_id, ranked.c.key)


def current_attributes(session: Executor, uow_id: uuid.UUID) -> dict[str, Any]:
    return {row.key: row.value for row in session.execute(newest_versions([uow_id]))}


def checked_attributes(value: Any, field: str = "attributes") -> dict[str, Any]:
    """A JSON object of key -> value that every tier stores alike (`storage.values`), or
    VALIDATION_FAILED naming the field, or the key, that is refused. Nothing is written yet.

    The values come back normalised: they are what is stored and hashed."""
    if value is None:
        return {}
    path = ("input", field)
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and k for k in value):
        raise DomainError.single(
            ErrorCode.VALIDATION_FAILED,
            f"{field}: expected a JSON object with non-empty string keys",
            path,
        )
    for key in value:
        check_key(key, path, KEY_LENGTH)
    normalised: dict[str, Any] = checked_json(dict(value), path)
    return normalised


def check_record(*, reasoning: Any, metadata: Any) -> None:
    """The free text and metadata a client attaches to a change, checked before it is
    written into history and the interaction log (text and jsonb columns)."""
    check_text(reasoning, ("input", "reasoning"))
    checked_json(metadata, ("input", "metadata"))


def append_attributes(
    session: Executor,
    *,
    uow_id: uuid.UUID,
    instance_id: uuid.UUID,
    changes: Mapping[str, Any],
    actor_id: uuid.UUID | None,
    reasoning: str | None,
    base_versions: Mapping[str, int],
) -> None:
    """One new version per changed key (version 1 for a new key), in one INSERT."""
    if not changes:
        return
    connection = session if isinstance(session, Connection) else session.connection()
    now = utcnow()
    rows = [
        {
            "attribute_id": new_id(),
            "uow_id": uow_id,
            "instance_id": instance_id,
            "key": key,
            "value": value,
            "version": base_versions.get(key, 0) + 1,
            "actor_id": actor_id,
            "reasoning": reasoning,
            "created_at": now,
        }
        for key, value in changes.items()
    ]
    _INSERT.run(connection, rows)
