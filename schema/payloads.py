"""Mutation payloads: the result (read back through the loaders, so it is the committed state)
and the expected failures as `errors`."""

from __future__ import annotations

import uuid
from typing import Any, Self

import strawberry
from sqlalchemy.orm import DeclarativeBase

from resolvers.loaders import by_id, load_optional
from resolvers.mutations import Outcome
from schema.actors import Actor, RoleAssignment, RoleMemory
from schema.base import Info
from schema.describe import field
from schema.errors import ERRORS, UserError, answer
from schema.instances import Instance
from schema.templates import TemplateWorkflow
from schema.uows import UnitOfWork, UowHistoryEntry
from storage import models

Id = strawberry.Private[uuid.UUID | None]


@strawberry.type
class CommittedPayload:
    """A payload answering with the one row a mutation wrote: the service gives its id, the
    subclass's `committed` field reads it back (so it shows the committed state)."""

    committed_id: Id = None
    errors: list[UserError] = strawberry.field(description=ERRORS)

    @classmethod
    def of(cls, outcome: Outcome[uuid.UUID]) -> Self:
        """The payload of a mutation's outcome: the written row's id and the problems."""
        return answer(cls, "committed_id", outcome)


def committed(model: type[DeclarativeBase], description: str) -> Any:
    """The field of a `CommittedPayload` subclass that loads the written row of `model`;
    its GraphQL type is the annotation it is assigned to."""

    async def resolve(root: strawberry.Parent[CommittedPayload], info: Info) -> Any:
        return await load_optional(info.context, model, root.committed_id)

    return strawberry.field(resolver=resolve, description=description)


@strawberry.type(description="The template a mutation wrote.")
class TemplatePayload(CommittedPayload):
    template: TemplateWorkflow | None = committed(
        models.TemplateWorkflowRow, "The blueprint as committed."
    )


@strawberry.type(description="The template a deletion removed (its rows are gone).")
class DeleteTemplatePayload:
    deleted: strawberry.Private[Any] = None
    errors: list[UserError] = strawberry.field(description=ERRORS)

    @field("The id the deleted template had.")
    def deleted_template_id(self) -> strawberry.ID | None:
        return None if self.deleted is None else strawberry.ID(str(self.deleted.workflow_id))

    @field("The name of the deleted template.")
    def name(self) -> str | None:
        return None if self.deleted is None else str(self.deleted.name)

    @field("The version of the deleted template.")
    def version(self) -> int | None:
        return None if self.deleted is None else int(self.deleted.version)


@strawberry.type(description="The instance a mutation created or changed.")
class InstancePayload(CommittedPayload):
    instance: Instance | None = committed(models.InstanceRow, "The instance as committed.")


@strawberry.type(description="The actor a mutation registered.")
class ActorPayload(CommittedPayload):
    actor: Actor | None = committed(models.ActorRow, "The actor as committed.")


@strawberry.type(description="The role assignment a mutation made or revoked.")
class AssignmentPayload(CommittedPayload):
    assignment: RoleAssignment | None = committed(
        models.AssignmentRow, "The assignment as committed."
    )


@strawberry.type(description="The role memory entry a mutation wrote.")
class RoleMemoryPayload(CommittedPayload):
    memory: RoleMemory | None = committed(models.RoleMemoryRow, "The memory entry as committed.")


@strawberry.type(description="The unit of work a mutation touched.")
class UowPayload(CommittedPayload):
    uow: UnitOfWork | None = committed(models.UnitOfWorkRow, "The unit of work as committed.")


@strawberry.type(description="A unit of work's change: the row and the history entry written.")
class TransitionUowPayload:
    """The rows the change wrote come straight from the service (they are what was
    committed), which saves reading them back on the hottest write path."""

    written: strawberry.Private[Any] = None
    errors: list[UserError] = strawberry.field(description=ERRORS)

    @field("The unit of work after the change.")
    def uow(self) -> UnitOfWork | None:
        return None if self.written is None else self.written.uow

    @field("The history entry the change appended.")
    def history_entry(self) -> UowHistoryEntry | None:
        return None if self.written is None else self.written.history


@strawberry.type(description="One answer per item of transitionUows, in the items' order.")
class TransitionUowsPayload:
    results: list[TransitionUowPayload] = strawberry.field(
        description="The answer to each item, in the items' order."
    )
    errors: list[UserError] = strawberry.field(
        description="Problems with the request as a whole (each item has its own errors)."
    )


@strawberry.type(description="A decomposition: the parent and the children it now has.")
class DecomposePayload:
    parent_id: Id = None
    child_ids: strawberry.Private[list[uuid.UUID]]
    errors: list[UserError] = strawberry.field(description=ERRORS)

    @field("The parent unit of work, its child count raised.")
    async def parent(self, info: Info) -> UnitOfWork | None:
        return await load_optional(info.context, models.UnitOfWorkRow, self.parent_id)

    @field("The child units of work created.")
    async def children(self, info: Info) -> list[UnitOfWork]:
        return await by_id(info.context, models.UnitOfWorkRow).load_many(self.child_ids)


@strawberry.type(description="The outcome of a state hash check.")
class VerifyUowStatePayload(UowPayload):
    intact: bool | None = strawberry.field(
        default=None,
        description="True when the stored hash matches the attributes; false: a breach, "
        "now recorded (FAILED_SECURITY_BREACH).",
    )


@strawberry.type(description="Whether a bearer token is now refused.")
class RevokeTokenPayload:
    revoked: bool | None = strawberry.field(
        description="True: the token is refused from now on (also when it was revoked "
        "before); null when the mutation was refused (see errors)."
    )
    errors: list[UserError] = strawberry.field(description=ERRORS)


@strawberry.type(description="Whether a telemetry entry was taken into the buffer.")
class RecordTelemetryPayload:
    accepted: bool = strawberry.field(
        description="Taken: it will be written shortly. False: refused (see errors)."
    )
    errors: list[UserError] = strawberry.field(description=ERRORS)
