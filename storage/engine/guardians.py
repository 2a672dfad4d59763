"""What each guardian type decides about one unit of work (SPEC 4.6).

A guardian never raises on the data it is shown: a policy that cannot hold, a missing
limit or a malformed COMPOSITE member is a verdict with a reason, and the reason is what
the GUARDIAN_DECISION log and the client see.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.engine.graph import GuardianNode, InteractionNode
from storage.engine.policy import PolicyError, compiled
from storage.enums import GuardianType, UowStatus


class Outcome(enum.Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    WAIT = "WAIT"  # CERBERUS: children still on their way
    ESCALATE = "ESCALATE"  # CERBERUS: a child failed; the parent goes to EPSILON


@dataclass(frozen=True, slots=True)
class Facts:
    """What a guardian may look at: the unit's current attributes and reserved metadata,
    the interaction it waits in or is routed to, its children's statuses, the time."""

    uow: Any
    attributes: Mapping[str, Any]
    interaction: InteractionNode
    now: datetime
    children: Sequence[UowStatus] = ()

    def variables(self) -> dict[str, Any]:
        """Attributes and reserved metadata; the metadata wins a clash of names."""
        return {
            **self.attributes,
            "uow_id": str(self.uow.uow_id),
            "status": self.uow.status.value,
            "parent_id": str(self.uow.parent_id) if self.uow.parent_id else None,
            "child_count": self.uow.child_count,
            "finished_child_count": self.uow.finished_child_count,
            "retry_count": self.uow.retry_count,
        }


@dataclass(frozen=True, slots=True)
class Decision:
    guardian: GuardianNode
    outcome: Outcome
    reason: str
    names: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return self.outcome == Outcome.PASS


def judge(guardian: GuardianNode, facts: Facts, *, inbound: bool) -> Decision:
    """The guardian's verdict; CERBERUS only gates inbound (it passes on the way out)."""
    return _judge(guardian.type, guardian.config, guardian, facts, inbound)


def judge_all(
    guardians: Sequence[GuardianNode], facts: Facts, *, inbound: bool
) -> tuple[Decision, ...]:
    """Guardians in order until the first that does not pass (its verdict stands)."""
    decisions = []
    for guardian in guardians:
        decision = judge(guardian, facts, inbound=inbound)
        decisions.append(decision)
        if not decision.passed:
            break
    return tuple(decisions)


def _judge(kind: Any, config: Any, guardian: GuardianNode, facts: Facts, inbound: bool) -> Decision:
    config = config if isinstance(config, Mapping) else {}
    if kind in (GuardianType.PASS_THRU, GuardianType.PASS_THRU.value):
        return Decision(guardian, Outcome.PASS, "pass-through")
    if kind in (GuardianType.CRITERIA_GATE, GuardianType.CRITERIA_GATE.value):
        return _policy(guardian, config, facts, ("criteria", "interaction_policy"))
    if kind in (GuardianType.DIRECTIONAL_FILTER, GuardianType.DIRECTIONAL_FILTER.value):
        return _policy(guardian, config, facts, ("interaction_policy", "criteria"))
    if kind in (GuardianType.TTL_CHECK, GuardianType.TTL_CHECK.value):
        return _ttl(guardian, config, facts)
    if kind in (GuardianType.CERBERUS, GuardianType.CERBERUS.value):
        if not inbound:
            return Decision(guardian, Outcome.PASS, "CERBERUS gates inbound work only")
        return _cerberus(guardian, facts)
    if kind in (GuardianType.COMPOSITE, GuardianType.COMPOSITE.value):
        return _composite(guardian, config, facts, inbound)
    return Decision(guardian, Outcome.FAIL, f"unknown guardian type {kind!r}")


def _policy(
    guardian: GuardianNode, config: Mapping[str, Any], facts: Facts, keys: tuple[str, str]
) -> Decision:
    source = next((config[k] for k in keys if config.get(k) is not None), None)
    if source is None:
        return Decision(guardian, Outcome.PASS, "no policy: passes")
    try:
        policy = compiled(source) if isinstance(source, str) else None
    except PolicyError as error:
        return Decision(guardian, Outcome.FAIL, f"policy does not parse: {error}")
    if policy is None:
        return Decision(guardian, Outcome.FAIL, "policy is not a string")
    verdict = policy.judge(facts.variables())
    outcome = Outcome.PASS if verdict.passed else Outcome.FAIL
    return Decision(guardian, outcome, verdict.reason, tuple(sorted(policy.names)))


def _ttl(guardian: GuardianNode, config: Mapping[str, Any], facts: Facts) -> Decision:
    """Refuses a token that has waited longer than the limit: the guardian's own
    `max_age_seconds`, else the interaction's `stale_token_limit_seconds`."""
    limit = config.get("max_age_seconds", facts.interaction.stale_token_limit_seconds)
    if not isinstance(limit, int | float) or isinstance(limit, bool):
        return Decision(guardian, Outcome.PASS, "no age limit")
    age = (facts.now - facts.uow.updated_at).total_seconds()
    names = ("age_seconds",)
    if age > limit:
        return Decision(
            guardian, Outcome.FAIL, f"stale: waited {age:.0f} s, limit {limit} s", names
        )
    return Decision(guardian, Outcome.PASS, f"fresh: waited {age:.0f} s of {limit} s", names)


def _cerberus(guardian: GuardianNode, facts: Facts) -> Decision:
    """The base unit may go on once every child is back and COMPLETED; one FAILED child
    sends it to the EPSILON role instead."""
    names = ("child_count", "finished_child_count")
    failed = sum(1 for s in facts.children if s == UowStatus.FAILED)
    if failed:
        return Decision(guardian, Outcome.ESCALATE, f"{failed} child(ren) FAILED", names)
    open_ = sum(1 for s in facts.children if s not in (UowStatus.COMPLETED, UowStatus.ARCHIVED))
    if open_:
        total = len(facts.children)
        return Decision(guardian, Outcome.WAIT, f"{open_} of {total} children not back", names)
    return Decision(guardian, Outcome.PASS, f"all {len(facts.children)} children COMPLETED", names)


def _composite(
    guardian: GuardianNode, config: Mapping[str, Any], facts: Facts, inbound: bool
) -> Decision:
    members = config.get("guardians")
    if not isinstance(members, list) or not members:
        return Decision(guardian, Outcome.FAIL, "COMPOSITE without a list of guardians")
    names: list[str] = []
    for n, member in enumerate(members):
        if not isinstance(member, Mapping):
            return Decision(guardian, Outcome.FAIL, f"guardians[{n}] is not a mapping")
        kind = member.get("type")
        decision = _judge(kind, member.get("config", member), guardian, facts, inbound)
        names.extend(decision.names)
        if not decision.passed:
            label = member.get("name") or f"guardians[{n}] ({kind})"
            return Decision(guardian, decision.outcome, f"{label}: {decision.reason}", tuple(names))
    return Decision(guardian, Outcome.PASS, f"all {len(members)} guardians pass", tuple(names))
