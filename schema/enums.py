"""The domain enums, registered with GraphQL once, each value with its meaning.

`strawberry.enum` marks the class it is given and returns that same class, so the schema
uses the enums of `storage.enums` themselves (`schema.enums.UowStatus is
storage.enums.UowStatus`): one class per concept, valid as a type everywhere. They are
registered here rather than where they are defined because `storage` knows nothing of
GraphQL; importing a name from this module guarantees the registration has run.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

import strawberry
from strawberry.types.base import has_strawberry_definition
from strawberry.types.enum import StrawberryEnumDefinition

from storage.enums import (
    ActorType,
    AssignmentStatus,
    ComponentDirection,
    DecompositionStrategy,
    GuardianType,
    InstanceStatus,
    LogType,
    MemoryScope,
    RoleType,
    RouteKind,
    UowStatus,
)
from storage.errors import ErrorCode
from storage.templates.diff import TemplateChangeKind, TemplateElementKind
from storage.templates.graph import GraphFormat

__all__ = [
    "ActorType",
    "AssignmentStatus",
    "ComponentDirection",
    "DecompositionStrategy",
    "ErrorCode",
    "GraphFormat",
    "GuardianType",
    "InstanceStatus",
    "LogType",
    "MemoryScope",
    "RoleType",
    "RouteKind",
    "TemplateChangeKind",
    "TemplateElementKind",
    "Tier",
    "UowStatus",
]


def register(cls: type[enum.Enum], description: str, values: Mapping[str, str]) -> None:
    """Expose `cls` as a GraphQL enum; `values` describes every member, no more, no less."""
    members = {member.name for member in cls}
    if members != set(values):
        raise ValueError(
            f"{cls.__name__}: describe exactly its members; missing "
            f"{sorted(members - set(values))}, unknown {sorted(set(values) - members)}"
        )
    strawberry.enum(cls, description=description)
    definition = cls.__strawberry_definition__ if has_strawberry_definition(cls) else None
    if not isinstance(definition, StrawberryEnumDefinition):
        raise TypeError(f"{cls.__name__} was not registered as an enum")
    for value in definition.values:
        value.description = values[value.name]


class Tier(enum.Enum):
    TEMPLATE = "template"
    INSTANCE = "instance"


register(
    Tier,
    "Which database a schema guide row describes.",
    {
        "TEMPLATE": "The template tier: workflow blueprints.",
        "INSTANCE": "The instance tier: running instances and their units of work.",
    },
)
register(
    RoleType,
    "What a role does in its workflow.",
    {
        "ALPHA": "The origin: creates the base unit of work.",
        "BETA": "A processor; with a strategy it may decompose a unit into children.",
        "OMEGA": "The terminal role: reconciles and completes units of work.",
        "EPSILON": "Error remediation: failed units of work wait at its inbound interaction.",
        "TAU": "Timeouts: deals with stale tokens and silent holders.",
    },
)
register(
    DecompositionStrategy,
    "How a BETA role splits a unit of work into children.",
    {
        "HOMOGENEOUS": "Every child is the same kind of work.",
        "HETEROGENEOUS": "Children are different kinds of work.",
    },
)
register(
    ComponentDirection,
    "Which way work flows through a component.",
    {
        "INBOUND": "From the interaction to the role: where the role takes work.",
        "OUTBOUND": "From the role to the interaction: where the role hands work on.",
    },
)
register(
    GuardianType,
    "What a guardian checks on its component.",
    {
        "CERBERUS": "Synchronises a parent with its children: passes when every child is back, "
        "all COMPLETED.",
        "PASS_THRU": "Lets everything through.",
        "CRITERIA_GATE": "Lets through the units of work whose attributes meet its policy.",
        "DIRECTIONAL_FILTER": "Routes: the outbound component whose policy matches is taken.",
        "TTL_CHECK": "Refuses a unit of work that has waited longer than its age limit.",
        "COMPOSITE": "Passes when every guardian listed in its config passes.",
    },
)
register(
    InstanceStatus,
    "Whether an instance accepts work.",
    {
        "ACTIVE": "Running: units of work may start and move.",
        "PAUSED": "Halted: no unit of work moves until it is resumed.",
        "ARCHIVED": "Finished and kept for the record; never deleted.",
    },
)
register(
    ActorType,
    "What kind of actor acts.",
    {
        "HUMAN": "A person.",
        "AI_AGENT": "An AI agent.",
        "SYSTEM": "Another system or the engine itself.",
    },
)
register(
    AssignmentStatus,
    "Whether an actor may still act in a role.",
    {
        "ACTIVE": "The actor may act in the role.",
        "REVOKED": "No longer; the assignment is kept for the record.",
    },
)
register(
    LogType,
    "The kind of an interaction log entry.",
    {
        "INTERACTION": "Something an actor did with a unit of work.",
        "TELEMETRY": "A measurement or progress note.",
        "ERROR": "A failure, with its error metadata.",
        "GUARDIAN_DECISION": "A guardian's verdict on a unit of work, with its reason.",
        "STATE_TRANSITION": "A committed change of a unit of work's status or location.",
    },
)
register(
    UowStatus,
    "Where a unit of work stands in its lifecycle.",
    {
        "PENDING": "Waiting in an interaction for a role to take it.",
        "ACTIVE": "Held by an actor who is working on it.",
        "PENDING_PILOT_APPROVAL": "Waiting for a pilot to approve (ACTIVE) or reject (FAILED).",
        "ZOMBIED_SOFT": "Its holder went silent; it may be retried.",
        "ZOMBIED_DEAD": "Its holder stayed silent; it can only fail or be archived.",
        "COMPLETED": "Done.",
        "FAILED": "Gave up or was refused; EPSILON may pick it up for remediation.",
        "PAUSED": "Halted; resumes to the status it had before the pause.",
        "FAILED_SECURITY_BREACH": "Its attributes no longer match its state hash.",
        "ARCHIVED": "Kept for the record; never moves again.",
    },
)
register(
    MemoryScope,
    "Who a role memory entry belongs to.",
    {
        "GLOBAL": "The role's blueprint, shared by all its actors.",
        "PERSONAL": "One actor's playbook.",
    },
)
register(
    RouteKind,
    "How a submit decided where the unit of work goes.",
    {
        "ROUTED": "An outbound component's guardians passed (or it had none).",
        "NO_ROUTE": "None passed: FAILED at the EPSILON role's inbound interaction.",
        "COMPLETED": "Submitted at the OMEGA role.",
        "RETURNED": "A child came back to its parent's join: COMPLETED there.",
        "GATEWAY": "Handed to the linked child workflow; the unit waits for it.",
        "DECOMPOSED": "Children routed out; the unit waits at the join.",
        "FAILURE_REPORTED": "reportFailure: FAILED at EPSILON's inbound interaction.",
    },
)
register(
    ErrorCode,
    "Why a mutation was refused.",
    {
        "NOT_FOUND": "A row the input names does not exist.",
        "VALIDATION_FAILED": "The input is malformed (a bad id, a value of the wrong shape).",
        "RULE_VIOLATION": "A template or instance breaks a structural rule (see `rule`).",
        "INVALID_TRANSITION": "The lifecycle does not allow this move.",
        "STALE_STATE": "The unit of work changed since it was read (version or hash).",
        "INSTANCE_NOT_ACTIVE": "The instance is paused or archived.",
        "CONFLICT": "Clashes with existing data (a name or key that must be unique, a version "
        "stored with other content, a retired or still referenced template).",
        "FORBIDDEN": "The actor may not do this (not assigned, not the holder, other instance).",
        "BACKPRESSURE": "The telemetry buffer is full; try again later.",
    },
)
register(
    GraphFormat,
    "A text format for drawing a workflow.",
    {
        "DOT": "Graphviz DOT (render with `dot -Tsvg`).",
        "MERMAID": "A Mermaid flowchart (rendered by GitHub in a ```mermaid block).",
    },
)
register(
    TemplateElementKind,
    "What part of a template a change is about.",
    {
        "WORKFLOW": "The template itself (its name, description, AI context).",
        "ROLE": "A role.",
        "INTERACTION": "An interaction (queue).",
        "COMPONENT": "A component (role-interaction link), its guardians aside.",
        "GUARDIAN": "A guardian (its `component` field says which component it watches).",
    },
)
register(
    TemplateChangeKind,
    "How an element differs between two templates.",
    {
        "ADDED": "Only in the second template.",
        "REMOVED": "Only in the first template.",
        "CHANGED": "In both, with different fields.",
    },
)
