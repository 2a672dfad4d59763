"""The structural rules R1-R12 of a template (SPEC 4.2), checked all at once.

Each problem names its rule and the offending element, so a document with five mistakes
gets five answers in one round trip.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from storage.enums import ComponentDirection, GuardianType, RoleType
from storage.errors import DomainError, ErrorCode, Problem
from storage.policy import PolicyError, parse_policy
from storage.template_document import ComponentSpec, TemplateSpec, parse_template_yaml

POLICY_KEYS = ("interaction_policy", "criteria")
_SINGLETONS = (
    ("R1", RoleType.ALPHA),
    ("R2", RoleType.OMEGA),
    ("R3", RoleType.EPSILON),
    ("R4", RoleType.TAU),
)


def _rule(rule: str, message: str, *path: str) -> Problem:
    return Problem(ErrorCode.RULE_VIOLATION, message, ("workflow", *path), rule)


def _invalid(message: str, *path: str) -> Problem:
    return Problem(ErrorCode.VALIDATION_FAILED, message, ("workflow", *path))


def _duplicates(kind: str, section: str, names: Iterable[str]) -> list[Problem]:
    return [
        _invalid(f"{kind} name {name!r} is used {count} times; names must be unique", section, name)
        for name, count in Counter(names).items()
        if count > 1
    ]


def validate_template(spec: TemplateSpec) -> list[Problem]:
    """Every rule violation of `spec` (empty when it is a valid template)."""
    problems: list[Problem] = []
    problems += _duplicates("role", "roles", (r.name for r in spec.roles))
    problems += _duplicates("interaction", "interactions", (i.name for i in spec.interactions))
    problems += _duplicates("component", "components", (c.name for c in spec.components))
    problems += _duplicates(
        "guardian", "guardians", (g.name for c in spec.components for g in c.guardians)
    )
    roles = {role.name: role for role in spec.roles}
    interactions = {interaction.name for interaction in spec.interactions}

    for rule, role_type in _SINGLETONS:
        named = [r.name for r in spec.roles if r.role_type == role_type]
        if not named:
            problems.append(
                _rule(
                    rule, f"exactly one {role_type.value} role is required; there is none", "roles"
                )
            )
        elif len(named) > 1:
            problems.append(
                _rule(
                    rule,
                    f"exactly one {role_type.value} role is allowed; found "
                    f"{len(named)}: {', '.join(named)}",
                    "roles",
                )
            )

    for role in spec.roles:
        if role.role_type == RoleType.BETA and role.strategy is None:
            problems.append(
                _rule(
                    "R5",
                    f"BETA role {role.name!r} needs a strategy (HOMOGENEOUS or HETEROGENEOUS)",
                    "roles",
                    role.name,
                )
            )
        if role.role_type != RoleType.BETA and role.strategy is not None:
            problems.append(
                _invalid(
                    f"role {role.name!r}: only BETA roles take a strategy",
                    "roles",
                    role.name,
                    "strategy",
                )
            )
        if role.child_workflow is not None and role.child_workflow == spec.name:
            problems.append(
                _rule(
                    "cycle",
                    f"role {role.name!r} delegates to its own workflow {spec.name!r}",
                    "roles",
                    role.name,
                )
            )

    for interaction in spec.interactions:
        limit = interaction.stale_token_limit_seconds
        if limit is not None and limit <= 0:
            problems.append(
                _invalid(
                    f"interaction {interaction.name!r}: stale_token_limit_seconds must be positive",
                    "interactions",
                    interaction.name,
                )
            )

    for component in spec.components:
        problems += _component_problems(component, roles, interactions)

    def linked(role_type: RoleType, direction: ComponentDirection) -> list[ComponentSpec]:
        names = {r.name for r in spec.roles if r.role_type == role_type}
        return [c for c in spec.components if c.role in names and c.direction == direction]

    for interaction_name in sorted(interactions):
        directions = {c.direction for c in spec.components if c.interaction == interaction_name}
        for direction, what in (
            (ComponentDirection.OUTBOUND, "producer (OUTBOUND component)"),
            (ComponentDirection.INBOUND, "consumer (INBOUND component)"),
        ):
            if direction not in directions:
                problems.append(
                    _rule(
                        "R7",
                        f"interaction {interaction_name!r} has no {what}",
                        "interactions",
                        interaction_name,
                    )
                )

    for component in linked(RoleType.EPSILON, ComponentDirection.INBOUND):
        if not component.guardians:
            problems.append(
                _rule(
                    "R8",
                    f"component {component.name!r} leads into the EPSILON "
                    "role and needs a guardian",
                    "components",
                    component.name,
                )
            )
    for component in linked(RoleType.OMEGA, ComponentDirection.INBOUND):
        if not any(g.type == GuardianType.CERBERUS for g in component.guardians):
            problems.append(
                _rule(
                    "R9",
                    f"component {component.name!r} leads into the OMEGA role "
                    "and needs a CERBERUS guardian",
                    "components",
                    component.name,
                )
            )
    for role_type, direction, rule_text in (
        (RoleType.ALPHA, ComponentDirection.OUTBOUND, "at least one OUTBOUND component"),
        (RoleType.OMEGA, ComponentDirection.INBOUND, "at least one INBOUND component"),
    ):
        for role in (r for r in spec.roles if r.role_type == role_type):
            if not any(c.role == role.name and c.direction == direction for c in spec.components):
                problems.append(
                    _rule(
                        "R10",
                        f"{role_type.value} role {role.name!r} needs {rule_text}",
                        "roles",
                        role.name,
                    )
                )

    for role in (r for r in spec.roles if r.role_type == RoleType.BETA):
        outbound = [
            c
            for c in spec.components
            if c.role == role.name and c.direction == ComponentDirection.OUTBOUND
        ]
        has_policy = any("interaction_policy" in g.config for c in outbound for g in c.guardians)
        if len(outbound) > 1 and not has_policy:
            problems.append(
                _rule(
                    "R12",
                    f"BETA role {role.name!r} has {len(outbound)} OUTBOUND "
                    "components; at least one needs an interaction_policy",
                    "roles",
                    role.name,
                )
            )
    return problems


def _component_problems(
    component: ComponentSpec, roles: Mapping[str, object], interactions: set[str]
) -> list[Problem]:
    problems = []
    at = ("components", component.name)
    if component.role not in roles:
        problems.append(
            _rule(
                "R6",
                f"component {component.name!r}: no role named {component.role!r} in this workflow",
                *at,
                "role",
            )
        )
    if component.interaction not in interactions:
        problems.append(
            _rule(
                "R6",
                f"component {component.name!r}: no interaction named "
                f"{component.interaction!r} in this workflow",
                *at,
                "interaction",
            )
        )
    for guardian in component.guardians:
        for key in POLICY_KEYS:
            if key not in guardian.config:
                continue
            where = (*at, "guardians", guardian.name, key)
            source = guardian.config[key]
            if not isinstance(source, str):
                problems.append(
                    _rule(
                        "R11",
                        f"guardian {guardian.name!r}: {key} must be an expression string",
                        *where,
                    )
                )
                continue
            try:
                parse_policy(source)
            except PolicyError as error:
                problems.append(
                    _rule("R11", f"guardian {guardian.name!r}: {key} {source!r}: {error}", *where)
                )
    return problems


def load_template(text: str) -> TemplateSpec:
    """Parse and validate a document; raises DomainError with every problem found."""
    spec = parse_template_yaml(text)
    problems = validate_template(spec)
    if problems:
        raise DomainError(problems)
    return spec
