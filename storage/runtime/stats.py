"""Counts of an instance's units of work, for dashboards: one statement for many instances."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import (
    Integer,
    Select,
    String,
    Table,
    case,
    func,
    literal,
    null,
    select,
    type_coerce,
    union_all,
)

from storage.enums import UowStatus
from storage.models import LocalInteractionRow, UnitOfWorkRow
from storage.types import UTCDateTime, UUIDType

UOWS = cast(Table, UnitOfWorkRow.__table__)
INTERACTIONS = cast(Table, LocalInteractionRow.__table__)
BY_STATUS = "status"
BY_INTERACTION = "interaction"


def instance_stats(instance_ids: Sequence[uuid.UUID]) -> Select[Any]:
    """Rows `(instance_id, kind, status, interaction_id, name, units, waiting, oldest)`.

    `kind` BY_STATUS: one row per status present, `units` of that status, `oldest` the
    earliest `updated_at` among them (for PENDING: since when the longest waiting unit
    has waited). `kind` BY_INTERACTION: one row per interaction holding units, `units` in
    it and `waiting` of them PENDING. Two grouped reads of UnitsOfWork in one UNION ALL,
    both through the (instance_id, status) index's leading column."""
    by_status = (
        select(
            UOWS.c.instance_id,
            literal(BY_STATUS, String).label("kind"),
            UOWS.c.status,
            type_coerce(null(), UUIDType()).label("interaction_id"),
            type_coerce(null(), String).label("name"),
            func.count().label("units"),
            type_coerce(null(), Integer).label("waiting"),
            func.min(UOWS.c.updated_at).label("oldest"),
        )
        .where(UOWS.c.instance_id.in_(instance_ids))
        .group_by(UOWS.c.instance_id, UOWS.c.status)
    )
    pending = case((UOWS.c.status == UowStatus.PENDING, 1), else_=0)
    by_interaction = (
        select(
            UOWS.c.instance_id,
            literal(BY_INTERACTION, String).label("kind"),
            type_coerce(null(), UOWS.c.status.type).label("status"),
            INTERACTIONS.c.interaction_id,
            INTERACTIONS.c.name,
            func.count().label("units"),
            func.sum(pending).label("waiting"),
            type_coerce(null(), UTCDateTime()).label("oldest"),
        )
        .join(INTERACTIONS, INTERACTIONS.c.interaction_id == UOWS.c.current_interaction_id)
        .where(UOWS.c.instance_id.in_(instance_ids))
        .group_by(UOWS.c.instance_id, INTERACTIONS.c.interaction_id, INTERACTIONS.c.name)
    )
    compound = union_all(by_status, by_interaction).subquery("stats")
    return select(compound)
