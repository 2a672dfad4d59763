"""Events as subscribers see them: an interaction log entry, with its history entry for
state transitions. Plain records (no transport) so services, resolvers and buses share them."""

from __future__ import annotations

import json
import uuid
from dataclasses import KW_ONLY, dataclass, fields
from datetime import datetime
from typing import Any

from storage.enums import LogType, UowStatus

# Bytes of an encoded event that may travel inline. PostgreSQL's NOTIFY refuses payloads of
# 8000 bytes or more; a larger event travels by reference to its stored log row, so it can
# only be announced once it is written. The rule holds on every bus, so subscribers see the
# same thing whichever bus the server runs.
INLINE_LIMIT = 7_900


@dataclass(frozen=True, slots=True)
class HistoryRecord:
    """A UnitsOfWorkHistory row carried inside an event (same attribute names as the row)."""

    history_id: uuid.UUID
    instance_id: uuid.UUID
    uow_id: uuid.UUID
    previous_status: UowStatus | None
    new_status: UowStatus
    previous_state_hash: str | None
    new_state_hash: str
    previous_interaction_id: uuid.UUID | None
    new_interaction_id: uuid.UUID
    actor_id: uuid.UUID | None
    transition_timestamp: datetime
    reasoning: str | None
    transition_metadata: Any

    @classmethod
    def of(cls, row: Any) -> HistoryRecord:
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})


@dataclass(frozen=True, slots=True)
class LogEntry:
    """What an interaction log entry says, whether accepted, stored or announced: the
    instance, the kind, whom it concerns (keywords only) and its JSON payloads."""

    instance_id: uuid.UUID
    log_type: LogType
    _: KW_ONLY
    uow_id: uuid.UUID | None = None
    actor_id: uuid.UUID | None = None
    role_id: uuid.UUID | None = None
    interaction_id: uuid.UUID | None = None
    details: Any = None
    error: Any = None


@dataclass(frozen=True, slots=True)
class Event(LogEntry):
    """One interaction log entry as subscribers see it; `transition` for STATE_TRANSITION."""

    timestamp: datetime
    log_id: int | None = None
    transition: HistoryRecord | None = None

    @classmethod
    def of_log(cls, row: Any, transition: Any = None) -> Event:
        """A stored Interaction_Logs row (its payload columns are named apart)."""
        return cls(
            **{name: getattr(row, _LOG_COLUMNS.get(name, name)) for name in _LOGGED},
            transition=None if transition is None else HistoryRecord.of(transition),
        )

    def encode(self) -> str:
        """JSON of the event's fields. Built field by field rather than with
        `dataclasses.asdict`, which deep-copies `details`: a third of recordTelemetry's time."""
        flat = {name: getattr(self, name) for name in _EVENT_FIELDS}
        if self.transition is not None:
            flat["transition"] = {name: getattr(self.transition, name) for name in _HISTORY_FIELDS}
        return json.dumps(flat, default=_json_default, separators=(",", ":"))

    def fits_inline(self) -> bool:
        """True when the event can be announced before it is stored (see INLINE_LIMIT)."""
        return len(self.encode().encode()) <= INLINE_LIMIT

    @classmethod
    def decode(cls, text: str) -> Event:
        raw = json.loads(text)
        transition = raw.pop("transition")
        return cls(
            **_typed(cls, raw),
            transition=None
            if transition is None
            else HistoryRecord(**_typed(HistoryRecord, transition)),
        )

    @classmethod
    def of_entry(cls, entry: Any, log_id: int | None = None) -> Event:
        """A telemetry entry: accepted by the buffer (no log id yet), or written (`log_id`)."""
        return cls(
            **{name: getattr(entry, name) for name in _ENTRY_FIELDS},
            timestamp=entry.timestamp,
            log_id=log_id,
        )


_ENTRY_FIELDS = tuple(f.name for f in fields(LogEntry))
_LOGGED = (*_ENTRY_FIELDS, "timestamp", "log_id")
# Event fields that Interaction_Logs stores under another column name.
_LOG_COLUMNS = {"details": "event_details", "error": "error_metadata"}
_EVENT_FIELDS = tuple(f.name for f in fields(Event))
_HISTORY_FIELDS = tuple(f.name for f in fields(HistoryRecord))


def _json_default(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, LogType | UowStatus):
        return value.value
    raise TypeError(f"cannot encode {type(value).__name__}")


_PARSERS: dict[str, Any] = {
    "instance_id": uuid.UUID,
    "uow_id": uuid.UUID,
    "actor_id": uuid.UUID,
    "role_id": uuid.UUID,
    "interaction_id": uuid.UUID,
    "history_id": uuid.UUID,
    "previous_interaction_id": uuid.UUID,
    "new_interaction_id": uuid.UUID,
    "timestamp": datetime.fromisoformat,
    "transition_timestamp": datetime.fromisoformat,
    "log_type": LogType,
    "previous_status": UowStatus,
    "new_status": UowStatus,
}


def _typed(cls: type, raw: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)} - {"transition"}
    return {
        name: (_PARSERS[name](value) if value is not None and name in _PARSERS else value)
        for name, value in raw.items()
        if name in names
    }
