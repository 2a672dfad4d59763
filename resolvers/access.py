"""Every write checked against the request's caller before its service runs (SPEC 8).

The rules live in `storage.scopes`, keyed by the mutation's name; this module only reads
the ids an input names. An id that is not a valid UUID is left to the service, which
refuses it with VALIDATION_FAILED either way.
"""

from __future__ import annotations

import uuid
from typing import Any

from resolvers.context import RequestContext
from resolvers.errors import ClientError
from storage.scopes import check_write

# Input attribute of each id field the rules name.
ID_FIELDS = {
    "instanceId": "instance_id",
    "workflowId": "workflow_id",
    "assignmentId": "assignment_id",
    "uowId": "uow_id",
    "parentId": "parent_id",
    "actorId": "actor_id",
    "roleId": "role_id",
    "interactionId": "interaction_id",
    "toInteractionId": "to_interaction_id",
}


def _id(value: Any) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


async def authorize(ctx: RequestContext, mutation: str, data: Any) -> None:
    """Raises the DomainError that refuses `mutation` for this caller; for an actor-bound
    caller that named no actor, the input is made to name its own (so the change records
    who made it)."""
    ids = {
        field: _id(getattr(data, attribute))
        for field, attribute in ID_FIELDS.items()
        if hasattr(data, attribute)
    }
    own = await check_write(ctx.tiers.instance, ctx.caller, mutation, ids)
    if own is not None and hasattr(data, "actor_id"):
        data.actor_id = str(own)


def require_admin(ctx: RequestContext, field: str) -> None:
    """Reads for admin callers only (the template audit): any other caller is refused with
    FORBIDDEN (the field exists for every caller, so there is nothing to hide)."""
    if not ctx.caller.writes_templates:
        raise ClientError(f"{field}: admin callers only", code="FORBIDDEN")
