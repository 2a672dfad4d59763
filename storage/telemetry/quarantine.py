"""What happens to a telemetry entry the database refuses: it becomes an ERROR row that
says why, so the refusal is on record where the entry would have been, and the queue
behind it moves on.

Only refusals caused by the rows themselves are quarantined (bad data, a broken reference,
a value the driver cannot bind). A database that is down, locked or misconfigured refuses
every batch alike; those batches stay queued and are retried.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from storage.engines import Tier
from storage.enums import LogType
from storage.models import InteractionLogRow
from storage.types import utcnow

log = logging.getLogger("chameleon.telemetry")
LOG_TABLE = cast(Table, InteractionLogRow.__table__)
REASON_CHARS = 500


def refused_for_content(error: BaseException) -> bool:
    """True when the database (or driver) refused the rows for what they hold."""
    if isinstance(error, DataError | IntegrityError):
        return True
    # Drivers do not all map SQLSTATEs to DBAPI classes (asyncpg reports PostgreSQL's
    # "unsupported Unicode escape sequence", 22P05, as a plain DBAPIError): classes 22
    # (data exception) and 23 (integrity violation) are about the rows.
    sqlstate = getattr(getattr(error, "orig", None), "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate[:2] in {"22", "23"}:
        return True
    if isinstance(error, StatementError) and not isinstance(error, DBAPIError):
        return True  # the driver could not bind a value: nothing reached the database
    return isinstance(error, TypeError | ValueError)


async def store_refusal(tier: Tier, entry: Any, error: BaseException) -> None:
    """An ERROR row in place of `entry`: what it was and why it was refused. If even that
    row is refused (the instance itself is gone), the entry is logged here and dropped."""
    reason = _reason(error)
    row = {
        "instance_id": entry.instance_id,
        "timestamp": utcnow(),
        "log_type": LogType.ERROR,
        "event_details": {"reason": "telemetry entry refused by the database"},
        "error_metadata": {
            "error": reason,
            "entry": {
                "log_type": entry.log_type.value,
                "timestamp": entry.timestamp.isoformat(),
                "uow_id": _text(entry.uow_id),
                "actor_id": _text(entry.actor_id),
                "role_id": _text(entry.role_id),
                "interaction_id": _text(entry.interaction_id),
            },
        },
    }
    log.error("telemetry entry refused by the database, kept as an ERROR row: %s", reason)
    try:
        await tier.write(lambda connection: connection.execute(insert(LOG_TABLE), [row]))
    except Exception as second:
        if not refused_for_content(second):
            raise
        log.error("telemetry entry dropped (its ERROR row was refused too): %r", entry)


def _reason(error: BaseException) -> str:
    """The first line of the driver's message, ASCII, bounded: it is stored itself."""
    original = getattr(error, "orig", None) or error
    text = f"{type(original).__name__}: {original}".splitlines()[0]
    ascii_text = text.encode("ascii", "backslashreplace").decode().replace("\x00", "\\x00")
    return ascii_text[:REASON_CHARS]


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
