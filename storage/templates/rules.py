"""The structural rules R1-R12 of a template (SPEC 4.2), checked all at once.

Each problem names its rule and the offending element, so a document with five mistakes gets
five answers in one round trip. The checks never assume the spec is well typed: a spec built
from typed GraphQL input gets the same field checks as a parsed document, and a broken field
yields a problem, never an exception.
"""

from __future__ import annotations

import enum
import math
from collections import Counter, deque
from collections.abc import Iterator, Mapping
from typing import Any

from storage.engine.policy import FORBIDDEN_NAMES, PolicyError, parse_policy
from storage.enums import ComponentDirection, DecompositionStrategy, GuardianType, RoleType
from storage.errors import ErrorCode, Problem
from storage.models import (
    TemplateComponentRow,
    TemplateGuardianRow,
    TemplateInteractionRow,
    TemplateRoleRow,
    TemplateWorkflowRow,
)
from storage.templates.specs import (
    ComponentSpec,
    GuardianSpec,
    InteractionSpec,
    RoleSpec,
    TemplateSpec,
)
from storage.values import INT32_MAX, column_length, path_part, text_problem

POLICY_KEYS = ("interaction_policy", "criteria")
MAX_JSON_VALUES = 100_000
_SINGLETONS = (
    ("R1", RoleType.ALPHA),
    ("R2", RoleType.OMEGA),
    ("R3", RoleType.EPSILON),
    ("R4", RoleType.TAU),
)
_IN, _OUT = ComponentDirection.INBOUND, ComponentDirection.OUTBOUND
# The name column of each element's table; its instance copy has a column of the same length.
_NAME_LENGTHS: dict[type, int] = {
    TemplateSpec: column_length(TemplateWorkflowRow.name),
    RoleSpec: column_length(TemplateRoleRow.name),
    InteractionSpec: column_length(TemplateInteractionRow.name),
    ComponentSpec: column_length(TemplateComponentRow.name),
    GuardianSpec: column_length(TemplateGuardianRow.name),
}


def _rule(rule: str, message: str, *path: str) -> Problem:
    return Problem(ErrorCode.RULE_VIOLATION, message, ("workflow", *path), rule)


def _invalid(message: str, *path: str) -> Problem:
    return Problem(ErrorCode.VALIDATION_FAILED, message, ("workflow", *path))


def _name(value: object) -> str:
    """An element's name as used in messages, paths and lookups, whatever was given."""
    return path_part(value) if isinstance(value, str) else repr(value)


def _positive(value: object) -> bool:
    """A whole number from 1 that fits the 32-bit INTEGER columns of PostgreSQL."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= INT32_MAX


def _json_problem(value: object) -> str | None:
    """Why `value` cannot be stored as JSON, if it cannot (iterative, bounded)."""
    stack, seen = [value], 0
    while stack:
        item = stack.pop()
        seen += 1
        if seen > MAX_JSON_VALUES:
            return f"holds more than {MAX_JSON_VALUES} values"
        if isinstance(item, Mapping):
            if not all(isinstance(key, str) for key in item):
                return "has a key that is not a string"
            if any(why := text_problem(key) for key in item):
                return f"has a key that is not stored: {why}"
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, str) and (why := text_problem(item)):
            return f"holds a string that is not stored: {why}"
        elif isinstance(item, float) and not math.isfinite(item):
            return "holds a number JSON cannot represent (inf or nan)"
        elif item is not None and not isinstance(item, str | int | float):
            return f"holds a {type(item).__name__} value, which JSON cannot represent"
    return None


def _fields(what: str, element: Any, at: tuple[str, ...], problems: list[Problem]) -> None:
    """Name, description and ai_context of any element, as its columns store them."""
    name = element.name
    if not isinstance(name, str) or not name.strip():
        problems.append(_invalid(f"{what}: name must be a non-empty string", *at, "name"))
    elif why := text_problem(name, _NAME_LENGTHS[type(element)]):
        problems.append(_invalid(f"{what}: name: {why}", *at, "name"))
    description = element.description
    if description is not None and not isinstance(description, str):
        problems.append(_invalid(f"{what}: description must be a string", *at, "description"))
    elif description is not None and (why := text_problem(description)):
        problems.append(_invalid(f"{what}: description: {why}", *at, "description"))
    context = element.ai_context
    if context is not None:
        if isinstance(context, str):
            why = text_problem(context)
        elif isinstance(context, Mapping):
            why = _json_problem(context)
        else:
            why = "must be a string or a mapping"
        if why:
            problems.append(_invalid(f"{what}: ai_context {why}", *at, "ai_context"))


def _enum(
    what: str, key: str, value: object, enum_cls: type[enum.Enum], at: tuple[str, ...]
) -> Problem:
    allowed = ", ".join(member.value for member in enum_cls)
    shown = value.value if isinstance(value, enum.Enum) else value
    return _invalid(f"{what}: unknown {key} {shown!r} (allowed: {allowed})", *at, key)


def _field_problems(spec: TemplateSpec) -> list[Problem]:
    """The checks a typed input needs that parsing a document already made."""
    problems: list[Problem] = []
    _fields("workflow", spec, (), problems)
    if spec.version is not None and not _positive(spec.version):
        problems.append(
            _invalid(f"workflow: version must be a whole number from 1 to {INT32_MAX}", "version")
        )
    for role in spec.roles:
        what, at = f"role {_name(role.name)!r}", ("roles", _name(role.name))
        _fields(what, role, at, problems)
        if not isinstance(role.role_type, RoleType):
            problems.append(_enum(what, "role_type", role.role_type, RoleType, at))
        strategy = role.strategy
        if strategy is not None and not isinstance(strategy, DecompositionStrategy):
            problems.append(_enum(what, "strategy", strategy, DecompositionStrategy, at))
        child, version = role.child_workflow, role.child_workflow_version
        if child is not None and (
            not isinstance(child, str)
            or not child.strip()
            or text_problem(child, _NAME_LENGTHS[TemplateSpec])
        ):
            problems.append(
                _invalid(f"{what}: child_workflow must be a template name", *at, "child_workflow")
            )
        if version is not None and (child is None or not _positive(version)):
            problems.append(
                _invalid(
                    f"{what}: child_workflow_version must be a whole number from 1 to {INT32_MAX} "
                    "and needs a child_workflow",
                    *at,
                    "child_workflow_version",
                )
            )
    for interaction in spec.interactions:
        name = _name(interaction.name)
        what, at = f"interaction {name!r}", ("interactions", name)
        _fields(what, interaction, at, problems)
        limit = interaction.stale_token_limit_seconds
        if limit is not None and not _positive(limit):
            problems.append(
                _invalid(
                    f"{what}: stale_token_limit_seconds must be a whole number "
                    f"from 1 to {INT32_MAX}",
                    *at,
                    "stale_token_limit_seconds",
                )
            )
    for component in spec.components:
        what, at = f"component {_name(component.name)!r}", ("components", _name(component.name))
        _fields(what, component, at, problems)
        for key in ("role", "interaction"):
            if not isinstance(getattr(component, key), str):
                problems.append(_invalid(f"{what}: {key} must be a name", *at, key))
        for guardian in component.guardians:
            g_what = f"guardian {_name(guardian.name)!r}"
            g_at = (*at, "guardians", _name(guardian.name))
            _fields(g_what, guardian, g_at, problems)
            if not isinstance(guardian.type, GuardianType):
                problems.append(_enum(g_what, "type", guardian.type, GuardianType, g_at))
            why = "must be a mapping" if not isinstance(guardian.config, Mapping) else None
            if why := why or _json_problem(guardian.config):
                problems.append(_invalid(f"{g_what}: config {why}", *g_at, "config"))
    return problems


def _duplicates(spec: TemplateSpec) -> list[Problem]:
    problems = []
    sections = (("role", "roles", spec.roles), ("interaction", "interactions", spec.interactions))
    for kind, section, elements in (*sections, ("component", "components", spec.components)):
        for name, count in Counter(_name(e.name) for e in elements).items():
            if count > 1:
                problems.append(
                    _invalid(f"{kind} name {name!r} is used {count} times", section, name)
                )
    owners: dict[str, list[str]] = {}
    for component in spec.components:
        for guardian in component.guardians:
            owners.setdefault(_name(guardian.name), []).append(_name(component.name))
    for name, components in owners.items():
        if len(components) > 1:
            problems.append(
                _invalid(
                    f"guardian name {name!r} is used {len(components)} times "
                    f"(components {', '.join(components)}); names must be unique in a workflow",
                    "components",
                    components[-1],
                    "guardians",
                    name,
                )
            )
    return problems


def _policies(config: Mapping[str, Any]) -> Iterator[tuple[tuple[str, ...], object]]:
    """Every interaction_policy / criteria value in a config, nested ones too (COMPOSITE)."""
    queue: deque[tuple[tuple[str, ...], object]] = deque([((), config)])
    while queue:
        at, item = queue.popleft()
        children: list[tuple[str, object]] = []
        if isinstance(item, Mapping):
            children = [(str(key), value) for key, value in item.items()]
        elif isinstance(item, list | tuple):
            children = [(str(index), value) for index, value in enumerate(item)]
        for key, value in children:
            if isinstance(item, Mapping) and key in POLICY_KEYS:
                yield (*at, key), value
            else:
                queue.append(((*at, key), value))


def _policy_problems(component: ComponentSpec) -> list[Problem]:
    problems = []
    for guardian in component.guardians:
        if not isinstance(guardian.config, Mapping) or _json_problem(guardian.config):
            continue
        name = _name(guardian.name)
        for where, source in _policies(guardian.config):
            at = ("components", _name(component.name), "guardians", name, "config", *where)
            key = where[-1]
            if not isinstance(source, str):
                message = f"guardian {name!r}: {key} must be an expression string"
                problems.append(_rule("R11", message, *at))
                continue
            try:
                forbidden = parse_policy(source).names & FORBIDDEN_NAMES
            except PolicyError as error:
                message = f"guardian {name!r}: {key} {source!r}: {error}"
                problems.append(_rule("R11", message, *at))
                continue
            if forbidden:
                message = f"guardian {name!r}: {key} may not use {', '.join(sorted(forbidden))}"
                problems.append(_rule("R11", message, *at))
    return problems


def validate_template(spec: TemplateSpec) -> list[Problem]:
    """Every problem of `spec` (an empty list when it is a valid template)."""
    problems = _field_problems(spec) + _duplicates(spec)
    roles = {_name(role.name): role for role in spec.roles}
    interactions = [_name(interaction.name) for interaction in spec.interactions]
    components = spec.components

    def of(role_type: RoleType) -> list[str]:
        return [_name(r.name) for r in spec.roles if r.role_type == role_type]

    def linked(role: str, direction: ComponentDirection) -> list[ComponentSpec]:
        return [c for c in components if _name(c.role) == role and c.direction == direction]

    for rule, role_type in _SINGLETONS:
        named = of(role_type)
        if len(named) != 1:
            found = f"found {len(named)}: {', '.join(named)}" if named else "there is none"
            message = f"exactly one {role_type.value} role is required; {found}"
            problems.append(_rule(rule, message, "roles"))

    for role in spec.roles:
        name, at = _name(role.name), ("roles", _name(role.name))
        if role.role_type == RoleType.BETA and role.strategy is None:
            message = f"BETA role {name!r} needs a strategy (HOMOGENEOUS or HETEROGENEOUS)"
            problems.append(_rule("R5", message, *at))
        if role.role_type != RoleType.BETA and role.strategy is not None:
            problems.append(_invalid(f"role {name!r}: only BETA roles take a strategy", *at))
        if role.child_workflow == spec.name:  # any version: an instance holds one per name
            message = (
                f"role {name!r} delegates to its own workflow {spec.name!r} (any version of it: "
                "an instance holds one workflow of a name)"
            )
            problems.append(_rule("cycle", message, *at, "child_workflow"))

    for component in components:
        name, at = _name(component.name), ("components", _name(component.name))
        if not isinstance(component.direction, ComponentDirection):
            shown = component.direction
            message = (
                f"component {name!r}: unknown direction {shown!r} (allowed: INBOUND, OUTBOUND)"
            )
            problems.append(_rule("R6", message, *at, "direction"))
        if _name(component.role) not in roles:
            message = f"component {name!r}: no role named {component.role!r} in this workflow"
            problems.append(_rule("R6", message, *at, "role"))
        if _name(component.interaction) not in interactions:
            message = (
                f"component {name!r}: no interaction named {component.interaction!r} "
                "in this workflow"
            )
            problems.append(_rule("R6", message, *at, "interaction"))
        problems += _policy_problems(component)

    for interaction in dict.fromkeys(interactions):
        directions = {c.direction for c in components if _name(c.interaction) == interaction}
        for direction, what in ((_OUT, "producer (OUTBOUND"), (_IN, "consumer (INBOUND")):
            if direction not in directions:
                message = f"interaction {interaction!r} has no {what} component)"
                problems.append(_rule("R7", message, "interactions", interaction))

    for role_name in of(RoleType.EPSILON):
        for component in linked(role_name, _IN):
            if not component.guardians:
                message = (
                    f"component {_name(component.name)!r} leads into the EPSILON role "
                    f"{role_name!r} and needs a guardian"
                )
                problems.append(_rule("R8", message, "components", _name(component.name)))
    for role_name in of(RoleType.OMEGA):
        for component in linked(role_name, _IN):
            if not any(g.type == GuardianType.CERBERUS for g in component.guardians):
                message = (
                    f"component {_name(component.name)!r} leads into the OMEGA role {role_name!r} "
                    "and needs a CERBERUS guardian"
                )
                problems.append(_rule("R9", message, "components", _name(component.name)))
    for role_type, direction in ((RoleType.ALPHA, _OUT), (RoleType.OMEGA, _IN)):
        for role_name in of(role_type):
            if not linked(role_name, direction):
                message = (
                    f"{role_type.value} role {role_name!r} needs at least one "
                    f"{direction.value} component"
                )
                problems.append(_rule("R10", message, "roles", role_name))

    for role_name in of(RoleType.BETA):
        outbound = linked(role_name, _OUT)
        guardians = [g for c in outbound for g in c.guardians if isinstance(g.config, Mapping)]
        if len(outbound) > 1 and not any("interaction_policy" in g.config for g in guardians):
            message = (
                f"BETA role {role_name!r} has {len(outbound)} OUTBOUND components "
                f"({', '.join(_name(c.name) for c in outbound)}); "
                "at least one needs a guardian with an interaction_policy"
            )
            problems.append(_rule("R12", message, "roles", role_name))
    return problems
