"""Create the instance tier: every table of SPEC 3.3, then the database-only objects.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import storage.types
from migrations import ddl
from storage.models import InstanceBase

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "Instance_Context",
        sa.Column(
            "instance_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Primary key of the instance.",
        ),
        sa.Column("name", sa.String(length=200), nullable=False, comment="Instance name, unique."),
        sa.Column("description", sa.Text(), nullable=True, comment="What this instance is for."),
        sa.Column(
            "status",
            sa.Enum(
                "ACTIVE",
                "PAUSED",
                "ARCHIVED",
                name="instance_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
            comment="ACTIVE, PAUSED or ARCHIVED; only ACTIVE instances accept work.",
        ),
        sa.Column(
            "deployment_date",
            storage.types.UTCDateTime(timezone=True),
            nullable=False,
            comment="When the instance was created (UTC).",
        ),
        sa.PrimaryKeyConstraint("instance_id", name=op.f("pk_Instance_Context")),
        sa.UniqueConstraint("name", name=op.f("uq_Instance_Context_name")),
        comment="Running instances: isolated deep copies of templates with their own data.",
    )
    op.create_table(
        "Local_Actors",
        sa.Column(
            "actor_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Primary key of the actor.",
        ),
        sa.Column(
            "instance_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Instance this row belongs to (isolation).",
        ),
        sa.Column(
            "identity_key",
            sa.String(length=320),
            nullable=False,
            comment="External identity (e-mail, agent key), unique in the instance.",
        ),
        sa.Column(
            "name",
            sa.String(length=200),
            nullable=False,
            comment="Display name, unique in the instance.",
        ),
        sa.Column("description", sa.Text(), nullable=True, comment="Who or what the actor is."),
        sa.Column(
            "ai_context",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="Free-form guidance for AI agents (string or mapping).",
        ),
        sa.Column(
            "type",
            sa.Enum(
                "HUMAN",
                "AI_AGENT",
                "SYSTEM",
                name="actor_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
            comment="HUMAN, AI_AGENT or SYSTEM.",
        ),
        sa.Column(
            "capabilities",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="What the actor can do (free-form JSON).",
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["Instance_Context.instance_id"],
            name=op.f("fk_Local_Actors_instance_id_Instance_Context"),
        ),
        sa.PrimaryKeyConstraint("actor_id", name=op.f("pk_Local_Actors")),
        sa.UniqueConstraint(
            "instance_id", "identity_key", name=op.f("uq_Local_Actors_instance_id_identity_key")
        ),
        sa.UniqueConstraint("instance_id", "name", name=op.f("uq_Local_Actors_instance_id_name")),
        comment="People, AI agents and systems acting within an instance.",
    )
    op.create_index(
        op.f("ix_Local_Actors_instance_id"), "Local_Actors", ["instance_id"], unique=False
    )

    op.create_table(
        "Local_Workflows",
        sa.Column(
            "local_workflow_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Primary key of the local workflow.",
        ),
        sa.Column(
            "instance_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Instance owning this workflow copy.",
        ),
        sa.Column(
            "original_workflow_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Template_Workflows id it was copied from (plain value: tiers never join).",
        ),
        sa.Column(
            "name",
            sa.String(length=200),
            nullable=False,
            comment="Workflow name, unique in its instance.",
        ),
        sa.Column("description", sa.Text(), nullable=True, comment="Purpose of the workflow."),
        sa.Column(
            "ai_context",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="Free-form guidance for AI agents (string or mapping).",
        ),
        sa.Column(
            "version", sa.Integer(), nullable=False, comment="Template version it was copied from."
        ),
        sa.Column(
            "is_active",
            sa.Boolean(),
            nullable=False,
            comment="Whether the workflow accepts new work.",
        ),
        sa.Column(
            "is_master",
            sa.Boolean(),
            nullable=False,
            comment="True for the workflow the instance was created from.",
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["Instance_Context.instance_id"],
            name=op.f("fk_Local_Workflows_instance_id_Instance_Context"),
        ),
        sa.PrimaryKeyConstraint("local_workflow_id", name=op.f("pk_Local_Workflows")),
        sa.UniqueConstraint(
            "instance_id", "name", name=op.f("uq_Local_Workflows_instance_id_name")
        ),
        comment="Workflows copied into an instance; exactly one is the master.",
    )
    op.create_index(
        op.f("ix_Local_Workflows_instance_id"), "Local_Workflows", ["instance_id"], unique=False
    )
    op.create_index(
        "uq_Local_Workflows_one_master",
        "Local_Workflows",
        ["instance_id"],
        unique=True,
        sqlite_where=sa.text("is_master"),
        postgresql_where=sa.text("is_master"),
    )

    op.create_table(
        "Local_Interactions",
        sa.Column(
            "interaction_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Primary key of the local interaction.",
        ),
        sa.Column(
            "local_workflow_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Local workflow this element belongs to; deleted with it.",
        ),
        sa.Column(
            "name",
            sa.String(length=200),
            nullable=False,
            comment="Interaction name, unique in its workflow.",
        ),
        sa.Column(
            "description", sa.Text(), nullable=True, comment="What waits in this interaction."
        ),
        sa.Column(
            "ai_context",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="Free-form guidance for AI agents (string or mapping).",
        ),
        sa.Column(
            "stale_token_limit_seconds",
            sa.Integer(),
            nullable=True,
            comment="Seconds a unit of work may wait before it is stale.",
        ),
        sa.CheckConstraint(
            "stale_token_limit_seconds IS NULL OR stale_token_limit_seconds > 0",
            name=op.f("ck_Local_Interactions_stale_limit_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["local_workflow_id"],
            ["Local_Workflows.local_workflow_id"],
            name=op.f("fk_Local_Interactions_local_workflow_id_Local_Workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("interaction_id", name=op.f("pk_Local_Interactions")),
        sa.UniqueConstraint(
            "local_workflow_id", "name", name=op.f("uq_Local_Interactions_local_workflow_id_name")
        ),
        comment="Interactions (queues) of a local workflow.",
    )
    op.create_index(
        op.f("ix_Local_Interactions_local_workflow_id"),
        "Local_Interactions",
        ["local_workflow_id"],
        unique=False,
    )

    op.create_table(
        "Local_Roles",
        sa.Column(
            "role_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Primary key of the local role.",
        ),
        sa.Column(
            "local_workflow_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Local workflow this element belongs to; deleted with it.",
        ),
        sa.Column(
            "name",
            sa.String(length=200),
            nullable=False,
            comment="Role name, unique in its workflow.",
        ),
        sa.Column("description", sa.Text(), nullable=True, comment="What the role does."),
        sa.Column(
            "ai_context",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="Free-form guidance for AI agents (string or mapping).",
        ),
        sa.Column(
            "role_type",
            sa.Enum(
                "ALPHA",
                "BETA",
                "OMEGA",
                "EPSILON",
                "TAU",
                name="role_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
            comment="Functional type: ALPHA, BETA, OMEGA, EPSILON or TAU.",
        ),
        sa.Column(
            "decomposition_strategy",
            sa.Enum(
                "HOMOGENEOUS",
                "HETEROGENEOUS",
                name="decomposition_strategy",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
            comment="Decomposition strategy; required for BETA roles, absent otherwise.",
        ),
        sa.Column(
            "is_recursive_gateway",
            sa.Boolean(),
            nullable=False,
            comment="True when the role delegates to a linked child workflow.",
        ),
        sa.Column(
            "linked_local_workflow_id",
            storage.types.UUIDType(length=36),
            nullable=True,
            comment="Child workflow copy (same instance) this gateway role delegates to.",
        ),
        sa.CheckConstraint(
            "(role_type = 'BETA' AND decomposition_strategy IS NOT NULL) OR (role_type <> 'BETA' AND decomposition_strategy IS NULL)",
            name=op.f("ck_Local_Roles_strategy_iff_beta"),
        ),
        sa.ForeignKeyConstraint(
            ["linked_local_workflow_id"],
            ["Local_Workflows.local_workflow_id"],
            name=op.f("fk_Local_Roles_linked_local_workflow_id_Local_Workflows"),
        ),
        sa.ForeignKeyConstraint(
            ["local_workflow_id"],
            ["Local_Workflows.local_workflow_id"],
            name=op.f("fk_Local_Roles_local_workflow_id_Local_Workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("role_id", name=op.f("pk_Local_Roles")),
        sa.UniqueConstraint(
            "local_workflow_id", "name", name=op.f("uq_Local_Roles_local_workflow_id_name")
        ),
        comment="Roles of a local workflow.",
    )
    op.create_index(
        op.f("ix_Local_Roles_linked_local_workflow_id"),
        "Local_Roles",
        ["linked_local_workflow_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_Local_Roles_local_workflow_id"), "Local_Roles", ["local_workflow_id"], unique=False
    )

    op.create_table(
        "Local_Actor_Role_Assignments",
        sa.Column(
            "assignment_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Primary key of the assignment.",
        ),
        sa.Column(
            "actor_id", storage.types.UUIDType(length=36), nullable=False, comment="Assigned actor."
        ),
        sa.Column(
            "role_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Role the actor may act in.",
        ),
        sa.Column(
            "status",
            sa.Enum(
                "ACTIVE",
                "REVOKED",
                name="assignment_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
            comment="ACTIVE or REVOKED.",
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["Local_Actors.actor_id"],
            name=op.f("fk_Local_Actor_Role_Assignments_actor_id_Local_Actors"),
        ),
        sa.ForeignKeyConstraint(
            ["role_id"],
            ["Local_Roles.role_id"],
            name=op.f("fk_Local_Actor_Role_Assignments_role_id_Local_Roles"),
        ),
        sa.PrimaryKeyConstraint("assignment_id", name=op.f("pk_Local_Actor_Role_Assignments")),
        sa.UniqueConstraint(
            "actor_id", "role_id", name=op.f("uq_Local_Actor_Role_Assignments_actor_id_role_id")
        ),
        comment="Which actor may act in which role; revoked rows are kept.",
    )
    op.create_index(
        op.f("ix_Local_Actor_Role_Assignments_actor_id"),
        "Local_Actor_Role_Assignments",
        ["actor_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_Local_Actor_Role_Assignments_role_id"),
        "Local_Actor_Role_Assignments",
        ["role_id"],
        unique=False,
    )

    op.create_table(
        "Local_Components",
        sa.Column(
            "component_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Primary key of the local component.",
        ),
        sa.Column(
            "local_workflow_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Local workflow this element belongs to; deleted with it.",
        ),
        sa.Column(
            "interaction_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Interaction at one end of the link.",
        ),
        sa.Column(
            "role_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Role at the other end of the link.",
        ),
        sa.Column(
            "direction",
            sa.Enum(
                "INBOUND",
                "OUTBOUND",
                name="direction",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
            comment="INBOUND (interaction to role) or OUTBOUND (role to interaction).",
        ),
        sa.Column(
            "name",
            sa.String(length=200),
            nullable=False,
            comment="Component name, unique in its workflow.",
        ),
        sa.Column("description", sa.Text(), nullable=True, comment="What flows along this link."),
        sa.Column(
            "ai_context",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="Free-form guidance for AI agents (string or mapping).",
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["Local_Interactions.interaction_id"],
            name=op.f("fk_Local_Components_interaction_id_Local_Interactions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["local_workflow_id"],
            ["Local_Workflows.local_workflow_id"],
            name=op.f("fk_Local_Components_local_workflow_id_Local_Workflows"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["role_id"],
            ["Local_Roles.role_id"],
            name=op.f("fk_Local_Components_role_id_Local_Roles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("component_id", name=op.f("pk_Local_Components")),
        sa.UniqueConstraint(
            "local_workflow_id", "name", name=op.f("uq_Local_Components_local_workflow_id_name")
        ),
        comment="Components of a local workflow: role-interaction links.",
    )
    op.create_index(
        op.f("ix_Local_Components_interaction_id"),
        "Local_Components",
        ["interaction_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_Local_Components_local_workflow_id"),
        "Local_Components",
        ["local_workflow_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_Local_Components_role_id"), "Local_Components", ["role_id"], unique=False
    )

    op.create_table(
        "Local_Role_Attributes",
        sa.Column(
            "memory_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Primary key of the memory entry.",
        ),
        sa.Column(
            "instance_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Instance this row belongs to (isolation).",
        ),
        sa.Column(
            "role_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Role the memory belongs to.",
        ),
        sa.Column(
            "actor_id",
            storage.types.UUIDType(length=36),
            nullable=True,
            comment="NULL for the role's global blueprint; the actor for a personal playbook.",
        ),
        sa.Column(
            "key",
            sa.String(length=200),
            nullable=False,
            comment="Memory key; one live value per scope.",
        ),
        sa.Column(
            "value",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
            comment="Remembered value (JSON).",
        ),
        sa.Column(
            "is_toxic",
            sa.Boolean(),
            nullable=False,
            comment="Marked harmful: kept for audit, not to be reused.",
        ),
        sa.Column(
            "created_at",
            storage.types.UTCDateTime(timezone=True),
            nullable=False,
            comment="When the row was written (UTC).",
        ),
        sa.Column(
            "last_accessed_at",
            storage.types.UTCDateTime(timezone=True),
            nullable=True,
            comment="Last read of the entry (for decay).",
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["Local_Actors.actor_id"],
            name=op.f("fk_Local_Role_Attributes_actor_id_Local_Actors"),
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["Instance_Context.instance_id"],
            name=op.f("fk_Local_Role_Attributes_instance_id_Instance_Context"),
        ),
        sa.ForeignKeyConstraint(
            ["role_id"],
            ["Local_Roles.role_id"],
            name=op.f("fk_Local_Role_Attributes_role_id_Local_Roles"),
        ),
        sa.PrimaryKeyConstraint("memory_id", name=op.f("pk_Local_Role_Attributes")),
        comment="Role memory: global blueprints (no actor) and personal playbooks (actor).",
    )
    op.create_index(
        op.f("ix_Local_Role_Attributes_actor_id"),
        "Local_Role_Attributes",
        ["actor_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_Local_Role_Attributes_instance_id"),
        "Local_Role_Attributes",
        ["instance_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_Local_Role_Attributes_role_id"), "Local_Role_Attributes", ["role_id"], unique=False
    )
    op.create_index(
        "uq_Local_Role_Attributes_global_key",
        "Local_Role_Attributes",
        ["role_id", "key"],
        unique=True,
        sqlite_where=sa.text("actor_id IS NULL"),
        postgresql_where=sa.text("actor_id IS NULL"),
    )
    op.create_index(
        "uq_Local_Role_Attributes_personal_key",
        "Local_Role_Attributes",
        ["role_id", "actor_id", "key"],
        unique=True,
        sqlite_where=sa.text("actor_id IS NOT NULL"),
        postgresql_where=sa.text("actor_id IS NOT NULL"),
    )

    op.create_table(
        "UnitsOfWork",
        sa.Column(
            "uow_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Primary key of the unit of work.",
        ),
        sa.Column(
            "instance_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Instance this row belongs to (isolation).",
        ),
        sa.Column(
            "local_workflow_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Workflow the unit of work runs in.",
        ),
        sa.Column(
            "parent_id",
            storage.types.UUIDType(length=36),
            nullable=True,
            comment="Parent unit of work (NULL for a base unit).",
        ),
        sa.Column(
            "current_interaction_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Interaction the unit of work is in now.",
        ),
        sa.Column(
            "current_role_id",
            storage.types.UUIDType(length=36),
            nullable=True,
            comment="Role working on it now, if checked out.",
        ),
        sa.Column(
            "locked_by_actor_id",
            storage.types.UUIDType(length=36),
            nullable=True,
            comment="Actor holding it, if any.",
        ),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "ACTIVE",
                "PENDING_PILOT_APPROVAL",
                "ZOMBIED_SOFT",
                "ZOMBIED_DEAD",
                "COMPLETED",
                "FAILED",
                "PAUSED",
                "FAILED_SECURITY_BREACH",
                "ARCHIVED",
                name="uow_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
            comment="Lifecycle status (see the transition table).",
        ),
        sa.Column(
            "child_count",
            sa.Integer(),
            nullable=False,
            comment="Children created by decomposition.",
        ),
        sa.Column(
            "finished_child_count",
            sa.Integer(),
            nullable=False,
            comment="Children that reached COMPLETED or FAILED.",
        ),
        sa.Column(
            "content_hash",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 of the current attributes (SPEC 4.4).",
        ),
        sa.Column(
            "version",
            sa.Integer(),
            nullable=False,
            comment="Row version for optimistic locking; +1 on every change.",
        ),
        sa.Column(
            "retry_count",
            sa.Integer(),
            nullable=False,
            comment="Times the unit was retried from ZOMBIED_SOFT.",
        ),
        sa.Column(
            "last_heartbeat_at",
            storage.types.UTCDateTime(timezone=True),
            nullable=True,
            comment="Last liveness signal of the holding actor.",
        ),
        sa.Column(
            "created_at",
            storage.types.UTCDateTime(timezone=True),
            nullable=False,
            comment="When the row was written (UTC).",
        ),
        sa.Column(
            "updated_at",
            storage.types.UTCDateTime(timezone=True),
            nullable=False,
            comment="Last change of the row (UTC).",
        ),
        sa.CheckConstraint(
            "child_count >= 0", name=op.f("ck_UnitsOfWork_child_count_non_negative")
        ),
        sa.CheckConstraint(
            "finished_child_count <= child_count", name=op.f("ck_UnitsOfWork_finished_le_count")
        ),
        sa.CheckConstraint(
            "finished_child_count >= 0", name=op.f("ck_UnitsOfWork_finished_non_negative")
        ),
        sa.CheckConstraint(
            "retry_count >= 0", name=op.f("ck_UnitsOfWork_retry_count_non_negative")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_UnitsOfWork_version_positive")),
        sa.ForeignKeyConstraint(
            ["current_interaction_id"],
            ["Local_Interactions.interaction_id"],
            name=op.f("fk_UnitsOfWork_current_interaction_id_Local_Interactions"),
        ),
        sa.ForeignKeyConstraint(
            ["current_role_id"],
            ["Local_Roles.role_id"],
            name=op.f("fk_UnitsOfWork_current_role_id_Local_Roles"),
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["Instance_Context.instance_id"],
            name=op.f("fk_UnitsOfWork_instance_id_Instance_Context"),
        ),
        sa.ForeignKeyConstraint(
            ["local_workflow_id"],
            ["Local_Workflows.local_workflow_id"],
            name=op.f("fk_UnitsOfWork_local_workflow_id_Local_Workflows"),
        ),
        sa.ForeignKeyConstraint(
            ["locked_by_actor_id"],
            ["Local_Actors.actor_id"],
            name=op.f("fk_UnitsOfWork_locked_by_actor_id_Local_Actors"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["UnitsOfWork.uow_id"], name=op.f("fk_UnitsOfWork_parent_id_UnitsOfWork")
        ),
        sa.PrimaryKeyConstraint("uow_id", name=op.f("pk_UnitsOfWork")),
        comment="Units of work: the tokens that move through a workflow's interactions.",
    )
    op.create_index(
        op.f("ix_UnitsOfWork_current_interaction_id"),
        "UnitsOfWork",
        ["current_interaction_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_UnitsOfWork_current_role_id"), "UnitsOfWork", ["current_role_id"], unique=False
    )
    op.create_index(
        op.f("ix_UnitsOfWork_instance_id"), "UnitsOfWork", ["instance_id"], unique=False
    )
    op.create_index(
        "ix_UnitsOfWork_instance_status", "UnitsOfWork", ["instance_id", "status"], unique=False
    )
    op.create_index(
        "ix_UnitsOfWork_interaction_status",
        "UnitsOfWork",
        ["current_interaction_id", "status"],
        unique=False,
    )
    op.create_index(
        op.f("ix_UnitsOfWork_local_workflow_id"), "UnitsOfWork", ["local_workflow_id"], unique=False
    )
    op.create_index(
        op.f("ix_UnitsOfWork_locked_by_actor_id"),
        "UnitsOfWork",
        ["locked_by_actor_id"],
        unique=False,
    )
    op.create_index(op.f("ix_UnitsOfWork_parent_id"), "UnitsOfWork", ["parent_id"], unique=False)

    op.create_table(
        "Interaction_Logs",
        sa.Column(
            "log_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
            comment="Sequence number of the entry.",
        ),
        sa.Column(
            "instance_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Instance this row belongs to (isolation).",
        ),
        sa.Column(
            "uow_id",
            storage.types.UUIDType(length=36),
            nullable=True,
            comment="Unit of work concerned, if any.",
        ),
        sa.Column(
            "actor_id",
            storage.types.UUIDType(length=36),
            nullable=True,
            comment="Actor concerned, if any.",
        ),
        sa.Column(
            "role_id",
            storage.types.UUIDType(length=36),
            nullable=True,
            comment="Role concerned, if any.",
        ),
        sa.Column(
            "interaction_id",
            storage.types.UUIDType(length=36),
            nullable=True,
            comment="Interaction concerned, if any.",
        ),
        sa.Column(
            "timestamp",
            storage.types.UTCDateTime(timezone=True),
            nullable=False,
            comment="When the event happened (UTC).",
        ),
        sa.Column(
            "log_type",
            sa.Enum(
                "INTERACTION",
                "TELEMETRY",
                "ERROR",
                "GUARDIAN_DECISION",
                "STATE_TRANSITION",
                name="log_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
            comment="INTERACTION, TELEMETRY, ERROR, GUARDIAN_DECISION, STATE_TRANSITION.",
        ),
        sa.Column(
            "event_details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="Structured details of the event.",
        ),
        sa.Column(
            "error_metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="Error context, for ERROR entries.",
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["Local_Actors.actor_id"],
            name=op.f("fk_Interaction_Logs_actor_id_Local_Actors"),
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["Instance_Context.instance_id"],
            name=op.f("fk_Interaction_Logs_instance_id_Instance_Context"),
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["Local_Interactions.interaction_id"],
            name=op.f("fk_Interaction_Logs_interaction_id_Local_Interactions"),
        ),
        sa.ForeignKeyConstraint(
            ["role_id"],
            ["Local_Roles.role_id"],
            name=op.f("fk_Interaction_Logs_role_id_Local_Roles"),
        ),
        sa.ForeignKeyConstraint(
            ["uow_id"], ["UnitsOfWork.uow_id"], name=op.f("fk_Interaction_Logs_uow_id_UnitsOfWork")
        ),
        sa.PrimaryKeyConstraint("log_id", name=op.f("pk_Interaction_Logs")),
        comment="Append-only event log: interactions, telemetry, errors, decisions.",
    )
    op.create_index(
        op.f("ix_Interaction_Logs_actor_id"), "Interaction_Logs", ["actor_id"], unique=False
    )
    op.create_index(
        op.f("ix_Interaction_Logs_instance_id"), "Interaction_Logs", ["instance_id"], unique=False
    )
    op.create_index(
        "ix_Interaction_Logs_instance_log",
        "Interaction_Logs",
        ["instance_id", "log_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_Interaction_Logs_interaction_id"),
        "Interaction_Logs",
        ["interaction_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_Interaction_Logs_role_id"), "Interaction_Logs", ["role_id"], unique=False
    )
    op.create_index(
        op.f("ix_Interaction_Logs_uow_id"), "Interaction_Logs", ["uow_id"], unique=False
    )

    op.create_table(
        "Local_Guardians",
        sa.Column(
            "guardian_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Primary key of the local guardian.",
        ),
        sa.Column(
            "local_workflow_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Local workflow this element belongs to; deleted with it.",
        ),
        sa.Column(
            "component_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Component this guardian watches.",
        ),
        sa.Column(
            "name",
            sa.String(length=200),
            nullable=False,
            comment="Guardian name, unique in its workflow.",
        ),
        sa.Column("description", sa.Text(), nullable=True, comment="What the guardian checks."),
        sa.Column(
            "ai_context",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="Free-form guidance for AI agents (string or mapping).",
        ),
        sa.Column(
            "type",
            sa.Enum(
                "CERBERUS",
                "PASS_THRU",
                "CRITERIA_GATE",
                "DIRECTIONAL_FILTER",
                "TTL_CHECK",
                "COMPOSITE",
                name="guardian_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
            comment="Guardian kind: CERBERUS, PASS_THRU, CRITERIA_GATE, ...",
        ),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="Guardian settings copied from the template config (criteria, interaction_policy).",
        ),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["Local_Components.component_id"],
            name=op.f("fk_Local_Guardians_component_id_Local_Components"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["local_workflow_id"],
            ["Local_Workflows.local_workflow_id"],
            name=op.f("fk_Local_Guardians_local_workflow_id_Local_Workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("guardian_id", name=op.f("pk_Local_Guardians")),
        sa.UniqueConstraint(
            "local_workflow_id", "name", name=op.f("uq_Local_Guardians_local_workflow_id_name")
        ),
        comment="Guardians of a local workflow's components.",
    )
    op.create_index(
        op.f("ix_Local_Guardians_component_id"), "Local_Guardians", ["component_id"], unique=False
    )
    op.create_index(
        op.f("ix_Local_Guardians_local_workflow_id"),
        "Local_Guardians",
        ["local_workflow_id"],
        unique=False,
    )

    op.create_table(
        "UOW_Attributes",
        sa.Column(
            "attribute_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Primary key of the attribute version.",
        ),
        sa.Column(
            "uow_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Unit of work the attribute belongs to.",
        ),
        sa.Column(
            "instance_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Instance this row belongs to (isolation).",
        ),
        sa.Column("key", sa.String(length=200), nullable=False, comment="Attribute name."),
        sa.Column(
            "value",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="Attribute value (JSON).",
        ),
        sa.Column("version", sa.Integer(), nullable=False, comment="Version of this key, from 1."),
        sa.Column(
            "actor_id",
            storage.types.UUIDType(length=36),
            nullable=True,
            comment="Actor who wrote this version.",
        ),
        sa.Column("reasoning", sa.Text(), nullable=True, comment="Why the value was written."),
        sa.Column(
            "created_at",
            storage.types.UTCDateTime(timezone=True),
            nullable=False,
            comment="When the row was written (UTC).",
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_UOW_Attributes_version_positive")),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["Local_Actors.actor_id"],
            name=op.f("fk_UOW_Attributes_actor_id_Local_Actors"),
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["Instance_Context.instance_id"],
            name=op.f("fk_UOW_Attributes_instance_id_Instance_Context"),
        ),
        sa.ForeignKeyConstraint(
            ["uow_id"], ["UnitsOfWork.uow_id"], name=op.f("fk_UOW_Attributes_uow_id_UnitsOfWork")
        ),
        sa.PrimaryKeyConstraint("attribute_id", name=op.f("pk_UOW_Attributes")),
        sa.UniqueConstraint(
            "uow_id", "key", "version", name=op.f("uq_UOW_Attributes_uow_id_key_version")
        ),
        comment="Versioned attributes of units of work; append-only.",
    )
    op.create_index(
        op.f("ix_UOW_Attributes_actor_id"), "UOW_Attributes", ["actor_id"], unique=False
    )
    op.create_index(
        op.f("ix_UOW_Attributes_instance_id"), "UOW_Attributes", ["instance_id"], unique=False
    )
    op.create_index(op.f("ix_UOW_Attributes_uow_id"), "UOW_Attributes", ["uow_id"], unique=False)

    op.create_table(
        "UnitsOfWorkHistory",
        sa.Column(
            "history_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Primary key of the history entry.",
        ),
        sa.Column(
            "instance_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Instance this row belongs to (isolation).",
        ),
        sa.Column(
            "uow_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Unit of work that changed.",
        ),
        sa.Column(
            "previous_status",
            sa.Enum(
                "PENDING",
                "ACTIVE",
                "PENDING_PILOT_APPROVAL",
                "ZOMBIED_SOFT",
                "ZOMBIED_DEAD",
                "COMPLETED",
                "FAILED",
                "PAUSED",
                "FAILED_SECURITY_BREACH",
                "ARCHIVED",
                name="previous_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
            comment="Status before the change (NULL at genesis).",
        ),
        sa.Column(
            "new_status",
            sa.Enum(
                "PENDING",
                "ACTIVE",
                "PENDING_PILOT_APPROVAL",
                "ZOMBIED_SOFT",
                "ZOMBIED_DEAD",
                "COMPLETED",
                "FAILED",
                "PAUSED",
                "FAILED_SECURITY_BREACH",
                "ARCHIVED",
                name="new_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
            comment="Status after the change.",
        ),
        sa.Column(
            "previous_state_hash",
            sa.String(length=64),
            nullable=True,
            comment="content_hash before the change.",
        ),
        sa.Column(
            "new_state_hash", sa.String(length=64), nullable=False, comment="content_hash after it."
        ),
        sa.Column(
            "previous_interaction_id",
            storage.types.UUIDType(length=36),
            nullable=True,
            comment="Interaction before the change.",
        ),
        sa.Column(
            "new_interaction_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Interaction after the change.",
        ),
        sa.Column(
            "actor_id",
            storage.types.UUIDType(length=36),
            nullable=True,
            comment="Actor who made the change.",
        ),
        sa.Column(
            "transition_timestamp",
            storage.types.UTCDateTime(timezone=True),
            nullable=False,
            comment="When the change was committed (UTC).",
        ),
        sa.Column("reasoning", sa.Text(), nullable=True, comment="Why."),
        sa.Column(
            "transition_metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="Extra facts about the change.",
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["Local_Actors.actor_id"],
            name=op.f("fk_UnitsOfWorkHistory_actor_id_Local_Actors"),
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["Instance_Context.instance_id"],
            name=op.f("fk_UnitsOfWorkHistory_instance_id_Instance_Context"),
        ),
        sa.ForeignKeyConstraint(
            ["new_interaction_id"],
            ["Local_Interactions.interaction_id"],
            name=op.f("fk_UnitsOfWorkHistory_new_interaction_id_Local_Interactions"),
        ),
        sa.ForeignKeyConstraint(
            ["previous_interaction_id"],
            ["Local_Interactions.interaction_id"],
            name=op.f("fk_UnitsOfWorkHistory_previous_interaction_id_Local_Interactions"),
        ),
        sa.ForeignKeyConstraint(
            ["uow_id"],
            ["UnitsOfWork.uow_id"],
            name=op.f("fk_UnitsOfWorkHistory_uow_id_UnitsOfWork"),
        ),
        sa.PrimaryKeyConstraint("history_id", name=op.f("pk_UnitsOfWorkHistory")),
        comment="Append-only ledger of every status or location change of a unit of work.",
    )
    op.create_index(
        op.f("ix_UnitsOfWorkHistory_actor_id"), "UnitsOfWorkHistory", ["actor_id"], unique=False
    )
    op.create_index(
        op.f("ix_UnitsOfWorkHistory_instance_id"),
        "UnitsOfWorkHistory",
        ["instance_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_UnitsOfWorkHistory_new_interaction_id"),
        "UnitsOfWorkHistory",
        ["new_interaction_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_UnitsOfWorkHistory_previous_interaction_id"),
        "UnitsOfWorkHistory",
        ["previous_interaction_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_UnitsOfWorkHistory_uow_id"), "UnitsOfWorkHistory", ["uow_id"], unique=False
    )
    op.create_index(
        "ix_UnitsOfWorkHistory_uow_time",
        "UnitsOfWorkHistory",
        ["uow_id", "transition_timestamp"],
        unique=False,
    )

    ddl.create_append_only_triggers()
    ddl.create_schema_guide(InstanceBase.metadata)


def downgrade() -> None:
    """Downgrade schema."""
    ddl.drop_schema_guide()
    ddl.drop_append_only_triggers()
    op.drop_index("ix_UnitsOfWorkHistory_uow_time", table_name="UnitsOfWorkHistory")
    op.drop_index(op.f("ix_UnitsOfWorkHistory_uow_id"), table_name="UnitsOfWorkHistory")
    op.drop_index(
        op.f("ix_UnitsOfWorkHistory_previous_interaction_id"), table_name="UnitsOfWorkHistory"
    )
    op.drop_index(op.f("ix_UnitsOfWorkHistory_new_interaction_id"), table_name="UnitsOfWorkHistory")
    op.drop_index(op.f("ix_UnitsOfWorkHistory_instance_id"), table_name="UnitsOfWorkHistory")
    op.drop_index(op.f("ix_UnitsOfWorkHistory_actor_id"), table_name="UnitsOfWorkHistory")

    op.drop_table("UnitsOfWorkHistory")
    op.drop_index(op.f("ix_UOW_Attributes_uow_id"), table_name="UOW_Attributes")
    op.drop_index(op.f("ix_UOW_Attributes_instance_id"), table_name="UOW_Attributes")
    op.drop_index(op.f("ix_UOW_Attributes_actor_id"), table_name="UOW_Attributes")

    op.drop_table("UOW_Attributes")
    op.drop_index(op.f("ix_Local_Guardians_local_workflow_id"), table_name="Local_Guardians")
    op.drop_index(op.f("ix_Local_Guardians_component_id"), table_name="Local_Guardians")

    op.drop_table("Local_Guardians")
    op.drop_index(op.f("ix_Interaction_Logs_uow_id"), table_name="Interaction_Logs")
    op.drop_index(op.f("ix_Interaction_Logs_role_id"), table_name="Interaction_Logs")
    op.drop_index(op.f("ix_Interaction_Logs_interaction_id"), table_name="Interaction_Logs")
    op.drop_index("ix_Interaction_Logs_instance_log", table_name="Interaction_Logs")
    op.drop_index(op.f("ix_Interaction_Logs_instance_id"), table_name="Interaction_Logs")
    op.drop_index(op.f("ix_Interaction_Logs_actor_id"), table_name="Interaction_Logs")

    op.drop_table("Interaction_Logs")
    op.drop_index(op.f("ix_UnitsOfWork_parent_id"), table_name="UnitsOfWork")
    op.drop_index(op.f("ix_UnitsOfWork_locked_by_actor_id"), table_name="UnitsOfWork")
    op.drop_index(op.f("ix_UnitsOfWork_local_workflow_id"), table_name="UnitsOfWork")
    op.drop_index("ix_UnitsOfWork_interaction_status", table_name="UnitsOfWork")
    op.drop_index("ix_UnitsOfWork_instance_status", table_name="UnitsOfWork")
    op.drop_index(op.f("ix_UnitsOfWork_instance_id"), table_name="UnitsOfWork")
    op.drop_index(op.f("ix_UnitsOfWork_current_role_id"), table_name="UnitsOfWork")
    op.drop_index(op.f("ix_UnitsOfWork_current_interaction_id"), table_name="UnitsOfWork")

    op.drop_table("UnitsOfWork")
    op.drop_index(
        "uq_Local_Role_Attributes_personal_key",
        sqlite_where=sa.text("actor_id IS NOT NULL"),
        postgresql_where=sa.text("actor_id IS NOT NULL"),
        table_name="Local_Role_Attributes",
    )
    op.drop_index(
        "uq_Local_Role_Attributes_global_key",
        sqlite_where=sa.text("actor_id IS NULL"),
        postgresql_where=sa.text("actor_id IS NULL"),
        table_name="Local_Role_Attributes",
    )
    op.drop_index(op.f("ix_Local_Role_Attributes_role_id"), table_name="Local_Role_Attributes")
    op.drop_index(op.f("ix_Local_Role_Attributes_instance_id"), table_name="Local_Role_Attributes")
    op.drop_index(op.f("ix_Local_Role_Attributes_actor_id"), table_name="Local_Role_Attributes")

    op.drop_table("Local_Role_Attributes")
    op.drop_index(op.f("ix_Local_Components_role_id"), table_name="Local_Components")
    op.drop_index(op.f("ix_Local_Components_local_workflow_id"), table_name="Local_Components")
    op.drop_index(op.f("ix_Local_Components_interaction_id"), table_name="Local_Components")

    op.drop_table("Local_Components")
    op.drop_index(
        op.f("ix_Local_Actor_Role_Assignments_role_id"), table_name="Local_Actor_Role_Assignments"
    )
    op.drop_index(
        op.f("ix_Local_Actor_Role_Assignments_actor_id"), table_name="Local_Actor_Role_Assignments"
    )

    op.drop_table("Local_Actor_Role_Assignments")
    op.drop_index(op.f("ix_Local_Roles_local_workflow_id"), table_name="Local_Roles")
    op.drop_index(op.f("ix_Local_Roles_linked_local_workflow_id"), table_name="Local_Roles")

    op.drop_table("Local_Roles")
    op.drop_index(op.f("ix_Local_Interactions_local_workflow_id"), table_name="Local_Interactions")

    op.drop_table("Local_Interactions")
    op.drop_index(
        "uq_Local_Workflows_one_master",
        sqlite_where=sa.text("is_master"),
        postgresql_where=sa.text("is_master"),
        table_name="Local_Workflows",
    )
    op.drop_index(op.f("ix_Local_Workflows_instance_id"), table_name="Local_Workflows")

    op.drop_table("Local_Workflows")
    op.drop_index(op.f("ix_Local_Actors_instance_id"), table_name="Local_Actors")

    op.drop_table("Local_Actors")
    op.drop_table("Instance_Context")
