"""Create the template tier: every table of SPEC 3.2, then the database-only objects.

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
from storage.models import TemplateBase

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "Template_Workflows",
        sa.Column(
            "workflow_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Primary key of the workflow blueprint.",
        ),
        sa.Column(
            "name",
            sa.String(length=200),
            nullable=False,
            comment="Workflow name, unique per version.",
        ),
        sa.Column(
            "description",
            sa.Text(),
            nullable=True,
            comment="Human-readable purpose of the workflow.",
        ),
        sa.Column(
            "ai_context",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="Free-form guidance for AI agents (string or mapping).",
        ),
        sa.Column(
            "version", sa.Integer(), nullable=False, comment="Blueprint version, starting at 1."
        ),
        sa.Column(
            "schema_json",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="Cached full graph of the blueprint as imported.",
        ),
        sa.Column(
            "created_at",
            storage.types.UTCDateTime(timezone=True),
            nullable=False,
            comment="When the blueprint was imported (UTC).",
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_Template_Workflows_version_positive")),
        sa.PrimaryKeyConstraint("workflow_id", name=op.f("pk_Template_Workflows")),
        sa.UniqueConstraint("name", "version", name=op.f("uq_Template_Workflows_name_version")),
        comment="Workflow blueprints; each (name, version) is immutable once imported.",
    )
    op.create_table(
        "Template_Interactions",
        sa.Column(
            "interaction_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Primary key of the interaction.",
        ),
        sa.Column(
            "workflow_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Workflow this element belongs to; deleted with it.",
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
            name=op.f("ck_Template_Interactions_stale_limit_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["Template_Workflows.workflow_id"],
            name=op.f("fk_Template_Interactions_workflow_id_Template_Workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("interaction_id", name=op.f("pk_Template_Interactions")),
        sa.UniqueConstraint(
            "workflow_id", "name", name=op.f("uq_Template_Interactions_workflow_id_name")
        ),
        comment="Interactions (queues) where units of work wait between roles.",
    )
    op.create_index(
        op.f("ix_Template_Interactions_workflow_id"),
        "Template_Interactions",
        ["workflow_id"],
        unique=False,
    )

    op.create_table(
        "Template_Roles",
        sa.Column(
            "role_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Primary key of the role.",
        ),
        sa.Column(
            "workflow_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Workflow this element belongs to; deleted with it.",
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
            "strategy",
            sa.Enum(
                "HOMOGENEOUS",
                "HETEROGENEOUS",
                name="strategy",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
            comment="Decomposition strategy; required for BETA roles, absent otherwise.",
        ),
        sa.Column(
            "child_workflow_id",
            storage.types.UUIDType(length=36),
            nullable=True,
            comment="Child blueprint this role delegates to (recursive gateway), if any.",
        ),
        sa.CheckConstraint(
            "(role_type = 'BETA' AND strategy IS NOT NULL) OR (role_type <> 'BETA' AND strategy IS NULL)",
            name=op.f("ck_Template_Roles_strategy_iff_beta"),
        ),
        sa.ForeignKeyConstraint(
            ["child_workflow_id"],
            ["Template_Workflows.workflow_id"],
            name=op.f("fk_Template_Roles_child_workflow_id_Template_Workflows"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["Template_Workflows.workflow_id"],
            name=op.f("fk_Template_Roles_workflow_id_Template_Workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("role_id", name=op.f("pk_Template_Roles")),
        sa.UniqueConstraint("workflow_id", "name", name=op.f("uq_Template_Roles_workflow_id_name")),
        comment="Roles of a blueprint: who acts at each step (ALPHA..TAU).",
    )
    op.create_index(
        op.f("ix_Template_Roles_child_workflow_id"),
        "Template_Roles",
        ["child_workflow_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_Template_Roles_workflow_id"), "Template_Roles", ["workflow_id"], unique=False
    )

    op.create_table(
        "Template_Components",
        sa.Column(
            "component_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Primary key of the component.",
        ),
        sa.Column(
            "workflow_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Workflow this element belongs to; deleted with it.",
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
            ["Template_Interactions.interaction_id"],
            name=op.f("fk_Template_Components_interaction_id_Template_Interactions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["role_id"],
            ["Template_Roles.role_id"],
            name=op.f("fk_Template_Components_role_id_Template_Roles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["Template_Workflows.workflow_id"],
            name=op.f("fk_Template_Components_workflow_id_Template_Workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("component_id", name=op.f("pk_Template_Components")),
        sa.UniqueConstraint(
            "workflow_id", "name", name=op.f("uq_Template_Components_workflow_id_name")
        ),
        comment="Components: directed links between a role and an interaction.",
    )
    op.create_index(
        op.f("ix_Template_Components_interaction_id"),
        "Template_Components",
        ["interaction_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_Template_Components_role_id"), "Template_Components", ["role_id"], unique=False
    )
    op.create_index(
        op.f("ix_Template_Components_workflow_id"),
        "Template_Components",
        ["workflow_id"],
        unique=False,
    )

    op.create_table(
        "Template_Guardians",
        sa.Column(
            "guardian_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Primary key of the guardian.",
        ),
        sa.Column(
            "workflow_id",
            storage.types.UUIDType(length=36),
            nullable=False,
            comment="Workflow this element belongs to; deleted with it.",
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
            "config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
            comment="Guardian settings, e.g. criteria or interaction_policy.",
        ),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["Template_Components.component_id"],
            name=op.f("fk_Template_Guardians_component_id_Template_Components"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["Template_Workflows.workflow_id"],
            name=op.f("fk_Template_Guardians_workflow_id_Template_Workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("guardian_id", name=op.f("pk_Template_Guardians")),
        sa.UniqueConstraint(
            "workflow_id", "name", name=op.f("uq_Template_Guardians_workflow_id_name")
        ),
        comment="Guardians: checks that gate or route work along a component.",
    )
    op.create_index(
        op.f("ix_Template_Guardians_component_id"),
        "Template_Guardians",
        ["component_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_Template_Guardians_workflow_id"),
        "Template_Guardians",
        ["workflow_id"],
        unique=False,
    )

    ddl.create_schema_guide(TemplateBase.metadata)


def downgrade() -> None:
    """Downgrade schema."""
    ddl.drop_schema_guide()
    op.drop_index(op.f("ix_Template_Guardians_workflow_id"), table_name="Template_Guardians")
    op.drop_index(op.f("ix_Template_Guardians_component_id"), table_name="Template_Guardians")

    op.drop_table("Template_Guardians")
    op.drop_index(op.f("ix_Template_Components_workflow_id"), table_name="Template_Components")
    op.drop_index(op.f("ix_Template_Components_role_id"), table_name="Template_Components")
    op.drop_index(op.f("ix_Template_Components_interaction_id"), table_name="Template_Components")

    op.drop_table("Template_Components")
    op.drop_index(op.f("ix_Template_Roles_workflow_id"), table_name="Template_Roles")
    op.drop_index(op.f("ix_Template_Roles_child_workflow_id"), table_name="Template_Roles")

    op.drop_table("Template_Roles")
    op.drop_index(op.f("ix_Template_Interactions_workflow_id"), table_name="Template_Interactions")

    op.drop_table("Template_Interactions")
    op.drop_table("Template_Workflows")
