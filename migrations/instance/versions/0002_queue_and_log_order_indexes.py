"""Indexes for the engine's queues and for logs in time order.

A role's checkout reads the units waiting in an interaction oldest first
(current_interaction_id, status, updated_at, uow_id); logs are listed by the time of the
event, then id (an entry recorded before a transition but flushed after it keeps its
place).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_UnitsOfWork_queue",
        "UnitsOfWork",
        ["current_interaction_id", "status", "updated_at", "uow_id"],
    )
    op.create_index(
        "ix_Interaction_Logs_instance_time",
        "Interaction_Logs",
        ["instance_id", "timestamp", "log_id"],
    )
    op.create_index(
        "ix_Interaction_Logs_uow_time", "Interaction_Logs", ["uow_id", "timestamp", "log_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_Interaction_Logs_uow_time", table_name="Interaction_Logs")
    op.drop_index("ix_Interaction_Logs_instance_time", table_name="Interaction_Logs")
    op.drop_index("ix_UnitsOfWork_queue", table_name="UnitsOfWork")
