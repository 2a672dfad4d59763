"""The columns each kind of workflow-graph element has alike in both tiers: a template's
role, interaction, component or guardian and its local copy in an instance (SPEC 3.2, 3.3).

Each mixin is declared once and SQLAlchemy copies its columns into the table of every class
that lists it, so a template element and its copy cannot drift apart; the checks on those
columns are built here too, for both tiers' `__table_args__`. Keys, foreign keys and what
only one tier has stay on the tier's class.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import CheckConstraint, Integer
from sqlalchemy.orm import Mapped, mapped_column

from storage.enums import ComponentDirection, GuardianType, RoleType
from storage.models.base import enum_column
from storage.models.columns import ai_context_column, name_column, text_column

# Declarative puts a class's own columns before those of its mixins. A column a tier adds
# after the shared ones takes this sort order, so that it stays after them in the table.
AFTER_SHARED = 1


class RoleColumns:
    name: Mapped[str] = name_column("Role name, unique in its workflow.")
    description: Mapped[str | None] = text_column("What the role does.")
    ai_context: Mapped[Any | None] = ai_context_column()
    role_type: Mapped[RoleType] = enum_column(
        RoleType, "role_type", "Functional type: ALPHA, BETA, OMEGA, EPSILON or TAU."
    )


def strategy_iff_beta(strategy_column: str) -> CheckConstraint:
    """A BETA role decomposes its work by a strategy; no other kind of role has one."""
    return CheckConstraint(
        f"(role_type = 'BETA' AND {strategy_column} IS NOT NULL)"
        f" OR (role_type <> 'BETA' AND {strategy_column} IS NULL)",
        name="strategy_iff_beta",
    )


class InteractionColumns:
    name: Mapped[str] = name_column("Interaction name, unique in its workflow.")
    description: Mapped[str | None] = text_column("What waits in this interaction.")
    ai_context: Mapped[Any | None] = ai_context_column()
    stale_token_limit_seconds: Mapped[int | None] = mapped_column(
        Integer, nullable=True, comment="Seconds a unit of work may wait before it is stale."
    )


def stale_limit_positive() -> CheckConstraint:
    """An interaction's stale limit, when it has one, is a positive number of seconds."""
    return CheckConstraint(
        "stale_token_limit_seconds IS NULL OR stale_token_limit_seconds > 0",
        name="stale_limit_positive",
    )


class ComponentColumns:
    direction: Mapped[ComponentDirection] = enum_column(
        ComponentDirection,
        "direction",
        "INBOUND (interaction to role) or OUTBOUND (role to interaction).",
    )
    name: Mapped[str] = name_column("Component name, unique in its workflow.")
    description: Mapped[str | None] = text_column("What flows along this link.")
    ai_context: Mapped[Any | None] = ai_context_column()


class GuardianColumns:
    name: Mapped[str] = name_column("Guardian name, unique in its workflow.")
    description: Mapped[str | None] = text_column("What the guardian checks.")
    ai_context: Mapped[Any | None] = ai_context_column()
    type: Mapped[GuardianType] = enum_column(
        GuardianType, "guardian_type", "Guardian kind: CERBERUS, PASS_THRU, CRITERIA_GATE, ..."
    )
