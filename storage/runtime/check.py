"""`chameleon check`: do the units of work agree with their own records?

Every change appends a history row and bumps the row, so what the unit of work row says
can be recomputed from what was appended. A unit is reported when:
- its history is not one chain: the first row is not a genesis (no previous status, hash
  or interaction), or a row's previous status/hash/interaction differ from the new ones of
  the row before it;
- its row disagrees with its last history row (status, interaction, content hash), or its
  version is lower than the history allows (each change bumps it at least once, and the
  transition's log row recorded the version it reached);
- an attribute's versions are not 1..n without gaps;
- its content hash is not `state_hash` of the newest attribute versions.

Only reads; units are walked in chunks, so any number of them fit in memory.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from sqlalchemy import select

from storage.engines import Tier
from storage.enums import LogType, UowStatus
from storage.errors import DomainError, ErrorCode
from storage.models import InstanceRow, InteractionLogRow, UnitOfWorkRow, UowAttributeRow
from storage.models import UowHistoryRow as History
from storage.runtime.hashing import state_hash

CHUNK = 500
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Finding:
    """One disagreement of one unit of work with its records."""

    instance_id: uuid.UUID
    uow_id: uuid.UUID
    check: str  # history, row, version, attributes, hash
    message: str


@dataclass(slots=True)
class CheckReport:
    units: int = 0
    findings: list[Finding] = field(default_factory=list)


async def check_units(
    tier: Tier, *, instance_id: uuid.UUID | None = None, on_progress: Progress | None = None
) -> CheckReport:
    """Checks every unit of work of `instance_id` (or of every instance)."""
    report = CheckReport()
    async with tier.sessions() as session:
        units = select(UnitOfWorkRow).order_by(UnitOfWorkRow.uow_id)
        if instance_id is not None:
            if await session.get(InstanceRow, instance_id) is None:
                raise DomainError.single(
                    ErrorCode.NOT_FOUND, f"no instance with id {instance_id}", ("instance",)
                )
            units = units.where(UnitOfWorkRow.instance_id == instance_id)
        rows = list(await session.scalars(units))
        report.units = len(rows)
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            ids = [row.uow_id for row in chunk]
            histories = await _grouped(session, select(History).where(History.uow_id.in_(ids)))
            attributes = await _grouped(
                session, select(UowAttributeRow).where(UowAttributeRow.uow_id.in_(ids))
            )
            logged = await _logged_versions(session, ids)
            for unit in chunk:
                report.findings.extend(
                    check_unit(
                        unit,
                        histories.get(unit.uow_id, []),
                        attributes.get(unit.uow_id, []),
                        logged,
                    )
                )
            session.expunge_all()
            if on_progress is not None:
                on_progress(start + len(chunk), len(rows))
    return report


def check_unit(
    unit: Any, history: Sequence[Any], attributes: Sequence[Any], logged: dict[str, int]
) -> list[Finding]:
    """The findings about one unit; `logged` maps history ids to the version logged."""
    problems: list[tuple[str, str]] = []
    chain = _ordered(history)
    if not chain:
        problems.append(("history", "no history rows"))
    else:
        if _before(chain[0]) != (None, None, None):
            problems.append(("history", "the first history row is not a genesis"))
        for n, (earlier, later) in enumerate(pairwise(chain), start=2):
            if _before(later) != _after(earlier):
                problems.append(
                    (
                        "history",
                        f"history row {n} does not follow row {n - 1}: "
                        + _differences(_after(earlier), _before(later)),
                    )
                )
        last = chain[-1]
        now = (unit.status, unit.content_hash, unit.current_interaction_id)
        if now != _after(last):
            problems.append(
                (
                    "row",
                    "the row disagrees with its last history row: "
                    + _differences(_after(last), now),
                )
            )
        if unit.version < len(chain):
            problems.append(
                ("version", f"version {unit.version} is lower than its {len(chain)} changes")
            )
        reached = logged.get(str(last.history_id))
        if reached is not None and unit.version < reached:
            problems.append(
                (
                    "version",
                    f"version {unit.version} is lower than the {reached} its last change logged",
                )
            )
    problems.extend(_attribute_problems(unit, attributes))
    return [Finding(unit.instance_id, unit.uow_id, check, message) for check, message in problems]


def _attribute_problems(unit: Any, attributes: Sequence[Any]) -> list[tuple[str, str]]:
    problems = []
    by_key: dict[str, list[Any]] = defaultdict(list)
    for row in attributes:
        by_key[row.key].append(row)
    for key, rows in sorted(by_key.items()):
        versions = sorted(row.version for row in rows)
        if versions != list(range(1, len(versions) + 1)):
            problems.append(
                ("attributes", f"attribute {key!r} has versions {versions}, not 1..{len(rows)}")
            )
    newest = {key: max(rows, key=lambda r: r.version).value for key, rows in by_key.items()}
    computed = state_hash(newest)
    if computed != unit.content_hash:
        note = (
            " (already recorded as a breach)"
            if (unit.status == UowStatus.FAILED_SECURITY_BREACH)
            else ""
        )
        problems.append(
            (
                "hash",
                f"content hash {unit.content_hash[:12]}… is not the hash of its "
                f"attributes, {computed[:12]}…{note}",
            )
        )
    return problems


def _ordered(history: Sequence[Any]) -> list[Any]:
    """By time; rows written in the same instant are put in the order their links allow."""
    remaining = sorted(history, key=lambda row: row.transition_timestamp)
    chain: list[Any] = []
    state: tuple[Any, Any, Any] = (None, None, None)
    while remaining:
        instant = remaining[0].transition_timestamp
        tied = [row for row in remaining if row.transition_timestamp == instant]
        pick = next((row for row in tied if _before(row) == state), tied[0])
        chain.append(pick)
        remaining.remove(pick)
        state = _after(pick)
    return chain


def _before(row: Any) -> tuple[Any, Any, Any]:
    return (row.previous_status, row.previous_state_hash, row.previous_interaction_id)


def _after(row: Any) -> tuple[Any, Any, Any]:
    return (row.new_status, row.new_state_hash, row.new_interaction_id)


def _differences(expected: tuple[Any, Any, Any], found: tuple[Any, Any, Any]) -> str:
    names = ("status", "hash", "interaction")
    parts = [
        f"{name} {_show(want)} ≠ {_show(got)}"
        for name, want, got in zip(names, expected, found, strict=True)
        if want != got
    ]
    return "; ".join(parts)


def _show(value: Any) -> str:
    if isinstance(value, UowStatus):
        return value.value
    if isinstance(value, str) and len(value) == 64:
        return value[:12] + "…"
    return str(value)


async def _grouped(session: Any, query: Any) -> dict[uuid.UUID, list[Any]]:
    grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in await session.scalars(query):
        grouped[row.uow_id].append(row)
    return grouped


async def _logged_versions(session: Any, ids: list[uuid.UUID]) -> dict[str, int]:
    """history id -> the version its STATE_TRANSITION log row recorded."""
    rows = await session.scalars(
        select(InteractionLogRow.event_details).where(
            InteractionLogRow.uow_id.in_(ids),
            InteractionLogRow.log_type == LogType.STATE_TRANSITION,
        )
    )
    versions = {}
    for details in rows:
        if isinstance(details, dict) and isinstance(details.get("version"), int):
            versions[str(details.get("history_id"))] = details["version"]
    return versions
