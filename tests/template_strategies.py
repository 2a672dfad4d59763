"""Hypothesis strategies for valid templates: graphs that satisfy R1-R12 by construction,
with names, descriptions and JSON values drawn from the whole storable range (quotes,
backslashes, line breaks, any Unicode but NUL and lone surrogates), and families of
templates in which later ones delegate to earlier ones (child workflows).

Validity is built in, not filtered for: every rule has a construction step below, and
`validate_template` is asserted on each example by the tests that use these.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import strategies as st

from storage.enums import ComponentDirection, DecompositionStrategy, GuardianType, RoleType
from storage.templates.rules import POLICY_KEYS
from storage.templates.specs import (
    ComponentSpec,
    GuardianSpec,
    InteractionSpec,
    RoleSpec,
    TemplateSpec,
)
from storage.values import INT32_MAX

IN, OUT = ComponentDirection.INBOUND, ComponentDirection.OUTBOUND
STORABLE = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
TRICKY = st.sampled_from(
    ['"', "'", "\\", "\n", "\x85", "\u2028", "#", ":", ";", "|", "<b>", "&amp;", "`", " ", "é😀"]
)
# Each example draws a few text atoms and builds every name, description and JSON string
# from them: every storable character is still reachable, and an example costs a few
# hundred draws instead of thousands (a thousand examples must stay quick).
ATOM = st.one_of(
    st.text(STORABLE, min_size=1, max_size=6),
    st.tuples(TRICKY, st.text(STORABLE, max_size=2)).map("".join),
)
NUMBER = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
)
POLICIES = st.sampled_from(
    [
        "amount > 1000",
        "not flagged",
        "amount <= 500 and not flagged",
        "retry_count < 3",
        "score >= 0 or child_count == finished_child_count",
    ]
)
MAYBE_LIMIT = st.one_of(st.none(), st.integers(1, INT32_MAX))
STRATEGIES = st.sampled_from(DecompositionStrategy)
GUARDIAN_TYPES = st.sampled_from(GuardianType)
SINGLETONS = (RoleType.ALPHA, RoleType.OMEGA, RoleType.EPSILON, RoleType.TAU)


KEY = ATOM.filter(lambda key: key not in POLICY_KEYS)
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), NUMBER, ATOM),
    lambda inner: st.one_of(st.lists(inner, max_size=2), st.dictionaries(KEY, inner, max_size=2)),
    max_leaves=3,
)
CONFIG = st.dictionaries(KEY, JSON, max_size=2)
# Mostly absent, as in real templates.
AI_CONTEXT = st.one_of(st.none(), st.none(), st.none(), ATOM, CONFIG)


class _Texts:
    """The example's text atoms, and unique names and descriptions made of them.

    Strategies are built once (module level, or per atom tuple, which Hypothesis caches):
    building one per draw costs more than the draw."""

    def __init__(self, draw: st.DrawFn, atoms: list[str]) -> None:
        self.draw = draw
        self.atoms = st.sampled_from(tuple(atoms))
        self.descriptions = st.one_of(st.none(), st.none(), st.just(""), self.atoms)

    def names(self, count: int) -> list[str]:
        used: set[str] = set()
        return [self.name(used) for _ in range(count)]

    def name(self, used: set[str]) -> str:
        """A name with something besides white space, not in `used` (then added to it)."""
        name = self.draw(self.atoms)
        while name in used or not name.strip():
            name += str(len(used))
        used.add(name)
        return name

    def description(self) -> str | None:
        return self.draw(self.descriptions)

    def ai_context(self) -> Any:
        return self.draw(AI_CONTEXT)

    def config(self, guardian_type: GuardianType, policy: bool) -> dict[str, Any]:
        config: dict[str, Any] = self.draw(CONFIG)
        if policy:
            config["interaction_policy"] = self.draw(POLICIES)
        elif guardian_type is GuardianType.CRITERIA_GATE and self.draw(st.booleans()):
            config["criteria"] = self.draw(POLICIES)
        return config


@st.composite
def template_specs(
    draw: st.DrawFn, name: str, children: tuple[tuple[str, int], ...] = ()
) -> TemplateSpec:
    """A valid template called `name`; its roles may delegate to `children` (name and
    version of templates stored before it), by version or by "the newest"."""
    texts = _Texts(draw, draw(st.lists(ATOM, min_size=1, max_size=5)))
    betas = draw(st.integers(0, 2))
    role_names = texts.names(4 + betas)
    interaction_names = texts.names(draw(st.integers(1, 4)))
    used: set[str] = set()  # component and guardian names

    types = [*SINGLETONS, *[RoleType.BETA] * betas]
    roles = []
    for role_name, role_type in zip(role_names, types, strict=True):
        child = draw(st.one_of(st.none(), st.sampled_from(tuple(children)))) if children else None
        roles.append(
            RoleSpec(
                name=role_name,
                role_type=role_type,
                strategy=draw(STRATEGIES) if role_type is RoleType.BETA else None,
                description=texts.description(),
                ai_context=texts.ai_context(),
                child_workflow=None if child is None else child[0],
                child_workflow_version=None
                if child is None
                else draw(st.sampled_from((None, child[1]))),
            )
        )
    by_type = {role.role_type: role.name for role in roles if role.role_type in SINGLETONS}
    # (role, interaction, direction): R10's two, then one producer and one consumer per
    # interaction (R7), then a few more anywhere.
    links = [
        (by_type[RoleType.ALPHA], draw(st.sampled_from(tuple(interaction_names))), OUT),
        (by_type[RoleType.OMEGA], draw(st.sampled_from(tuple(interaction_names))), IN),
    ]
    for interaction in interaction_names:
        links.append((draw(st.sampled_from(tuple(role_names))), interaction, OUT))
        links.append((draw(st.sampled_from(tuple(role_names))), interaction, IN))
    links += draw(
        st.lists(
            st.tuples(
                st.sampled_from(tuple(role_names)),
                st.sampled_from(tuple(interaction_names)),
                st.sampled_from(ComponentDirection),
            ),
            max_size=3,
        )
    )
    role_type_of = {role.name: role.role_type for role in roles}
    routed: set[str] = set()  # BETA roles whose first OUTBOUND component has a policy (R12)
    beta_outbound = {
        name: sum(1 for r, _, d in links if r == name and d is OUT)
        for name, kind in role_type_of.items()
        if kind is RoleType.BETA
    }
    components = []
    for role_name, interaction, direction in links:
        role_type = role_type_of[role_name]
        needs_policy = (
            direction is OUT and beta_outbound.get(role_name, 0) > 1 and role_name not in routed
        )
        count = draw(st.integers(0, 1))
        if direction is IN and role_type in (RoleType.OMEGA, RoleType.EPSILON):
            count = max(count, 1)  # R8, R9
        if needs_policy:
            count = max(count, 1)
            routed.add(role_name)
        guardians = []
        for index in range(count):
            kind = draw(GUARDIAN_TYPES)
            if index == 0 and direction is IN and role_type is RoleType.OMEGA:
                kind = GuardianType.CERBERUS  # R9
            guardians.append(
                GuardianSpec(
                    name=texts.name(used),
                    type=kind,
                    description=texts.description(),
                    ai_context=texts.ai_context(),
                    config=texts.config(kind, policy=index == 0 and needs_policy),
                )
            )
        components.append(
            ComponentSpec(
                name=texts.name(used),
                role=role_name,
                interaction=interaction,
                direction=direction,
                description=texts.description(),
                ai_context=texts.ai_context(),
                guardians=tuple(guardians),
            )
        )
    interactions = [
        InteractionSpec(
            name=name,
            description=texts.description(),
            ai_context=texts.ai_context(),
            stale_token_limit_seconds=draw(MAYBE_LIMIT),
        )
        for name in interaction_names
    ]
    return TemplateSpec(
        name=name,
        version=draw(MAYBE_LIMIT),
        description=texts.description(),
        ai_context=texts.ai_context(),
        roles=tuple(draw(st.permutations(roles))),
        interactions=tuple(draw(st.permutations(interactions))),
        components=tuple(draw(st.permutations(components))),
    )


@st.composite
def families(draw: st.DrawFn) -> list[TemplateSpec]:
    """One or two templates; the second may delegate to the first. Import them in order
    (after `with_prefix`, to keep examples apart in one database)."""
    names = _Texts(draw, draw(st.lists(ATOM, min_size=1, max_size=2))).names(
        draw(st.integers(1, 2))
    )
    specs: list[TemplateSpec] = []
    stored: list[tuple[str, int]] = []
    for name in names:
        spec = draw(template_specs(name, tuple(stored)))
        specs.append(spec)
        stored.append((spec.name, spec.version or 1))
    return specs


def with_prefix(specs: list[TemplateSpec], prefix: str) -> list[TemplateSpec]:
    """The family with `prefix` before every template name and child reference."""
    return [
        replace(
            spec,
            name=prefix + spec.name,
            roles=tuple(
                role
                if role.child_workflow is None
                else replace(role, child_workflow=prefix + role.child_workflow)
                for role in spec.roles
            ),
        )
        for spec in specs
    ]
