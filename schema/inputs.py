"""Mutation inputs (SPEC 5): one `input` argument per mutation, named `<Mutation>Input`."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

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


@strawberry.input
class ImportTemplateInput:
    yaml: str = strawberry.field(description="A template document in the YAML format.")


@strawberry.input
class TemplateGuardianInput:
    name: str
    type: GuardianType
    description: str | None = None
    ai_context: JSON | None = None
    config: JSON | None = None


@strawberry.input
class TemplateComponentInput:
    name: str
    role: str = strawberry.field(description="Name of the role in this template.")
    interaction: str = strawberry.field(description="Name of the interaction in this template.")
    direction: ComponentDirection
    description: str | None = None
    ai_context: JSON | None = None
    guardians: list[TemplateGuardianInput] = strawberry.field(default_factory=list)


@strawberry.input
class TemplateRoleInput:
    name: str
    role_type: RoleType
    strategy: DecompositionStrategy | None = None
    description: str | None = None
    ai_context: JSON | None = None
    child_workflow: str | None = strawberry.field(
        default=None, description="Name of a child template (recursive gateway)."
    )
    child_workflow_version: int | None = None


@strawberry.input
class TemplateInteractionInput:
    name: str
    description: str | None = None
    ai_context: JSON | None = None
    stale_token_limit_seconds: int | None = None


@strawberry.input(description="A template as typed input; validated like an imported file.")
class TemplateInput:
    name: str
    version: int = 1
    description: str | None = None
    ai_context: JSON | None = None
    roles: list[TemplateRoleInput] = strawberry.field(default_factory=list)
    interactions: list[TemplateInteractionInput] = strawberry.field(default_factory=list)
    components: list[TemplateComponentInput] = strawberry.field(default_factory=list)


@strawberry.input
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


@strawberry.input
class InstantiateInput:
    template_id: strawberry.ID | None = None
    template_name: str | None = None
    template_version: int | None = None
    name: str
    description: str | None = None
    actors: list[ActorInput] | None = None


@strawberry.input
class SetInstanceStatusInput:
    instance_id: strawberry.ID
    status: InstanceStatus


@strawberry.input
class RegisterActorInput:
    instance_id: strawberry.ID
    name: str
    identity_key: str
    type: ActorType
    description: str | None = None
    capabilities: JSON | None = None


@strawberry.input
class AssignRoleInput:
    actor_id: strawberry.ID
    role_id: strawberry.ID


@strawberry.input
class RevokeAssignmentInput:
    assignment_id: strawberry.ID


@strawberry.input
class PutRoleMemoryInput:
    role_id: strawberry.ID
    actor_id: strawberry.ID | None = strawberry.field(
        default=None, description="Omit for the role's global blueprint."
    )
    key: str
    value: JSON


@strawberry.input
class StartWorkInput:
    instance_id: strawberry.ID
    workflow_id: strawberry.ID | None = strawberry.field(
        default=None, description="Defaults to the instance's master workflow."
    )
    actor_id: strawberry.ID | None = None
    attributes: JSON | None = None
    reasoning: str | None = None


@strawberry.input
class TransitionUowInput:
    uow_id: strawberry.ID
    to_status: UowStatus | None = strawberry.field(
        default=None, description="Omit to move or change attributes without a status change."
    )
    to_interaction_id: strawberry.ID | None = None
    actor_id: strawberry.ID | None = None
    reasoning: str | None = None
    metadata: JSON | None = None
    attributes: JSON | None = strawberry.field(
        default=None, description="Keys to give a new version; others stay."
    )
    expected_version: int | None = None
    expected_state_hash: str | None = None


@strawberry.input(description="Several transitions in one request, each atomic on its own.")
class TransitionUowsInput:
    items: list[TransitionUowInput] = strawberry.field(
        description="At most 100; applied in order, each on its own (one refused item does "
        "not stop the others)."
    )


@strawberry.input
class DecomposeInput:
    parent_id: strawberry.ID
    actor_id: strawberry.ID | None = None
    children: list[JSON] = strawberry.field(description="Attributes of each child.")
    inherit: bool = strawberry.field(
        default=True, description="Start each child from the parent's current attributes."
    )
    reasoning: str | None = None


@strawberry.input
class HeartbeatInput:
    uow_id: strawberry.ID
    actor_id: strawberry.ID


@strawberry.input
class VerifyUowStateInput:
    uow_id: strawberry.ID


@strawberry.input
class RecordTelemetryInput:
    instance_id: strawberry.ID
    uow_id: strawberry.ID | None = None
    actor_id: strawberry.ID | None = None
    role_id: strawberry.ID | None = None
    interaction_id: strawberry.ID | None = None
    log_type: LogType
    details: JSON | None = None
    error: JSON | None = None


@strawberry.input(description="Take the oldest unit of work an actor of a role may take.")
class CheckoutInput:
    role_id: strawberry.ID = strawberry.field(description="The role to work under.")
    actor_id: strawberry.ID = strawberry.field(
        description="The actor taking the work; needs an ACTIVE assignment to the role."
    )
    uow_id: strawberry.ID | None = strawberry.field(
        default=None, description="Take this unit of work instead of the oldest eligible one."
    )


@strawberry.input(description="Hand a held unit of work back; the engine routes it.")
class SubmitInput:
    uow_id: strawberry.ID = strawberry.field(description="The unit of work the actor holds.")
    actor_id: strawberry.ID = strawberry.field(description="The holder; nobody else submits.")
    attributes: JSON | None = strawberry.field(
        default=None, description="Keys to give a new version before routing; others stay."
    )
    reasoning: str | None = strawberry.field(default=None, description="Why, for the history.")
    expected_version: int | None = strawberry.field(
        default=None, description="Refused with STALE_STATE unless the unit is at this version."
    )
    metadata: JSON | None = strawberry.field(
        default=None, description="Kept in the history entry's metadata under `client`."
    )
    decompose: list[JSON] | None = strawberry.field(
        default=None,
        description="BETA roles with a strategy: the attributes of each child to create; the "
        "children are routed out and the unit waits at the CERBERUS join.",
    )
    inherit: bool = strawberry.field(
        default=True, description="Children start from the unit's current attributes."
    )


@strawberry.input(description="The holder gives up on a unit of work.")
class ReportFailureInput:
    uow_id: strawberry.ID = strawberry.field(description="The unit of work the actor holds.")
    actor_id: strawberry.ID = strawberry.field(description="The holder.")
    error: JSON = strawberry.field(description="What went wrong (a JSON object), kept in a log.")
    reasoning: str | None = strawberry.field(default=None, description="Why, for the history.")
    expected_version: int | None = strawberry.field(
        default=None, description="Refused with STALE_STATE unless the unit is at this version."
    )
