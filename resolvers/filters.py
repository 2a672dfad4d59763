"""Filters of the paginated lists: SQL conditions plus a hashable key for the loader cache."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, false

from resolvers.errors import ClientError
from resolvers.loaders import Conditions
from storage.enums import InstanceStatus, LogType, UowStatus
from storage.errors import DomainError
from storage.json_equality import canonical_text
from storage.models import (
    InstanceRow,
    InteractionLogRow,
    TemplateAuditRow,
    TemplateWorkflowRow,
    UnitOfWorkRow,
    UowAttributeRow,
)
from storage.runtime.attributes import KEY_LENGTH, current_value_is
from storage.values import check_key, checked_json, folded, text_problem

Filter = tuple[Conditions, Any]


def uow_filter(
    *,
    status: UowStatus | None = None,
    interaction_id: uuid.UUID | None = None,
    parent_id: uuid.UUID | None = None,
    statuses: Sequence[UowStatus] | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    attributes: Sequence[tuple[str, Any]] | None = None,
) -> Filter:
    """Every condition given must hold. `statuses`: any of them (an empty list admits
    none); the creation range is `createdAfter <= created_at < createdBefore`; each of
    `attributes` is a key whose current value equals the JSON value given."""
    table = UnitOfWorkRow.__table__
    conditions: list[ColumnElement[bool]] = []
    if status is not None:
        conditions.append(table.c.status == status)
    if interaction_id is not None:
        conditions.append(table.c.current_interaction_id == interaction_id)
    if parent_id is not None:
        conditions.append(table.c.parent_id == parent_id)
    status_set: tuple[UowStatus, ...] | None = None
    if statuses is not None:
        status_set = tuple(sorted(set(statuses), key=lambda kind: kind.value))
        conditions.append(table.c.status.in_(status_set) if status_set else false())
    if created_after is not None:
        conditions.append(table.c.created_at >= _aware(created_after, "createdAfter"))
    if created_before is not None:
        conditions.append(table.c.created_at < _aware(created_before, "createdBefore"))
    matched: list[tuple[str, str]] = []
    for index, (key, value) in enumerate(attributes or ()):
        stored = _storable(key, value, index)
        conditions.append(current_value_is(table.c.uow_id, key, stored))
        matched.append((key, canonical_text(stored)))
    cache_key = (
        "uow",
        status,
        interaction_id,
        parent_id,
        status_set,
        created_after,
        created_before,
        tuple(matched),
    )
    return tuple(conditions), cache_key


def _aware(moment: datetime, argument: str) -> datetime:
    if moment.tzinfo is None:
        raise ClientError(f"{argument}: give a time zone (e.g. 2026-01-01T00:00:00Z)")
    return moment


def _storable(key: str, value: Any, index: int) -> Any:
    """The value as it would be stored (whole numbers as integers), or the error naming
    where in `attributes` it is refused: a value no tier stores equals nothing stored."""
    path = ("attributes", str(index))
    if not key:
        raise ClientError(
            f"attributes.{index}.key: must not be empty", "VALIDATION_FAILED", (*path, "key")
        )
    try:
        check_key(key, (*path, "key"), KEY_LENGTH)
        return checked_json(value, (*path, "value"))
    except DomainError as error:
        problem = error.problems[0]
        raise ClientError(problem.message, problem.code.value, problem.path) from None


def log_filter(log_types: Sequence[LogType] | None) -> Filter:
    """No argument: every log; an empty list: none (a filter that admits no type)."""
    if log_types is None:
        return (), ("log", None)
    if not log_types:
        return (false(),), ("log", ())
    table = InteractionLogRow.__table__
    kinds = tuple(sorted(set(log_types), key=lambda kind: kind.value))
    return (table.c.log_type.in_(kinds),), ("log", kinds)


def attribute_filter(key: str | None) -> Filter:
    if key is None:
        return (), ("attr", None)
    return (UowAttributeRow.__table__.c.key == key,), ("attr", key)


def template_filter(*, name: str | None, contains: str | None) -> Filter:
    """Templates named `name` exactly and/or whose name contains `contains`."""
    conditions: list[ColumnElement[bool]] = []
    if name is not None:
        conditions.append(text_equals(TemplateWorkflowRow.__table__.c.name, name))
    if contains is not None:
        conditions.append(name_contains(contains))
    key = None if name is None and contains is None else (name, contains)
    return tuple(conditions), key


def template_audit_filter(template_name: str | None) -> Filter:
    """Template audit rows of templates named `template_name` (every row when None)."""
    if template_name is None:
        return (), None
    column = TemplateAuditRow.__table__.c.template_name
    return (text_equals(column, template_name),), template_name


def text_equals(column: ColumnElement[Any], value: str) -> ColumnElement[bool]:
    """`column = value`, except that text no column can hold (NUL, a lone surrogate)
    matches nothing rather than reaching the database, which refuses it on PostgreSQL."""
    return false() if text_problem(value) is not None else column == value


def instance_filter(status: InstanceStatus | None) -> Filter:
    conditions = () if status is None else (InstanceRow.__table__.c.status == status,)
    return conditions, status


def name_contains(part: str) -> ColumnElement[bool]:
    """Templates whose name contains `part`, ignoring case alike on every dialect: folded
    text (`storage.values.folded`) against the folded name stored at import. Text no name
    can hold (NUL, a lone surrogate) matches nothing rather than reaching the database."""
    if text_problem(part) is not None:
        return false()
    column = TemplateWorkflowRow.__table__.c.name_folded
    return column.contains(folded(part), autoescape=True)
