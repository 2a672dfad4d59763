"""Who made a change that is not a transition (SPEC 8): an INTERACTION log row beside it.

Transitions record their caller in their history metadata and log row
(`storage.runtime.transitions.record`); the other writes of the instance tier (an instance,
an actor, an assignment, a memory, a status) write this row in the same transaction. Only
when there is a subject to record, i.e. auth is on: an anonymous change keeps no audit row.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.access import acting_subject
from storage.enums import LogType
from storage.models import InteractionLogRow


def audit(
    session: AsyncSession,
    mutation: str,
    instance_id: uuid.UUID,
    *,
    actor_id: uuid.UUID | None = None,
    role_id: uuid.UUID | None = None,
    **details: Any,
) -> None:
    """Adds the audit row of `mutation` to the session's transaction (when auth is on)."""
    subject = acting_subject()
    if subject is None:
        return
    session.add(
        InteractionLogRow(
            instance_id=instance_id,
            actor_id=actor_id,
            role_id=role_id,
            log_type=LogType.INTERACTION,
            event_details={"mutation": mutation, "caller": subject, **details},
        )
    )
