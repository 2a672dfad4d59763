"""Filters of the paginated lists: SQL conditions plus a hashable key for the loader cache."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, false

from resolvers.loaders import Conditions
from storage.enums import LogType, UowStatus
from storage.models import InteractionLogRow, TemplateWorkflowRow, UnitOfWorkRow, UowAttributeRow
from storage.values import folded, text_problem

Filter = tuple[Conditions, Any]


def uow_filter(
    *,
    status: UowStatus | None = None,
    interaction_id: uuid.UUID | None = None,
    parent_id: uuid.UUID | None = None,
) -> Filter:
    table = UnitOfWorkRow.__table__
    conditions: list[ColumnElement[bool]] = []
    if status is not None:
        conditions.append(table.c.status == status)
    if interaction_id is not None:
        conditions.append(table.c.current_interaction_id == interaction_id)
    if parent_id is not None:
        conditions.append(table.c.parent_id == parent_id)
    return tuple(conditions), ("uow", status, interaction_id, parent_id)


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


def name_contains(part: str) -> ColumnElement[bool]:
    """Templates whose name contains `part`, ignoring case alike on every dialect: folded
    text (`storage.values.folded`) against the folded name stored at import. Text no name
    can hold (NUL, a lone surrogate) matches nothing rather than reaching the database."""
    if text_problem(part) is not None:
        return false()
    column = TemplateWorkflowRow.__table__.c.name_folded
    return column.contains(folded(part), autoescape=True)
