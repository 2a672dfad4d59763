"""Mutation inputs (SPEC 5): one `input` argument per mutation, named `<Mutation>Input`."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from schema.describe import described_by
from schema.enums import (
    ActorType,
    ComponentDirection,
    DecompositionStrategy,
    GuardianType,
    InstanceStatus,
    LogType,
    RoleType,
    UowStatus,
)
from storage import models

ACTOR = "The actor acting, if any (kept in the history)."
REASONING = "Why, for the history."
EXPECTED_VERSION = "Refused with STALE_STATE unless the unit is at this version."
IDEMPOTENCY_KEY = (
    "A key of the client's choosing (1 to 200 characters, e.g. a UUID) that makes a retry "
    "safe: sent again with the same input within the retention window (24 h by default), "
    "the mutation writes nothing and answers as it did the first time. The same key with "
    "another mutation or input is refused (CONFLICT); a refused mutation keeps no key."
)


def optional(description: str) -> Any:
    """An input field that is null unless given."""
    return strawberry.field(default=None, description=description)


def idempotency_key() -> str | None:
    """The optional `idempotencyKey` field every writing instance-tier input ends with."""
    key: str | None = optional(IDEMPOTENCY_KEY)
    return key


@strawberry.input(description="A template as a YAML document.")
class ImportTemplateInput:
    yaml: str = strawberry.field(description="A template document in the YAML format.")


@described_by(models.TemplateGuardianRow)
@strawberry.input(description="A guardian of a component, as in a template document.")
class TemplateGuardianInput:
    name: str
    type: GuardianType
    description: str | None = None
    ai_context: JSON | None = None
    config: JSON | None = None


@described_by(models.TemplateComponentRow)
@strawberry.input(description="A component of a template, as in a template document.")
class TemplateComponentInput:
    name: str
    role: str = strawberry.field(description="Name of the role in this template.")
    interaction: str = strawberry.field(description="Name of the interaction in this template.")
    direction: ComponentDirection
    description: str | None = None
    ai_context: JSON | None = None
    guardians: list[TemplateGuardianInput] = strawberry.field(
        default_factory=list, description="The component's guardians."
    )


@described_by(models.TemplateRoleRow)
@strawberry.input(description="A role of a template, as in a template document.")
class TemplateRoleInput:
    name: str
    role_type: RoleType
    strategy: DecompositionStrategy | None = None
    description: str | None = None
    ai_context: JSON | None = None
    child_workflow: str | None = optional("Name of a child template (recursive gateway).")
    child_workflow_version: int | None = optional(
        "Version of that child template (its newest if omitted)."
    )


@described_by(models.TemplateInteractionRow)
@strawberry.input(description="An interaction of a template, as in a template document.")
class TemplateInteractionInput:
    name: str
    description: str | None = None
    ai_context: JSON | None = None
    stale_token_limit_seconds: int | None = None


@described_by(models.TemplateWorkflowRow)
@strawberry.input(
    description="A template as typed input; validated like an imported file. Without a "
    "version it becomes version 1 of a new name, or the next version of an existing name "
    "whose newest version has other content (the same content: that version, nothing written)."
)
class TemplateInput:
    name: str
    version: int | None = None
    description: str | None = None
    ai_context: JSON | None = None
    roles: list[TemplateRoleInput] = strawberry.field(
        default_factory=list, description="The template's roles."
    )
    interactions: list[TemplateInteractionInput] = strawberry.field(
        default_factory=list, description="The template's interactions."
    )
    components: list[TemplateComponentInput] = strawberry.field(
        default_factory=list, description="The template's components, with their guardians."
    )


@strawberry.input(description="The template to retire.")
class RetireTemplateInput:
    template_id: strawberry.ID = strawberry.field(description="The template (one version).")


@strawberry.input(description="The bearer token to revoke, by its id.")
class RevokeTokenInput:
    jti: str = strawberry.field(
        description="The token's `jti` claim (`chameleon token revoke` prints it for a token)."
    )


@strawberry.input(description="The template to delete.")
class DeleteTemplateInput:
    template_id: strawberry.ID = strawberry.field(description="The template (one version).")


@described_by(models.ActorRow)
@strawberry.input(description="An actor to register with a new instance.")
class ActorInput:
    name: str
    identity_key: str
    type: ActorType
    description: str | None = None
    capabilities: JSON | None = None
    roles: list[str] = strawberry.field(
        default_factory=list,
        description='Roles to assign: "Role" (master workflow) or "Workflow.Role".',
    )


@described_by(models.InstanceRow)
@strawberry.input(description="Which template to copy (by id, or by name) and the new instance.")
class InstantiateInput:
    template_id: strawberry.ID | None = optional("The template to copy (or give its name).")
    template_name: str | None = optional("The name of the template to copy, instead of its id.")
    template_version: int | None = optional(
        "With templateName: this version (the newest if omitted)."
    )
    name: str
    description: str | None = None
    actors: list[ActorInput] | None = optional(
        "Actors to register in the instance, with their roles."
    )
    idempotency_key: str | None = idempotency_key()


@strawberry.input(description="An instance and the status it moves to.")
class SetInstanceStatusInput:
    instance_id: strawberry.ID = strawberry.field(description="The instance.")
    status: InstanceStatus = strawberry.field(description="Its new status.")
    idempotency_key: str | None = idempotency_key()


@described_by(models.ActorRow)
@strawberry.input(description="An actor to register in an instance.")
class RegisterActorInput:
    instance_id: strawberry.ID
    name: str
    identity_key: str
    type: ActorType
    description: str | None = None
    capabilities: JSON | None = None
    idempotency_key: str | None = idempotency_key()


@strawberry.input(description="An actor and a role of the same instance.")
class AssignRoleInput:
    actor_id: strawberry.ID = strawberry.field(description="The actor.")
    role_id: strawberry.ID = strawberry.field(description="The role it may act in.")
    idempotency_key: str | None = idempotency_key()


@strawberry.input(description="The assignment to revoke.")
class RevokeAssignmentInput:
    assignment_id: strawberry.ID = strawberry.field(description="The assignment.")
    idempotency_key: str | None = idempotency_key()


@described_by(models.RoleMemoryRow)
@strawberry.input(description="A value for a role's memory: global, or one actor's.")
class PutRoleMemoryInput:
    role_id: strawberry.ID
    actor_id: strawberry.ID | None = None
    key: str
    value: JSON
    idempotency_key: str | None = idempotency_key()


@strawberry.input(description="Where a new base unit of work starts, and with what.")
class StartWorkInput:
    instance_id: strawberry.ID = strawberry.field(description="The (ACTIVE) instance.")
    workflow_id: strawberry.ID | None = optional("Defaults to the instance's master workflow.")
    actor_id: strawberry.ID | None = optional(ACTOR)
    attributes: JSON | None = optional("Initial attributes (a JSON object), each at version 1.")
    reasoning: str | None = optional(REASONING)
    idempotency_key: str | None = idempotency_key()


@strawberry.input(description="A change of a unit of work's status, location or attributes.")
class TransitionUowInput:
    uow_id: strawberry.ID = strawberry.field(description="The unit of work.")
    to_status: UowStatus | None = optional(
        "Omit to move or change attributes without a status change."
    )
    to_interaction_id: strawberry.ID | None = optional(
        "The interaction to move it to (it stays where it is if omitted)."
    )
    actor_id: strawberry.ID | None = optional(ACTOR)
    reasoning: str | None = optional(REASONING)
    metadata: JSON | None = optional("Extra facts, kept in the history entry.")
    attributes: JSON | None = optional("Keys to give a new version; others stay.")
    expected_version: int | None = optional(EXPECTED_VERSION)
    expected_state_hash: str | None = optional(
        "Refused with STALE_STATE unless its contentHash is this."
    )
    idempotency_key: str | None = idempotency_key()


@strawberry.input(description="Several transitions in one request, each atomic on its own.")
class TransitionUowsInput:
    items: list[TransitionUowInput] = strawberry.field(
        description="At most 100; applied in order, each on its own (one refused item does "
        "not stop the others). Items take no idempotencyKey of their own: the batch's key "
        "answers for the whole batch."
    )
    idempotency_key: str | None = idempotency_key()


@strawberry.input(description="A unit of work to split and the children to create.")
class DecomposeInput:
    parent_id: strawberry.ID = strawberry.field(description="The unit of work to split.")
    actor_id: strawberry.ID | None = optional(ACTOR)
    children: list[JSON] = strawberry.field(description="Attributes of each child.")
    inherit: bool = strawberry.field(
        default=True, description="Start each child from the parent's current attributes."
    )
    reasoning: str | None = optional(REASONING)
    idempotency_key: str | None = idempotency_key()


@strawberry.input(description="The actor holding a unit of work, saying it is alive.")
class HeartbeatInput:
    uow_id: strawberry.ID = strawberry.field(description="The ACTIVE unit of work it holds.")
    actor_id: strawberry.ID = strawberry.field(description="The holder.")
    idempotency_key: str | None = idempotency_key()


@strawberry.input(description="The unit of work whose state hash to check.")
class VerifyUowStateInput:
    uow_id: strawberry.ID = strawberry.field(description="The unit of work.")
    idempotency_key: str | None = idempotency_key()


@described_by(models.InteractionLogRow)
@strawberry.input(description="An interaction log entry to record.")
class RecordTelemetryInput:
    instance_id: strawberry.ID
    uow_id: strawberry.ID | None = None
    actor_id: strawberry.ID | None = None
    role_id: strawberry.ID | None = None
    interaction_id: strawberry.ID | None = None
    log_type: LogType
    details: JSON | None = optional("Structured details of the event.")
    error: JSON | None = optional("Error context, for ERROR entries.")


@strawberry.input(description="Take the oldest unit of work an actor of a role may take.")
class CheckoutInput:
    role_id: strawberry.ID = strawberry.field(description="The role to work under.")
    actor_id: strawberry.ID = strawberry.field(
        description="The actor taking the work; needs an ACTIVE assignment to the role."
    )
    uow_id: strawberry.ID | None = optional(
        "Take this unit of work instead of the oldest eligible one."
    )
    idempotency_key: str | None = idempotency_key()


@strawberry.input(description="Hand a held unit of work back; the engine routes it.")
class SubmitInput:
    uow_id: strawberry.ID = strawberry.field(description="The unit of work the actor holds.")
    actor_id: strawberry.ID = strawberry.field(description="The holder; nobody else submits.")
    attributes: JSON | None = optional("Keys to give a new version before routing; others stay.")
    reasoning: str | None = optional(REASONING)
    expected_version: int | None = optional(EXPECTED_VERSION)
    metadata: JSON | None = optional("Kept in the history entry's metadata under `client`.")
    decompose: list[JSON] | None = strawberry.field(
        default=None,
        description="BETA roles with a strategy: the attributes of each child to create; the "
        "children are routed out and the unit waits at the CERBERUS join.",
    )
    inherit: bool = strawberry.field(
        default=True, description="Children start from the unit's current attributes."
    )
    idempotency_key: str | None = idempotency_key()


@strawberry.input(description="The holder gives up on a unit of work.")
class ReportFailureInput:
    uow_id: strawberry.ID = strawberry.field(description="The unit of work the actor holds.")
    actor_id: strawberry.ID = strawberry.field(description="The holder.")
    error: JSON = strawberry.field(description="What went wrong (a JSON object), kept in a log.")
    reasoning: str | None = optional(REASONING)
    expected_version: int | None = optional(EXPECTED_VERSION)
    idempotency_key: str | None = idempotency_key()
