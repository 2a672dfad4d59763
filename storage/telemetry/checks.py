"""Checks an entry's ids before the buffer accepts it: a bad id would fail its whole batch.

The facts checked are remembered in the instance tier's `KnownIds` (when the server gave it
one), so a client reporting about the same units and actors queries the database only for
what it has not seen yet and, once a second, for its instance's status.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from storage.engines import Tier
from storage.enums import InstanceStatus
from storage.errors import DomainError, ErrorCode, Problem
from storage.models import (
    InstanceRow,
)
from storage.owners import OWNER_QUERIES
from storage.telemetry.buffer import TelemetryEntry
from storage.telemetry.known_ids import KnownIds


def _foreign(
    field: str, key: uuid.UUID, owner: uuid.UUID | None, instance_id: uuid.UUID
) -> Problem:
    """An id of another instance is not found there, except an actor's: instances are
    closed to each other's actors, which is FORBIDDEN like on every other verb."""
    if field == "actorId" and owner is not None:
        return Problem(
            ErrorCode.FORBIDDEN,
            f"actorId: actor {key} belongs to another instance than {instance_id}",
            ("input", field),
        )
    return Problem(
        ErrorCode.NOT_FOUND,
        f"{field}: no such id {key} in instance {instance_id}",
        ("input", field),
    )


def _ids(entry: TelemetryEntry) -> dict[str, uuid.UUID]:
    given = {
        "uowId": entry.uow_id,
        "actorId": entry.actor_id,
        "roleId": entry.role_id,
        "interactionId": entry.interaction_id,
    }
    return {field: key for field, key in given.items() if key is not None}


async def check_entry(tier: Tier, entry: TelemetryEntry) -> None:
    """Every id exists and belongs to the entry's instance, which is ACTIVE.

    Without a `KnownIds` on the tier (the CLI, scripts) every check asks the database."""
    known = tier.known_ids if tier.known_ids is not None else KnownIds()
    ids = _ids(entry)
    epoch = known.epoch
    status = known.status(entry.instance_id)
    owners = {field: known.owner(field, key) for field, key in ids.items()}
    if status is None or None in owners.values():
        async with tier.sessions() as session:
            if status is None:
                status = await session.scalar(
                    select(InstanceRow.status).where(InstanceRow.instance_id == entry.instance_id)
                )
                if status is not None:
                    known.remember_status(entry.instance_id, status, epoch)
            if status == InstanceStatus.ACTIVE:
                for field in [field for field, owner in owners.items() if owner is None]:
                    owner = await session.scalar(OWNER_QUERIES[field](ids[field]))
                    if owner is not None:
                        known.remember_owner(field, ids[field], owner)
                        owners[field] = owner
    if status is None:
        raise DomainError.single(
            ErrorCode.NOT_FOUND, f"no instance with id {entry.instance_id}", ("input", "instanceId")
        )
    if status != InstanceStatus.ACTIVE:
        raise DomainError.single(
            ErrorCode.INSTANCE_NOT_ACTIVE,
            f"instance {entry.instance_id} is {status.value}; it takes no writes",
            ("input", "instanceId"),
        )
    problems = [
        _foreign(field, ids[field], owner, entry.instance_id)
        for field, owner in owners.items()
        if owner != entry.instance_id
    ]
    if problems:
        raise DomainError(problems)
