"""The Mutation root (SPEC 5): thin resolvers that parse input, call one service, and answer
with a payload whose `errors` hold every expected failure."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import strawberry

from resolvers import engine, instances, telemetry, templates, tokens, uows
from resolvers.context import RequestContext
from schema.base import Info, Input
from schema.describe import mutation
from schema.engine import CheckoutPayload, ReportFailurePayload, SubmitPayload
from schema.errors import answer, user_errors
from schema.inputs import (
    AssignRoleInput,
    CheckoutInput,
    DecomposeInput,
    DeleteTemplateInput,
    HeartbeatInput,
    ImportTemplateInput,
    InstantiateInput,
    PutRoleMemoryInput,
    RecordTelemetryInput,
    RegisterActorInput,
    ReportFailureInput,
    RetireTemplateInput,
    RevokeAssignmentInput,
    RevokeTokenInput,
    SetInstanceStatusInput,
    StartWorkInput,
    SubmitInput,
    TemplateInput,
    TransitionUowInput,
    TransitionUowsInput,
    VerifyUowStateInput,
)
from schema.payloads import (
    ActorPayload,
    AssignmentPayload,
    DecomposePayload,
    DeleteTemplatePayload,
    InstancePayload,
    RecordTelemetryPayload,
    RevokeTokenPayload,
    RoleMemoryPayload,
    TemplatePayload,
    TransitionUowPayload,
    TransitionUowsPayload,
    UowPayload,
    VerifyUowStatePayload,
)
from storage.access import acting_as

A = TypeVar("A")
R = TypeVar("R")


async def _audited(info: Info, write: Callable[[RequestContext, A], Awaitable[R]], data: A) -> R:
    """A template write made as the caller, whose subject Template_Audit records."""
    with acting_as(info.context.caller.subject):
        return await write(info.context, data)


@strawberry.type(description="Every change: one `input` argument, a payload with `errors`.")
class Mutation:
    @mutation("Import a template from its YAML document (all or nothing).")
    async def import_template(
        self, info: Info, input: Input[ImportTemplateInput]
    ) -> TemplatePayload:
        return TemplatePayload.of(await _audited(info, templates.import_template, input.yaml))

    @mutation("Create a template from typed input, validated as on import.")
    async def create_template(self, info: Info, input: Input[TemplateInput]) -> TemplatePayload:
        return TemplatePayload.of(await _audited(info, templates.create_template, input))

    @mutation(
        "Retire a template (one version): instantiate refuses it from now on, naming it; the "
        "instances made from it keep running on their own copies. Retiring it again answers "
        "it unchanged. Admin only once tokens exist."
    )
    async def retire_template(
        self, info: Info, input: Input[RetireTemplateInput]
    ) -> TemplatePayload:
        return TemplatePayload.of(await _audited(info, templates.retire_template, input))

    @mutation(
        "Delete a template (one version) and all its rows, unless another template names it "
        "as a child workflow (CONFLICT naming them). Instances are untouched: they hold "
        "their own copies. Admin only once tokens exist."
    )
    async def delete_template(
        self, info: Info, input: Input[DeleteTemplateInput]
    ) -> DeleteTemplatePayload:
        outcome = await _audited(info, templates.delete_template, input)
        return answer(DeleteTemplatePayload, "deleted", outcome)

    @mutation("Deep-copy a template and its child templates into a new instance.")
    async def instantiate(self, info: Info, input: Input[InstantiateInput]) -> InstancePayload:
        return InstancePayload.of(await instances.instantiate(info.context, input))

    @mutation("Pause, resume or archive an instance.")
    async def set_instance_status(
        self, info: Info, input: Input[SetInstanceStatusInput]
    ) -> InstancePayload:
        return InstancePayload.of(await instances.set_instance_status(info.context, input))

    @mutation("Register a person, AI agent or system in an instance.")
    async def register_actor(self, info: Info, input: Input[RegisterActorInput]) -> ActorPayload:
        return ActorPayload.of(await instances.register_actor(info.context, input))

    @mutation("Let an actor act in a role of its instance.")
    async def assign_role(self, info: Info, input: Input[AssignRoleInput]) -> AssignmentPayload:
        return AssignmentPayload.of(await instances.assign_role(info.context, input))

    @mutation("Revoke an assignment; the row is kept, marked REVOKED.")
    async def revoke_assignment(
        self, info: Info, input: Input[RevokeAssignmentInput]
    ) -> AssignmentPayload:
        return AssignmentPayload.of(await instances.revoke_assignment(info.context, input))

    @mutation("Set a role memory value (global, or one actor's playbook).")
    async def put_role_memory(
        self, info: Info, input: Input[PutRoleMemoryInput]
    ) -> RoleMemoryPayload:
        return RoleMemoryPayload.of(await instances.put_role_memory(info.context, input))

    @mutation("Genesis: create a base unit of work in a workflow.")
    async def start_work(self, info: Info, input: Input[StartWorkInput]) -> TransitionUowPayload:
        return answer(TransitionUowPayload, "written", await uows.start_work(info.context, input))

    @mutation("Change a unit of work's status, location or attributes.")
    async def transition_uow(
        self, info: Info, input: Input[TransitionUowInput]
    ) -> TransitionUowPayload:
        return answer(
            TransitionUowPayload, "written", await uows.transition_uow(info.context, input)
        )

    @mutation(
        "Several transitions in one request and one transaction, each atomic on its own: a "
        "refused item is answered with its errors and the others still apply."
    )
    async def transition_uows(
        self, info: Info, input: Input[TransitionUowsInput]
    ) -> TransitionUowsPayload:
        outcomes, problems = await uows.transition_many(info.context, input)
        return TransitionUowsPayload(
            results=[
                TransitionUowPayload(written=result, errors=user_errors(item_problems))
                for result, item_problems in outcomes
            ],
            errors=user_errors(problems),
        )

    @mutation("Split a unit of work into child units of work.")
    async def decompose(self, info: Info, input: Input[DecomposeInput]) -> DecomposePayload:
        result, problems = await uows.decompose(info.context, input)
        if result is None:
            return DecomposePayload(child_ids=[], errors=user_errors(problems))
        return DecomposePayload(
            parent_id=result.parent_id, child_ids=result.child_ids, errors=user_errors(problems)
        )

    @mutation("Tell the engine the actor holding a unit of work is alive.")
    async def heartbeat(self, info: Info, input: Input[HeartbeatInput]) -> UowPayload:
        return UowPayload.of(await uows.heartbeat(info.context, input))

    @mutation("Recompute the state hash; a mismatch is a security breach.")
    async def verify_uow_state(
        self, info: Info, input: Input[VerifyUowStateInput]
    ) -> VerifyUowStatePayload:
        result, problems = await uows.verify_uow_state(info.context, input)
        if result is None:
            return VerifyUowStatePayload(errors=user_errors(problems))
        return VerifyUowStatePayload(
            committed_id=result.uow_id, intact=result.intact, errors=user_errors(problems)
        )

    @mutation("Record a telemetry entry without waiting for the database.")
    async def record_telemetry(
        self, info: Info, input: Input[RecordTelemetryInput]
    ) -> RecordTelemetryPayload:
        return answer(
            RecordTelemetryPayload,
            "accepted",
            await telemetry.record_telemetry(info.context, input),
        )

    @mutation(
        "Take the oldest unit of work waiting for a role that its inbound "
        "guardians let through (or the one named): ACTIVE, held by the actor."
    )
    async def checkout(self, info: Info, input: Input[CheckoutInput]) -> CheckoutPayload:
        return answer(CheckoutPayload, "result", await engine.checkout(info.context, input))

    @mutation(
        "Hand back a held unit of work with its new attributes; the role's "
        "OUTBOUND guardians decide where it goes (OMEGA: COMPLETED; no route: FAILED at EPSILON)."
    )
    async def submit(self, info: Info, input: Input[SubmitInput]) -> SubmitPayload:
        return answer(SubmitPayload, "result", await engine.submit(info.context, input))

    @mutation(
        "The holder gives up: FAILED at the EPSILON role's inbound interaction, "
        "retry count + 1, the error kept in an ERROR log."
    )
    async def report_failure(
        self, info: Info, input: Input[ReportFailureInput]
    ) -> ReportFailurePayload:
        return answer(
            ReportFailurePayload, "result", await engine.report_failure(info.context, input)
        )

    @mutation(
        "Revoke a bearer token by its id (`jti`): every server process refuses it from now "
        "on (HTTP 401; a WebSocket using it is closed with 4403 within seconds). Admin only."
    )
    async def revoke_token(self, info: Info, input: Input[RevokeTokenInput]) -> RevokeTokenPayload:
        return answer(RevokeTokenPayload, "revoked", await tokens.revoke_token(info.context, input))
