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
    INSERT_LOG,
    Hold,
    TransitionResult,
    apply_change,
    check_move,
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
        )
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
        row["log_id"] = self.session.execute(INSERT_LOG, row).scalar_one()
        self.logs.append(SimpleNamespace(**row))

    def result(
        self,
        main: TransitionResult | None,
        route: Route | None = None,
        children: Sequence[TransitionResult] = (),
    ) -> EngineResult:
        return EngineResult(main, tuple(self.transitions), tuple(self.logs), route, tuple(children))
