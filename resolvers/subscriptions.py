"""What a subscription checks before it joins the bus: its instance exists and its unit of
work (if any) belongs to that instance.

Subscribing is frequent (a client per unit of work, thousands at a time), so the facts are
read from the process's `KnownIds` (`storage.telemetry.known_ids`) first, shared with the
telemetry checks: the owner of a unit never changes and an instance is never deleted, so
what was learnt once holds. Only a unit or instance this process has not seen yet costs a
read: units through the process's `UnitOwners` (one statement for the units of all the
subscriptions arriving together) when the transport gave one, and the read connection is
closed again before the subscription starts waiting.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Executable, select

from resolvers.context import RequestContext
from resolvers.errors import not_found
from storage.models import InstanceRow
from storage.owners import OWNER_QUERIES
from storage.telemetry.known_ids import KnownIds

# An instance is remembered as its own owner: it exists, and always will.
INSTANCE = "instanceId"
UOW = "uowId"  # the kind the telemetry checks remember a unit's owner under


async def check_target(
    context: RequestContext, instance_id: uuid.UUID, uow_id: uuid.UUID | None
) -> None:
    """Raises NOT_FOUND for an unknown instance (or one outside the caller's scope), and for
    a unit of work that is unknown or belongs to another instance (a foreign unit is
    refused exactly like an unknown one)."""
    if not context.caller.reaches(instance_id):  # looks exactly like an unknown instance
        await context.forget_reads()
        raise not_found("instance", instance_id)
    tier = context.tiers.instance
    known = tier.known_ids if tier.known_ids is not None else KnownIds()
    try:
        owner = None
        if uow_id is not None:
            owner = known.owner(UOW, uow_id)
            if owner is None:
                if context.unit_owners is not None:
                    owner = await context.unit_owners.owner(uow_id)
                else:
                    owner = await _scalar(context, OWNER_QUERIES[UOW](uow_id))
                if owner is not None:
                    known.remember_owner(UOW, uow_id, owner)
            if owner == instance_id:
                return  # a unit's instance exists
        if known.owner(INSTANCE, instance_id) is None:
            found = await _scalar(
                context,
                select(InstanceRow.instance_id).where(InstanceRow.instance_id == instance_id),
            )
            if found is None:
                raise not_found("instance", instance_id)
            known.remember_owner(INSTANCE, instance_id, instance_id)
        if uow_id is not None:
            raise not_found("unit of work", f"{uow_id} in instance {instance_id}")
    finally:
        await context.forget_reads()


async def _scalar(context: RequestContext, statement: Executable) -> uuid.UUID | None:
    value: uuid.UUID | None = (await context.reader("instance").execute(statement)).scalar()
    return value
