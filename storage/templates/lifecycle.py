"""The end of a template's life: retired (kept, no new instances) or deleted (gone).

Neither touches the instance tier: an instance holds its own copy of every template it was
made from (SPEC 3.1), so retiring or deleting a template changes nothing in a running
instance. Both are admin operations once callers have scopes (SPEC 8).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from storage.engines import Tier
from storage.errors import DomainError, ErrorCode
from storage.models import (
    TemplateComponentRow,
    TemplateGuardianRow,
    TemplateInteractionRow,
    TemplateRoleRow,
    TemplateWorkflowRow,
)
from storage.templates import audit
from storage.types import utcnow

_PATH = ("input", "templateId")


def _missing(template_id: uuid.UUID) -> DomainError:
    return DomainError.single(ErrorCode.NOT_FOUND, f"no template {template_id}", _PATH)


async def retire_template(tier: Tier, *, template_id: uuid.UUID) -> TemplateWorkflowRow:
    """Mark the template retired: `instantiate` refuses it from now on. Retiring a retired
    template answers it unchanged (the first retirement's time is kept)."""
    async with tier.writing() as session:
        workflow = await session.get(TemplateWorkflowRow, template_id)
        if workflow is None:
            raise _missing(template_id)
        if workflow.retired_at is not None:
            since = workflow.retired_at.isoformat()
            audit.record(session, "retire", workflow, f"retired already (since {since})")
        else:
            audit.record(session, "retire", workflow, "retired")
            await session.execute(
                update(TemplateWorkflowRow)
                .where(
                    TemplateWorkflowRow.workflow_id == template_id,
                    TemplateWorkflowRow.retired_at.is_(None),
                )
                .values(retired_at=utcnow())
            )
        return workflow


@dataclass(frozen=True, slots=True)
class DeletedTemplate:
    """What a deletion removed (the rows are gone, so their names travel here)."""

    workflow_id: uuid.UUID
    name: str
    version: int


async def delete_template(tier: Tier, *, template_id: uuid.UUID) -> DeletedTemplate:
    """Delete the template and all its rows, unless another template delegates to it (a
    child workflow of a role): then CONFLICT naming every such template, nothing deleted."""
    try:
        async with tier.writing() as session:
            workflow = await session.get(TemplateWorkflowRow, template_id)
            if workflow is None:
                raise _missing(template_id)
            parents = (
                await session.execute(
                    select(
                        TemplateWorkflowRow.name, TemplateWorkflowRow.version, TemplateRoleRow.name
                    )
                    .join(
                        TemplateRoleRow,
                        TemplateRoleRow.workflow_id == TemplateWorkflowRow.workflow_id,
                    )
                    .where(TemplateRoleRow.child_workflow_id == template_id)
                    .order_by(
                        TemplateWorkflowRow.name, TemplateWorkflowRow.version, TemplateRoleRow.name
                    )
                )
            ).all()
            if parents:
                raise _referenced(workflow, [f"{n} v{v} (role {r})" for n, v, r in parents])
            deleted = DeletedTemplate(workflow.workflow_id, workflow.name, workflow.version)
            audit.record(session, "delete", workflow, "deleted with all its rows")
            # Children before parents, so no dialect depends on its cascade order.
            for model in (
                TemplateGuardianRow,
                TemplateComponentRow,
                TemplateRoleRow,
                TemplateInteractionRow,
            ):
                await session.execute(delete(model).where(model.workflow_id == template_id))
            await session.execute(
                delete(TemplateWorkflowRow).where(TemplateWorkflowRow.workflow_id == template_id)
            )
            return deleted
    except IntegrityError:  # a template naming it as a child was imported meanwhile
        raise DomainError.single(
            ErrorCode.CONFLICT,
            f"template {template_id} became a child workflow of another template while it "
            "was being deleted; nothing was deleted",
            _PATH,
        ) from None


def _referenced(workflow: TemplateWorkflowRow, parents: list[str]) -> DomainError:
    return DomainError.single(
        ErrorCode.CONFLICT,
        f"template {workflow.name!r} version {workflow.version} is the child workflow of "
        f"{', '.join(parents)}; delete those first",
        _PATH,
    )
