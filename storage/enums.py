"""Enumerations of the domain (SPEC 4.1), stored as portable strings with CHECK constraints."""

from __future__ import annotations

import enum


class RoleType(enum.Enum):
    ALPHA = "ALPHA"
    BETA = "BETA"
    OMEGA = "OMEGA"
    EPSILON = "EPSILON"
    TAU = "TAU"


class DecompositionStrategy(enum.Enum):
    HOMOGENEOUS = "HOMOGENEOUS"
    HETEROGENEOUS = "HETEROGENEOUS"


class ComponentDirection(enum.Enum):
    INBOUND = "INBOUND"
    OUTBOUND = "OUTBOUND"


class GuardianType(enum.Enum):
    CERBERUS = "CERBERUS"
    PASS_THRU = "PASS_THRU"
    CRITERIA_GATE = "CRITERIA_GATE"
    DIRECTIONAL_FILTER = "DIRECTIONAL_FILTER"
    TTL_CHECK = "TTL_CHECK"
    COMPOSITE = "COMPOSITE"


class InstanceStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    ARCHIVED = "ARCHIVED"


class ActorType(enum.Enum):
    HUMAN = "HUMAN"
    AI_AGENT = "AI_AGENT"
    SYSTEM = "SYSTEM"


class AssignmentStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    REVOKED = "REVOKED"


class LogType(enum.Enum):
    INTERACTION = "INTERACTION"
    TELEMETRY = "TELEMETRY"
    ERROR = "ERROR"
    GUARDIAN_DECISION = "GUARDIAN_DECISION"
    STATE_TRANSITION = "STATE_TRANSITION"


class UowStatus(enum.Enum):
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    PENDING_PILOT_APPROVAL = "PENDING_PILOT_APPROVAL"
    ZOMBIED_SOFT = "ZOMBIED_SOFT"
    ZOMBIED_DEAD = "ZOMBIED_DEAD"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    PAUSED = "PAUSED"
    FAILED_SECURITY_BREACH = "FAILED_SECURITY_BREACH"
    ARCHIVED = "ARCHIVED"


class MemoryScope(enum.Enum):
    """Whether a role memory entry is shared by the role (GLOBAL) or one actor's (PERSONAL)."""

    GLOBAL = "GLOBAL"
    PERSONAL = "PERSONAL"


class RouteKind(enum.Enum):
    """How a submit decided where the unit of work goes."""

    ROUTED = "ROUTED"  # an outbound component's guardians passed (or it had none)
    NO_ROUTE = "NO_ROUTE"  # none passed: FAILED at the EPSILON role's inbound interaction
    COMPLETED = "COMPLETED"  # submitted at the OMEGA role
    RETURNED = "RETURNED"  # a child came back to its parent's join: COMPLETED there
    GATEWAY = "GATEWAY"  # handed to the linked child workflow; the unit waits for it
    DECOMPOSED = "DECOMPOSED"  # children routed out, the unit waits at the join
    FAILURE_REPORTED = "FAILURE_REPORTED"  # reportFailure: FAILED at EPSILON's inbound
