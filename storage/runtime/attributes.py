"""Versioned UOW attributes (SPEC 4.4): appended, never overwritten; current = newest version."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, Connection, Select, Table, bindparam, func, select
from sqlalchemy.orm import Session

from storage.errors import DomainError, ErrorCode
from storage.ids import new_id
from storage.json_equality import json_equals
from storage.models import UowAttributeRow
from storage.prepared import Prepared, PreparedInsert
from storage.types import utcnow
from storage.values import check_key, check_text, checked_json, column_length

ATTRIBUTES = cast(Table, UowAttributeRow.__table__)
_INSERT = PreparedInsert(ATTRIBUTES, [c.name for c in ATTRIBUTES.c])
KEY_LENGTH = column_length(UowAttributeRow.key)
# Write paths are synchronous Core (see Tier.write), on a connection or an ORM session.
Executor = Session | Connection


def _newest(units: ColumnElement[bool]) -> Select[Any]:
    """The newest row of each (uow, key) of the units `units` selects: the one query of
    current attributes, for one unit, a bound list, or a list known when it is built."""
    rank = func.row_number().over(
        partition_by=(ATTRIBUTES.c.uow_id, ATTRIBUTES.c.key), order_by=ATTRIBUTES.c.version.desc()
    )
    ranked = select(ATTRIBUTES, rank.label("newest_rank")).where(units).subquery()
    return select(ranked).where(ranked.c.newest_rank == 1).order_by(ranked.c.uow_id, ranked.c.key)


def newest_versions(uow_ids: Sequence[uuid.UUID]) -> Select[Any]:
    """The newest row of each (uow, key): one statement for any number of units of work."""
    return _newest(ATTRIBUTES.c.uow_id.in_(uow_ids))


# Built once: the write path reads one unit's newest versions on every change, checkout
# those of a batch of candidates (`b_ids`).
NEWEST_OF_MANY = _newest(ATTRIBUTES.c.uow_id.in_(bindparam("b_ids", expanding=True)))
_NEWEST_OF_ONE = Prepared(_newest(ATTRIBUTES.c.uow_id == bindparam("b_uow_id")))


def newest_of(session: Executor, uow_id: uuid.UUID) -> dict[str, Any]:
    """key -> row (key, value, version...) of the newest version of each of a unit's
    attributes."""
    connection = session if isinstance(session, Connection) else session.connection()
    return {row.key: row for row in _NEWEST_OF_ONE.run(connection, {"b_uow_id": uow_id})}


def current_value_is(uow_id: ColumnElement[Any], key: str, value: Any) -> ColumnElement[bool]:
    """The unit `uow_id` (a column of the enclosing query) has attribute `key` and its
    current version equals the JSON `value` (`storage.json_equality`: the same answer on
    both dialects).

    Correlated on the unit rather than ranking every version of `key` in the tier (as
    `_newest` does for a known list of units): a filter over a page of one instance's units
    then reads only those units' versions, through the (uow_id, key, version) index."""
    newer = ATTRIBUTES.alias("newer")
    current_version = (
        select(func.max(newer.c.version))
        .where(newer.c.uow_id == ATTRIBUTES.c.uow_id, newer.c.key == key)
        .scalar_subquery()
    )
    return (
        select(ATTRIBUTES.c.uow_id)
        .where(
            ATTRIBUTES.c.uow_id == uow_id,
            ATTRIBUTES.c.key == key,
            ATTRIBUTES.c.version == current_version,
            json_equals(ATTRIBUTES.c.value, value),
        )
        .exists()
    )


def current_attributes(session: Executor, uow_id: uuid.UUID) -> dict[str, Any]:
    return {key: row.value for key, row in newest_of(session, uow_id).items()}


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
