"""What each writing operation lets a caller do (SPEC 8), checked once before its service runs.

One rule per mutation, keyed by its API name (a test fails when a mutation has none). Every
id a write names is traced to its instance; an id outside the caller's instances is refused
with the same NOT_FOUND an unknown id gets from this check, so ids cannot be probed. Then the
caller's kind: template writes and new instances are for admin, an actor-bound caller acts
only as its own actor (an `actorId` of another is FORBIDDEN; a missing one is its own), on
units it holds, in roles it is assigned to.

The owner of an id never changes (rows are never re-parented), so owners found once are
remembered in the tier's `KnownIds`, like the telemetry checks do.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select

from storage.access import Caller, CallerKind
from storage.engines import Tier
from storage.enums import AssignmentStatus
from storage.errors import DomainError, ErrorCode, Problem
from storage.models import (
    AssignmentRow,
    LocalRoleRow,
    UnitOfWorkRow,
)
from storage.owners import OWNER_QUERIES
from storage.telemetry.known_ids import KnownIds


class ActorRule(enum.Enum):
    """What an actor-bound caller may do with the mutation."""

    NEVER = "never"  # administration of the instance: not for an actor
    SELF = "self"  # as its own actor (filled in when not given)
    SELF_REQUIRED = "self_required"  # as its own actor, which must be named
    HOLDER = "holder"  # as its own actor, on a unit it holds
    STARTER = "starter"  # as its own actor, assigned to a role of the workflow
    ANY = "any"  # no actor involved (verifying a unit)


@dataclass(frozen=True, slots=True)
class WriteRule:
    """`ids`: the input fields naming rows, each traced to its instance; `admin`: admin only."""

    ids: tuple[str, ...] = ()
    actor: ActorRule = ActorRule.SELF
    admin: bool = False


ADMIN_ONLY = WriteRule(admin=True, actor=ActorRule.NEVER)
TRANSITION = WriteRule(("uowId", "toInteractionId", "actorId"), ActorRule.HOLDER)

RULES: Mapping[str, WriteRule] = {
    "importTemplate": ADMIN_ONLY,
    "createTemplate": ADMIN_ONLY,
    "retireTemplate": ADMIN_ONLY,
    "deleteTemplate": ADMIN_ONLY,
    "instantiate": ADMIN_ONLY,
    "revokeToken": ADMIN_ONLY,
    "setInstanceStatus": WriteRule(("instanceId",), ActorRule.NEVER),
    "registerActor": WriteRule(("instanceId",), ActorRule.NEVER),
    "assignRole": WriteRule(("actorId", "roleId"), ActorRule.NEVER),
    "revokeAssignment": WriteRule(("assignmentId",), ActorRule.NEVER),
    "putRoleMemory": WriteRule(("roleId", "actorId"), ActorRule.SELF_REQUIRED),
    "startWork": WriteRule(("instanceId", "workflowId", "actorId"), ActorRule.STARTER),
    "transitionUow": TRANSITION,
    "transitionUows": TRANSITION,  # checked for each item
    "decompose": WriteRule(("parentId", "actorId"), ActorRule.HOLDER),
    "heartbeat": WriteRule(("uowId", "actorId")),
    "verifyUowState": WriteRule(("uowId",), ActorRule.ANY),
    "recordTelemetry": WriteRule(("instanceId", "uowId", "actorId", "roleId", "interactionId")),
    "checkout": WriteRule(("roleId", "actorId", "uowId")),
    "submit": WriteRule(("uowId", "actorId")),
    "reportFailure": WriteRule(("uowId", "actorId")),
}


# Each input field's kind of row (the key its owner is remembered under) and its query.
_KINDS: Mapping[str, str] = {
    "instanceId": "instanceId",
    "workflowId": "workflowId",
    "assignmentId": "assignmentId",
    "uowId": "uowId",
    "parentId": "uowId",
    "actorId": "actorId",
    "roleId": "roleId",
    "interactionId": "interactionId",
    "toInteractionId": "interactionId",
}


def _unknown(field: str, key: uuid.UUID) -> Problem:
    return Problem(ErrorCode.NOT_FOUND, f"{field}: no such id {key}", ("input", field))


def _forbidden(message: str, *path: str) -> DomainError:
    return DomainError.single(ErrorCode.FORBIDDEN, message, ("input", *path))


async def check_write(
    tier: Tier, caller: Caller, mutation: str, ids: Mapping[str, uuid.UUID | None]
) -> uuid.UUID | None:
    """Raises NOT_FOUND or FORBIDDEN when `caller` may not run `mutation` on `ids` (input
    field → id, None when not given); answers the actor id to act as when an actor-bound
    caller gave none (None otherwise). Anonymous (auth off) and admin callers pass: the
    services still check that an actor belongs to the unit's instance."""
    rule = RULES[mutation]
    if caller.kind in (CallerKind.ANONYMOUS, CallerKind.ADMIN):
        return None
    if rule.admin:
        raise _forbidden(f"{mutation} needs an admin token")
    given = {field: ids.get(field) for field in rule.ids}
    owners = await _owners(tier, {f: k for f, k in given.items() if k is not None})
    problems = [
        _unknown(field, key)
        for field, key in given.items()
        if key is not None and not caller.reaches(owners.get(field))
    ]
    if problems:
        raise DomainError(problems)
    if caller.kind is not CallerKind.ACTOR:
        return None
    return await _check_actor(tier, caller, mutation, rule.actor, given)


async def _check_actor(
    tier: Tier,
    caller: Caller,
    mutation: str,
    rule: ActorRule,
    given: Mapping[str, uuid.UUID | None],
) -> uuid.UUID | None:
    own = caller.actor_id
    if rule is ActorRule.ANY:
        return None
    if rule is ActorRule.NEVER:
        raise _forbidden(f"{mutation}: an actor-bound token cannot administer its instance")
    named = given.get("actorId")
    if named is not None and named != own:
        raise _forbidden(f"actorId: this token acts only as actor {own}", "actorId")
    if named is None and rule is ActorRule.SELF_REQUIRED:
        raise _forbidden(f"actorId: this token writes only actor {own}'s own entries", "actorId")
    async with tier.sessions() as session:
        uow_field = "parentId" if "parentId" in given else "uowId"
        uow_id = given.get(uow_field)
        if rule is ActorRule.HOLDER and uow_id is not None:  # (a batch: checked per item)
            holder = await session.scalar(
                select(UnitOfWorkRow.locked_by_actor_id).where(UnitOfWorkRow.uow_id == uow_id)
            )
            if holder != own:
                raise _forbidden(
                    f"{uow_field}: unit of work {uow_id} is not held by actor {own}", uow_field
                )
        if rule is ActorRule.STARTER or (rule is ActorRule.SELF_REQUIRED and "roleId" in given):
            roles = select(AssignmentRow.role_id).where(
                AssignmentRow.actor_id == own, AssignmentRow.status == AssignmentStatus.ACTIVE
            )
            if rule is ActorRule.STARTER and given.get("workflowId") is not None:
                roles = roles.join(LocalRoleRow, LocalRoleRow.role_id == AssignmentRow.role_id)
                roles = roles.where(LocalRoleRow.local_workflow_id == given["workflowId"])
            if rule is ActorRule.SELF_REQUIRED:
                roles = roles.where(AssignmentRow.role_id == given["roleId"])
            if await session.scalar(roles.limit(1)) is None:
                raise _forbidden(f"actor {own} is not assigned to a role this {mutation} needs")
    return own if named is None else None


async def _owners(tier: Tier, ids: Mapping[str, uuid.UUID]) -> dict[str, uuid.UUID]:
    """The instance owning each id (absent: unknown id)."""
    known = tier.known_ids if tier.known_ids is not None else KnownIds()
    owners: dict[str, uuid.UUID] = {}
    missing: list[str] = []
    for field, key in ids.items():
        owner = known.owner(_KINDS[field], key)
        if owner is None:
            missing.append(field)
        else:
            owners[field] = owner
    if missing:
        async with tier.sessions() as session:
            for field in missing:
                kind = _KINDS[field]
                owner = await session.scalar(OWNER_QUERIES[kind](ids[field]))
                if owner is not None:
                    known.remember_owner(kind, ids[field], owner)
                    owners[field] = owner
    return owners
