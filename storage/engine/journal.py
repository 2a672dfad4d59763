"""What one engine verb writes besides the move itself, and what it answers with.

A verb can cause several moves (a submit that completes a child workflow's unit moves its
parent on; a checkout that meets a failed child sends the parent to EPSILON) and one log row
per guardian decision. The journal writes them in the verb's transaction and hands the lot
to the caller, who publishes every row after the commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection

from storage.engine.guardians import Decision
from storage.enums import LogType, RouteKind, UowStatus
from storage.runtime.transitions import (
    Hold,
    TransitionResult,
    apply_change,
    check_move,
    insert_logs,
    take_at_version,
)
from storage.types import utcnow


@dataclass(frozen=True, slots=True)
class Route:
    kind: RouteKind
    interaction_id: uuid.UUID | None
    reason: str
    component_id: uuid.UUID | None = None
    component_name: str | None = None
    guardian_id: uuid.UUID | None = None
    guardian_name: str | None = None


@dataclass(frozen=True, slots=True)
class EngineResult:
    """`main` is the unit's own move (None when a checkout found nothing); `transitions`
    every move written, in order, `main` included; `logs` the other log rows written;
    `children` the units a submit created (decomposition, gateway)."""

    main: TransitionResult | None
    transitions: tuple[TransitionResult, ...] = ()
    logs: tuple[Any, ...] = ()
    route: Route | None = None
    children: tuple[TransitionResult, ...] = ()


@dataclass
class Journal:
    session: Connection
    actor_id: uuid.UUID | None
    transitions: list[TransitionResult] = field(default_factory=list)
    logs: list[Any] = field(default_factory=list)
    # Log rows not yet written: they go in with the next move's own log row (one INSERT).
    _pending: list[dict[str, Any]] = field(default_factory=list)

    def move(
        self,
        uow: Any,
        to_status: UowStatus,
        *,
        reasoning: str | None,
        to_interaction_id: uuid.UUID | None = None,
        changes: dict[str, Any] | None = None,
        hold: Hold | None = None,
        retry: bool = False,
        metadata: Any = None,
        newest: dict[str, Any] | None = None,
    ) -> TransitionResult:
        """One move through the transition service, checked against the lifecycle table."""
        if to_status != uow.status:
            check_move(self.session, uow, to_status)
        pending, self._pending = self._pending, []
        result = apply_change(
            self.session,
            uow,
            to_status=to_status,
            to_interaction_id=to_interaction_id,
            actor_id=self.actor_id,
            reasoning=reasoning,
            metadata=metadata,
            changes=changes or {},
            hold=hold,
            retry=retry,
            newest=newest,
            logs_before=pending,
            routed=True,
        )
        self.logs.extend(SimpleNamespace(**row) for row in pending)
        self.transitions.append(result)
        return result

    def take(
        self, uow: Any, hold: Hold, *, reasoning: str, metadata: Any
    ) -> TransitionResult | None:
        """Checkout's move (see `take_at_version`); None when another checkout won."""
        result = take_at_version(
            self.session,
            uow,
            hold=hold,
            reasoning=reasoning,
            metadata=metadata,
            logs_before=self._pending,
        )
        if result is None:
            self._pending = []
            return None
        self.logs.extend(SimpleNamespace(**row) for row in self._pending)
        self._pending = []
        self.transitions.append(result)
        return result

    def decisions(
        self,
        uow: Any,
        decisions: Sequence[Decision],
        *,
        role_id: uuid.UUID | None,
        interaction_id: uuid.UUID,
        component: str | None,
        route: str | None,
    ) -> None:
        """One GUARDIAN_DECISION row per guardian that judged the unit of work."""
        for decision in decisions:
            self.log(
                uow,
                LogType.GUARDIAN_DECISION,
                role_id=role_id,
                interaction_id=interaction_id,
                details={
                    "guardian": decision.guardian.name,
                    "guardian_id": str(decision.guardian.guardian_id),
                    "type": decision.guardian.type.value,
                    "component": component,
                    "inputs": list(decision.names),
                    "verdict": decision.outcome.value,
                    "reason": decision.reason,
                    "route": route,
                },
            )

    def log(
        self,
        uow: Any,
        log_type: LogType,
        *,
        role_id: uuid.UUID | None,
        interaction_id: uuid.UUID | None,
        details: Any = None,
        error: Any = None,
    ) -> None:
        row = {
            "instance_id": uow.instance_id,
            "uow_id": uow.uow_id,
            "actor_id": self.actor_id,
            "role_id": role_id,
            "interaction_id": interaction_id,
            "timestamp": utcnow(),
            "log_type": log_type,
            "event_details": details,
            "error_metadata": error,
        }
        self._pending.append(row)

    def _flush(self) -> None:
        """Write the log rows no move has taken along (one INSERT)."""
        if not self._pending:
            return
        rows, self._pending = self._pending, []
        insert_logs(self.session, rows)
        self.logs.extend(SimpleNamespace(**row) for row in rows)

    def result(
        self,
        main: TransitionResult | None,
        route: Route | None = None,
        children: Sequence[TransitionResult] = (),
    ) -> EngineResult:
        self._flush()
        return EngineResult(main, tuple(self.transitions), tuple(self.logs), route, tuple(children))
