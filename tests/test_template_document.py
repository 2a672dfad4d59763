"""Template documents without a database (SPEC 4.2): parsing, field checks and rules R1-R12."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from storage.enums import ComponentDirection, DecompositionStrategy, GuardianType, RoleType
from storage.errors import DomainError, ErrorCode, Problem
from storage.templates.document import (
    MAX_DOCUMENT_BYTES,
    parse_template_yaml,
    template_schema_json,
)
from storage.templates.rules import validate_template
from storage.templates.specs import (
    ComponentSpec,
    GuardianSpec,
    InteractionSpec,
    RoleSpec,
    TemplateSpec,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "shared" / "examples"


def load_template(text: str) -> TemplateSpec:
    """Parse and validate a document as an import does; DomainError with every problem."""
    spec = parse_template_yaml(text)
    problems = validate_template(spec)
    if problems:
        raise DomainError(problems)
    return spec


def loose(value: object) -> Any:
    """A value of the wrong type, as an untyped caller could pass it to the constructors."""
    return value


BASE_YAML = """
workflow:
  name: Minimal
  roles:
    - {name: Start, role_type: ALPHA}
    - {name: Work, role_type: BETA, strategy: HOMOGENEOUS}
    - {name: End, role_type: OMEGA}
    - {name: Fix, role_type: EPSILON}
    - {name: Clock, role_type: TAU}
  interactions:
    - {name: Inbox, stale_token_limit_seconds: 300}
    - {name: Done}
    - {name: Trouble}
  components:
    - {name: Start_Out, role: Start, interaction: Inbox, direction: OUTBOUND}
    - {name: Work_In, role: Work, interaction: Inbox, direction: INBOUND}
    - {name: Work_Out, role: Work, interaction: Done, direction: OUTBOUND}
    - name: End_In
      role: End
      interaction: Done
      direction: INBOUND
      guardian: {name: Sync, type: CERBERUS}
    - {name: Clock_In, role: Clock, interaction: Inbox, direction: INBOUND}
    - {name: Clock_Out, role: Clock, interaction: Trouble, direction: OUTBOUND}
    - name: Fix_In
      role: Fix
      interaction: Trouble
      direction: INBOUND
      guardian: {name: Gate, type: CRITERIA_GATE, config: {criteria: "retry_count < 3"}}
    - {name: Fix_Out, role: Fix, interaction: Done, direction: OUTBOUND}
"""

Document = dict[str, Any]


def base() -> Document:
    document: Document = yaml.safe_load(BASE_YAML)
    return copy.deepcopy(document)


def dump(document: Any) -> str:
    return document if isinstance(document, str) else yaml.safe_dump(document, sort_keys=False)


def problems_of(document: Any) -> list[Problem]:
    with pytest.raises(DomainError) as raised:
        load_template(dump(document))
    problems = list(raised.value.problems)
    assert problems
    return problems


def parse_problems(text: str) -> list[Problem]:
    with pytest.raises(DomainError) as raised:
        parse_template_yaml(text)
    return list(raised.value.problems)


def roles(document: Document) -> list[Document]:
    result: list[Document] = document["workflow"]["roles"]
    return result


def components(document: Document) -> list[Document]:
    result: list[Document] = document["workflow"]["components"]
    return result


def role(document: Document, name: str) -> Document:
    return next(r for r in roles(document) if r["name"] == name)


def component(document: Document, name: str) -> Document:
    return next(c for c in components(document) if c["name"] == name)


def add_component(
    document: Document, name: str, role: str, interaction: str, direction: str
) -> None:
    components(document).append(
        {"name": name, "role": role, "interaction": interaction, "direction": direction}
    )


# --- the valid documents ------------------------------------------------------------------


def test_base_document_is_valid() -> None:
    spec = load_template(BASE_YAML)
    assert spec.name == "Minimal"
    assert spec.version is None  # the importer picks it: 1, or the next one
    assert validate_template(spec) == []
    assert spec.interactions[0].stale_token_limit_seconds == 300
    assert spec.components[3].guardians[0].type is GuardianType.CERBERUS


@pytest.mark.parametrize("name", ["expense_review.yaml", "receipt_audit.yaml"])
def test_shared_examples_have_no_problems(name: str) -> None:
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    spec = parse_template_yaml(text)
    assert validate_template(spec) == []
    assert load_template(text) == spec
    assert json.loads(json.dumps(template_schema_json(spec)))["name"] == spec.name


def test_expense_review_reads_every_field() -> None:
    spec = load_template((EXAMPLES / "expense_review.yaml").read_text(encoding="utf-8"))
    checker = next(r for r in spec.roles if r.name == "Line_Checker")
    assert checker.role_type is RoleType.BETA
    assert checker.strategy is DecompositionStrategy.HETEROGENEOUS
    assert checker.child_workflow == "Receipt_Audit"
    assert checker.child_workflow_version is None
    assert spec.ai_context == {"goal": "Pay valid claims quickly, route doubtful ones to a person."}
    routed = next(c for c in spec.components if c.name == "Checker_To_Settle")
    assert routed.direction is ComponentDirection.OUTBOUND
    assert routed.guardians[0].config == {"interaction_policy": "amount <= 500 and not flagged"}


def test_invalid_example_reports_every_rule_with_names() -> None:
    problems = problems_of((EXAMPLES / "invalid_missing_roles.yaml").read_text(encoding="utf-8"))
    assert {p.rule for p in problems} == {"R2", "R3", "R4", "R5", "R7"}
    assert all(p.code is ErrorCode.RULE_VIOLATION for p in problems)
    messages = {p.rule: p.message for p in problems}
    assert "'Work'" in messages["R5"]
    assert "'Queue_B'" in messages["R7"]
    assert "OMEGA" in messages["R2"]


# --- R1-R12, one broken thing each ----------------------------------------------------------


def second_alpha(document: Document) -> None:
    roles(document).append({"name": "Start_Two", "role_type": "ALPHA"})
    add_component(document, "Start_Two_Out", "Start_Two", "Inbox", "OUTBOUND")


def retype(name: str) -> Callable[[Document], None]:
    def breaker(document: Document) -> None:
        role(document, name).update(role_type="BETA", strategy="HOMOGENEOUS")

    return breaker


def no_strategy(document: Document) -> None:
    del role(document, "Work")["strategy"]


def ghost_role(document: Document) -> None:
    component(document, "Work_Out")["role"] = "Ghost"


def consumerless(document: Document) -> None:
    document["workflow"]["interactions"].append({"name": "Orphan"})
    add_component(document, "Fix_To_Orphan", "Fix", "Orphan", "OUTBOUND")


def unguarded_epsilon(document: Document) -> None:
    del component(document, "Fix_In")["guardian"]


def omega_without_cerberus(document: Document) -> None:
    component(document, "End_In")["guardian"] = {"name": "Sync", "type": "PASS_THRU"}


def alpha_without_outbound(document: Document) -> None:
    component(document, "Start_Out")["role"] = "Clock"


def unsafe_policy(document: Document) -> None:
    component(document, "Fix_In")["guardian"]["config"] = {
        "criteria": "__import__('os').system('rm -rf /')"
    }


def unrouted_beta(document: Document) -> None:
    add_component(document, "Work_Retry", "Work", "Trouble", "OUTBOUND")


@pytest.mark.parametrize(
    ("rule", "breaker", "fragment"),
    [
        ("R1", second_alpha, "found 2: Start, Start_Two"),
        ("R2", retype("End"), "OMEGA role is required; there is none"),
        ("R3", retype("Fix"), "EPSILON"),
        ("R4", retype("Clock"), "TAU"),
        ("R5", no_strategy, "'Work'"),
        ("R6", ghost_role, "'Ghost'"),
        ("R7", consumerless, "'Orphan' has no consumer"),
        ("R8", unguarded_epsilon, "'Fix_In'"),
        ("R9", omega_without_cerberus, "'End_In'"),
        ("R10", alpha_without_outbound, "ALPHA role 'Start'"),
        ("R11", unsafe_policy, "'Gate'"),
        ("R12", unrouted_beta, "'Work'"),
    ],
)
def test_each_rule_alone(rule: str, breaker: Callable[[Document], None], fragment: str) -> None:
    document = base()
    breaker(document)
    problems = problems_of(document)
    assert {p.rule for p in problems} == {rule}, problems
    assert all(p.code is ErrorCode.RULE_VIOLATION for p in problems)
    assert all(p.path[0] == "workflow" for p in problems)
    assert any(fragment in p.message for p in problems), [p.message for p in problems]


def test_r6_missing_interaction_and_bad_direction() -> None:
    spec = load_template(BASE_YAML)
    broken = (
        ComponentSpec("Lost", "Start", "Nowhere", ComponentDirection.OUTBOUND),
        ComponentSpec("Sideways", "Start", "Inbox", loose("SIDEWAYS")),
    )
    spec = TemplateSpec(
        spec.name,
        1,
        roles=spec.roles,
        interactions=spec.interactions,
        components=spec.components + broken,
    )
    problems = validate_template(spec)
    assert {p.rule for p in problems} == {"R6"}
    messages = " ".join(p.message for p in problems)
    assert "'Nowhere'" in messages
    assert "unknown direction 'SIDEWAYS' (allowed: INBOUND, OUTBOUND)" in messages
    assert ("workflow", "components", "Lost", "interaction") in {p.path for p in problems}


def test_r12_is_satisfied_by_an_interaction_policy() -> None:
    document = base()
    unrouted_beta(document)
    component(document, "Work_Retry")["guardian"] = {
        "name": "Retry_Filter",
        "type": "DIRECTIONAL_FILTER",
        "config": {"interaction_policy": "retry_count > 0 and amount >= 10"},
    }
    assert load_template(dump(document)).name == "Minimal"


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({"criteria": "actor_id == 'bob'"}, "actor_id"),
        ({"criteria": 42}, "must be an expression string"),
        ({"interaction_policy": ["a > 1"]}, "must be an expression string"),
        ({"criteria": "amount >"}, "syntax error"),
        ({"criteria": "amount.real > 1"}, "attribute access"),
        ({"criteria": "items[0] > 1"}, "indexing"),
        ({"steps": [{"criteria": "len(x) > 1"}]}, "function calls"),
    ],
)
def test_r11_variants(config: dict[str, Any], fragment: str) -> None:
    document = base()
    component(document, "Fix_In")["guardian"]["config"] = config
    problems = problems_of(document)
    assert {p.rule for p in problems} == {"R11"}
    assert any(fragment in p.message and "'Gate'" in p.message for p in problems), problems
    assert problems[0].path[:5] == ("workflow", "components", "Fix_In", "guardians", "Gate")


def test_r11_allows_attribute_keys_and_reserved_names() -> None:
    document = base()
    component(document, "Fix_In")["guardian"]["config"] = {
        "criteria": "status == 'FAILED' and retry_count < 3 and custom_key != null"
    }
    assert load_template(dump(document)).name == "Minimal"


def test_every_problem_is_reported_at_once() -> None:
    document = base()
    for breaker in (no_strategy, ghost_role, consumerless, omega_without_cerberus, unsafe_policy):
        breaker(document)
    assert {p.rule for p in problems_of(document)} == {"R5", "R6", "R7", "R9", "R11"}


# --- names, children, limits -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "fragment"),
    [
        ("roles", "role name 'Work' is used 2 times"),
        ("interactions", "interaction name 'Done' is used 2 times"),
        ("components", "component name 'Work_In' is used 2 times"),
    ],
)
def test_names_are_unique(section: str, fragment: str) -> None:
    document = base()
    elements = document["workflow"][section]
    name = fragment.split("'")[1]
    elements.append(copy.deepcopy(next(e for e in elements if e["name"] == name)))
    problems = problems_of(document)
    assert any(fragment in p.message for p in problems)
    assert all(p.code is not ErrorCode.RULE_VIOLATION or p.rule for p in problems)
    duplicate = next(p for p in problems if fragment in p.message)
    assert duplicate.code is ErrorCode.VALIDATION_FAILED
    assert duplicate.path == ("workflow", section, name)


def test_guardian_names_are_unique_across_the_workflow() -> None:
    document = base()
    component(document, "Fix_In")["guardian"]["name"] = "Sync"
    problems = problems_of(document)
    assert [p.message for p in problems] == [
        "guardian name 'Sync' is used 2 times (components End_In, Fix_In); "
        "names must be unique in a workflow"
    ]


def test_child_workflow_naming_itself_is_a_cycle() -> None:
    document = base()
    role(document, "Work")["child_workflow"] = "Minimal"
    problems = problems_of(document)
    assert [(p.rule, p.path) for p in problems] == [
        ("cycle", ("workflow", "roles", "Work", "child_workflow"))
    ]
    assert "'Work'" in problems[0].message


def test_child_workflow_of_another_template_is_fine() -> None:
    document = base()
    role(document, "Work")["child_workflow"] = "Sub_Flow"
    spec = load_template(dump(document))
    assert [r.child_workflow for r in spec.roles if r.child_workflow] == ["Sub_Flow"]


def test_child_workflow_naming_an_older_version_of_itself_is_a_cycle() -> None:
    # An instance holds one workflow of a name, so no version of a template can be copied
    # into an instance beside another version of it.
    document = base()
    document["workflow"]["version"] = 2
    role(document, "Fix")["child_workflow"] = "Minimal"
    role(document, "Fix")["child_workflow_version"] = 1
    problems = problems_of(document)
    assert [(p.rule, p.path) for p in problems] == [
        ("cycle", ("workflow", "roles", "Fix", "child_workflow"))
    ]


def test_child_workflow_version_needs_a_child_workflow() -> None:
    document = base()
    role(document, "Work")["child_workflow_version"] = 2
    problems = problems_of(document)
    assert [p.path for p in problems] == [("workflow", "roles", "Work", "child_workflow_version")]


def test_strategy_only_on_beta() -> None:
    document = base()
    role(document, "Start")["strategy"] = "HOMOGENEOUS"
    problems = problems_of(document)
    assert [(p.code, p.rule) for p in problems] == [(ErrorCode.VALIDATION_FAILED, None)]
    assert "'Start'" in problems[0].message


@pytest.mark.parametrize("limit", [0, -5, 1.5, "300", True])
def test_stale_token_limit_must_be_positive(limit: object) -> None:
    document = base()
    document["workflow"]["interactions"][0]["stale_token_limit_seconds"] = limit
    problems = problems_of(document)
    assert [p.path for p in problems] == [
        ("workflow", "interactions", "Inbox", "stale_token_limit_seconds")
    ]
    assert problems[0].code is ErrorCode.VALIDATION_FAILED


# --- the YAML format ------------------------------------------------------------------------


def test_anchors_aliases_and_merge_keys() -> None:
    text = """
defaults: &none {}
workflow:
  name: Aliased
  version: 3.0
  roles:
    - {name: Start, type: ALPHA}
    - &beta {name: Work, role_type: BETA, strategy: HETEROGENEOUS, description: shared}
    - {<<: *beta, name: Work_Copy}
    - {name: End, type: OMEGA}
    - {name: Fix, type: EPSILON}
    - {name: Clock, type: TAU}
  interactions: [{name: Inbox}, {name: Done}]
  components:
    - {name: A, role: Start, interaction: Inbox, direction: &out OUTBOUND}
    - {name: B, role: Work, interaction: Inbox, direction: &in INBOUND}
    - {name: C, role: Work, interaction: Done, direction: *out}
    - {name: C2, role: Work_Copy, interaction: Done, direction: *out}
    - {name: B2, role: Work_Copy, interaction: Inbox, direction: *in}
    - name: D
      role: End
      interaction: Done
      direction: *in
      guardians: [{name: G1, type: CERBERUS}, {name: G2, type: PASS_THRU, config: &cfg {x: 1}}]
    - {name: E, role: Clock, interaction: Done, direction: *out}
    - {name: F, role: Fix, interaction: Inbox, direction: *in,
       guardian: {name: G3, type: PASS_THRU, config: *cfg}}
    - {name: H, role: Clock, interaction: Inbox, direction: *in}
    - {name: I, role: Fix, interaction: Done, direction: *out}
"""
    # The unknown top-level key `defaults` is refused: anchors must live inside `workflow`.
    assert [p.path for p in parse_problems(text)] == [("defaults",)]
    spec = load_template(text.replace("defaults: &none {}\n", ""))
    assert spec.version == 3
    by_name = {r.name: r for r in spec.roles}
    assert by_name["Work_Copy"].strategy is DecompositionStrategy.HETEROGENEOUS
    assert by_name["Work_Copy"].description == "shared"
    assert by_name["Start"].role_type is RoleType.ALPHA
    d = next(c for c in spec.components if c.name == "D")
    assert [g.name for g in d.guardians] == ["G1", "G2"]
    f = next(c for c in spec.components if c.name == "F")
    assert f.guardians[0].config == {"x": 1}


def test_type_and_role_type_together_are_refused() -> None:
    problems = parse_problems(
        "workflow: {name: X, roles: [{name: R, type: ALPHA, role_type: ALPHA}]}"
    )
    assert [p.path for p in problems] == [("workflow", "roles", "R", "type")]


def test_guardian_and_guardians_together_are_refused() -> None:
    document = base()
    component(document, "End_In")["guardians"] = [{"name": "Other", "type": "PASS_THRU"}]
    problems = parse_problems(dump(document))
    assert [p.path for p in problems] == [("workflow", "components", "End_In", "guardian")]


@pytest.mark.parametrize(
    ("where", "path"),
    [
        (lambda d: d.update(extra=1), ("extra",)),
        (lambda d: d["workflow"].update(colour="red"), ("workflow", "colour")),
        (lambda d: role(d, "Work").update(kind="x"), ("workflow", "roles", "Work", "kind")),
        (
            lambda d: d["workflow"]["interactions"][1].update(ttl=3),
            ("workflow", "interactions", "Done", "ttl"),
        ),
        (
            lambda d: component(d, "Work_In").update(guard=1),
            ("workflow", "components", "Work_In", "guard"),
        ),
        (
            lambda d: component(d, "End_In")["guardian"].update(policy="x"),
            ("workflow", "components", "End_In", "guardians", "Sync", "policy"),
        ),
    ],
)
def test_unknown_keys_everywhere(where: Callable[[Document], None], path: tuple[str, ...]) -> None:
    document = base()
    where(document)
    problems = problems_of(document)
    assert [(p.code, p.path) for p in problems] == [(ErrorCode.VALIDATION_FAILED, path)]
    assert f"unknown key {path[-1]!r}" in problems[0].message


# Where the parser reports problems of component C and of its guardian G (`component_c`).
COMPONENT_C = ("workflow", "components", "C")
GUARDIAN_G = (*COMPONENT_C, "guardians", "G")


def component_c(direction: str = "INBOUND", **more: str) -> str:
    """A document of one component C (role R, interaction I, `direction`) with `more` keys,
    their values in flow YAML: the parser checks each field alone, references are not read."""
    keys = "".join(f", {key}: {value}" for key, value in more.items())
    return (
        "workflow: {name: X, components: [{name: C, role: R, interaction: I, "
        f"direction: {direction}{keys}}}]}}"
    )


@pytest.mark.parametrize(
    ("text", "path", "fragment"),
    [
        ("workflow: {name: 7}", ("workflow", "name"), "name must be a non-empty string, got 7"),
        ("workflow: {name: ''}", ("workflow", "name"), "non-empty string"),
        ("workflow: {name: [a]}", ("workflow", "name"), "got a list"),
        ("workflow: {name: X, version: 1.5}", ("workflow", "version"), "whole number, got 1.5"),
        ("workflow: {name: X, version: true}", ("workflow", "version"), "got True"),
        ("workflow: {name: X, version: '2'}", ("workflow", "version"), "whole number"),
        ("workflow: {name: X, version: 0}", ("workflow", "version"), "positive"),
        ("workflow: {name: X, description: [1]}", ("workflow", "description"), "string"),
        ("workflow: {name: X, ai_context: [1]}", ("workflow", "ai_context"), "string or a map"),
        ("workflow: {name: X, roles: {a: 1}}", ("workflow", "roles"), "must be a list"),
        ("workflow: {name: X, roles: [5]}", ("workflow", "roles", "0"), "expected a mapping"),
        (component_c(guardian="{name: G}"), (*GUARDIAN_G, "type"), "type is required"),
        (
            component_c(guardians="{name: G, type: PASS_THRU}"),
            (*COMPONENT_C, "guardians"),
            "must be a list",
        ),
        (
            component_c(guardian="{name: G, type: PASS_THRU, config: [1]}"),
            (*GUARDIAN_G, "config"),
            "config must be a mapping",
        ),
    ],
)
def test_wrong_types_and_missing_fields(text: str, path: tuple[str, ...], fragment: str) -> None:
    problems = parse_problems(text)
    assert all(p.code is ErrorCode.VALIDATION_FAILED and p.rule is None for p in problems)
    assert any(p.path == path and fragment in p.message for p in problems), problems


# One complete element of each list: each required field left out in turn must be named.
COMPLETE = {
    "roles": {"name": "R", "role_type": "ALPHA"},
    "interactions": {"name": "I", "description": "d"},
    "components": {"name": "C", "role": "R", "interaction": "I", "direction": "INBOUND"},
}


@pytest.mark.parametrize(
    ("section", "missing"),
    [
        ("roles", "name"),
        ("roles", "role_type"),
        ("interactions", "name"),
        ("components", "role"),
        ("components", "interaction"),
        ("components", "direction"),
    ],
)
def test_required_fields_are_named(section: str, missing: str) -> None:
    element = {key: value for key, value in COMPLETE[section].items() if key != missing}
    problems = parse_problems(dump({"workflow": {"name": "X", section: [element]}}))
    key = element.get("name", "0")  # an element without a name is known by its position
    message = f"{section.removesuffix('s')} '{key}': {missing} is required"
    assert [(p.code, p.rule, p.path, p.message) for p in problems] == [
        (ErrorCode.VALIDATION_FAILED, None, ("workflow", section, key, missing), message)
    ]


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        (
            "workflow: {name: X, roles: [{name: Creator, role_type: ALFA}]}",
            ("workflow", "roles", "Creator", "role_type"),
            "role 'Creator': unknown role_type 'ALFA' (allowed: ALPHA, BETA, OMEGA, EPSILON, TAU)",
        ),
        (
            "workflow: {name: X, roles: [{name: W, type: BETA, strategy: MIXED}]}",
            ("workflow", "roles", "W", "strategy"),
            "role 'W': unknown strategy 'MIXED' (allowed: HOMOGENEOUS, HETEROGENEOUS)",
        ),
        (
            component_c("SIDEWAYS"),
            (*COMPONENT_C, "direction"),
            "component 'C': unknown direction 'SIDEWAYS' (allowed: INBOUND, OUTBOUND)",
        ),
        (
            component_c(guardian="{name: G, type: MAGIC}"),
            (*GUARDIAN_G, "type"),
            "component 'C': guardian 'G': unknown type 'MAGIC' (allowed: CERBERUS, PASS_THRU, "
            "CRITERIA_GATE, DIRECTIONAL_FILTER, TTL_CHECK, COMPOSITE)",
        ),
        (
            "workflow: {name: X, roles: [{name: R, role_type: alpha}]}",
            ("workflow", "roles", "R", "role_type"),
            "role 'R': unknown role_type 'alpha' (allowed: ALPHA, BETA, OMEGA, EPSILON, TAU)",
        ),
    ],
)
def test_unknown_enum_values(text: str, path: tuple[str, ...], message: str) -> None:
    problems = parse_problems(text)
    assert [(p.code, p.path, p.message) for p in problems] == [
        (ErrorCode.VALIDATION_FAILED, path, message)
    ]


def test_parse_reports_every_problem_at_once() -> None:
    text = """
workflow:
  name: X
  version: 1.5
  colour: red
  roles:
    - {name: A, role_type: ALFA}
    - {name: B}
  components:
    - {name: C, role: A, interaction: Q, direction: UP, extra: 1}
"""
    paths = {p.path for p in parse_problems(text)}
    assert paths == {
        ("workflow", "version"),
        ("workflow", "colour"),
        ("workflow", "roles", "A", "role_type"),
        ("workflow", "roles", "B", "role_type"),
        ("workflow", "components", "C", "extra"),
        ("workflow", "components", "C", "direction"),
    }


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("workflow: [1, 2", "invalid YAML at line"),
        ("workflow:\n  name: X\n    bad: indent\n", "invalid YAML at line 3"),
        ("workflow: {name: X\n", "column"),
        ("\t- tab", "invalid YAML"),
        ("workflow: {name: X, name: Y}", "duplicate key 'name' at line 1"),
        ("workflow: &w [*w]", "recursive alias"),
        ("[" * 5000 + "]" * 5000, "invalid YAML"),
    ],
)
def test_malformed_yaml(text: str, fragment: str) -> None:
    problems = parse_problems(text)
    assert [(p.code, p.path) for p in problems] == [(ErrorCode.VALIDATION_FAILED, ("yaml",))]
    assert fragment in problems[0].message


def test_alias_bomb_is_refused() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        previous, current = chr(ord("a") + level - 1), chr(ord("a") + level)
        lines.append(f"{current}: &{current} [{', '.join([f'*{previous}'] * 10)}]")
    lines.append("workflow: {name: X, ai_context: {bomb: *i}}")
    # Refused by counting the expansion, not by expanding it (how fast is for `make bench`).
    problems = parse_problems("\n".join(lines))
    assert "expands to more than" in problems[0].message
    assert problems[0].path == ("yaml",)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("- just\n- a list\n", "expected a mapping, got a list"),
        ("42", "expected a mapping, got 42"),
        ("just text", "expected a mapping, got 'just text'"),
        ("", "expected a mapping, got nothing"),
        ("# only a comment\n", "expected a mapping, got nothing"),
    ],
)
def test_document_must_be_a_mapping(text: str, fragment: str) -> None:
    problems = parse_problems(text)
    assert [(p.code, p.path) for p in problems] == [(ErrorCode.VALIDATION_FAILED, ())]
    assert fragment in problems[0].message


@pytest.mark.parametrize("text", ["other: {}", "{}", "workflow_: {name: X}"])
def test_workflow_key_is_required(text: str) -> None:
    problems = parse_problems(text)
    assert ("workflow",) in {p.path for p in problems}
    assert any("'workflow' is required" in p.message for p in problems)


def test_workflow_must_be_a_mapping() -> None:
    problems = parse_problems("workflow: [1]")
    assert [(p.path, p.message) for p in problems] == [
        (("workflow",), "workflow: expected a mapping, got a list")
    ]


def test_five_megabyte_document_is_refused_before_parsing() -> None:
    text = "workflow:\n  name: Big\n  description: " + "x" * 5_000_000 + "\n"
    problems = parse_problems(text)
    assert [(p.code, p.path) for p in problems] == [(ErrorCode.VALIDATION_FAILED, ("yaml",))]
    assert f"at most {MAX_DOCUMENT_BYTES}" in problems[0].message


def test_size_limit_counts_bytes_not_characters() -> None:
    text = "workflow: {name: X, description: '" + "é" * (MAX_DOCUMENT_BYTES // 2) + "'}"
    assert len(text) < MAX_DOCUMENT_BYTES < len(text.encode("utf-8"))
    assert "at most" in parse_problems(text)[0].message


def test_load_template_reports_parse_problems_alone() -> None:
    problems = problems_of("workflow: {name: X, roles: [{name: R, role_type: ALFA}]}")
    assert {p.rule for p in problems} == {None}


@pytest.mark.parametrize(
    "context",
    ["{when: 2024-01-01}", "{ratio: .nan}", "{1: one}", "{big: .inf}"],
)
def test_ai_context_must_be_json(context: str) -> None:
    text = BASE_YAML.replace("  name: Minimal\n", f"  name: Minimal\n  ai_context: {context}\n")
    problems = problems_of(text)
    assert [(p.code, p.path) for p in problems] == [
        (ErrorCode.VALIDATION_FAILED, ("workflow", "ai_context"))
    ]


# --- typed specs (the createTemplate input) and the cached JSON ---------------------------------


def typed_base() -> TemplateSpec:
    out, inbound = ComponentDirection.OUTBOUND, ComponentDirection.INBOUND
    return TemplateSpec(
        name="Minimal",
        version=1,
        ai_context={"goal": "test"},
        roles=(
            RoleSpec("Start", RoleType.ALPHA),
            RoleSpec("Work", RoleType.BETA, DecompositionStrategy.HOMOGENEOUS),
            RoleSpec("End", RoleType.OMEGA),
            RoleSpec("Fix", RoleType.EPSILON),
            RoleSpec("Clock", RoleType.TAU),
        ),
        interactions=(
            InteractionSpec("Inbox", stale_token_limit_seconds=300),
            InteractionSpec("Done"),
            InteractionSpec("Trouble"),
        ),
        components=(
            ComponentSpec("Start_Out", "Start", "Inbox", out),
            ComponentSpec("Work_In", "Work", "Inbox", inbound),
            ComponentSpec("Work_Out", "Work", "Done", out),
            ComponentSpec(
                "End_In",
                "End",
                "Done",
                inbound,
                guardians=(GuardianSpec("Sync", GuardianType.CERBERUS),),
            ),
            ComponentSpec("Clock_In", "Clock", "Inbox", inbound),
            ComponentSpec("Clock_Out", "Clock", "Trouble", out),
            ComponentSpec(
                "Fix_In",
                "Fix",
                "Trouble",
                inbound,
                guardians=(
                    GuardianSpec(
                        "Gate", GuardianType.CRITERIA_GATE, config={"criteria": "retry_count < 3"}
                    ),
                ),
            ),
            ComponentSpec("Fix_Out", "Fix", "Done", out),
        ),
    )


def test_typed_spec_matches_the_document() -> None:
    typed = typed_base()
    assert validate_template(typed) == []
    parsed = load_template(BASE_YAML)
    assert typed.roles == parsed.roles
    assert typed.components == parsed.components


def test_constructors_accept_enum_values_as_strings_and_lists() -> None:
    role = RoleSpec("Work", loose("BETA"), loose("HOMOGENEOUS"))
    assert role.role_type is RoleType.BETA
    assert role.strategy is DecompositionStrategy.HOMOGENEOUS
    guardian = GuardianSpec("G", loose("CERBERUS"))
    assert guardian.type is GuardianType.CERBERUS
    component = ComponentSpec("C", "Work", "Inbox", loose("INBOUND"), guardians=loose([guardian]))
    assert component.direction is ComponentDirection.INBOUND
    assert component.guardians == (guardian,)


def test_broken_typed_spec_gives_problems_not_exceptions() -> None:
    spec = TemplateSpec(
        name="",
        version=0,
        ai_context=loose([1, 2]),
        roles=(RoleSpec(loose(None), loose("ALFA")), RoleSpec("W", RoleType.BETA, loose("MIXED"))),
        interactions=(InteractionSpec(loose(None), stale_token_limit_seconds=-1),),
        components=(
            ComponentSpec(
                "C",
                loose(None),
                loose(["x"]),
                loose("UP"),
                guardians=(GuardianSpec("G", loose("MAGIC"), config=loose(None)),),
            ),
        ),
    )
    problems = validate_template(spec)
    paths = {p.path for p in problems}
    assert {
        ("workflow", "name"),
        ("workflow", "version"),
        ("workflow", "ai_context"),
        ("workflow", "roles", "None", "role_type"),
        ("workflow", "roles", "W", "strategy"),
        ("workflow", "interactions", "None", "stale_token_limit_seconds"),
        ("workflow", "components", "C", "role"),
        ("workflow", "components", "C", "interaction"),
        ("workflow", "components", "C", "direction"),
        ("workflow", "components", "C", "guardians", "G", "type"),
        ("workflow", "components", "C", "guardians", "G", "config"),
    } <= paths
    messages = " ".join(p.message for p in problems)
    assert "unknown role_type 'ALFA' (allowed: ALPHA, BETA, OMEGA, EPSILON, TAU)" in messages


def test_typed_guardian_config_must_be_json() -> None:
    spec = typed_base()
    bad = GuardianSpec("Odd", GuardianType.PASS_THRU, config={"when": {1, 2}})
    first = spec.components[0]
    spec = TemplateSpec(
        spec.name,
        roles=spec.roles,
        interactions=spec.interactions,
        components=(
            ComponentSpec(
                first.name, first.role, first.interaction, first.direction, guardians=(bad,)
            ),
            *spec.components[1:],
        ),
    )
    problems = validate_template(spec)
    assert [p.path for p in problems] == [
        ("workflow", "components", "Start_Out", "guardians", "Odd", "config")
    ]


def test_template_schema_json_is_the_whole_graph() -> None:
    spec = load_template((EXAMPLES / "expense_review.yaml").read_text(encoding="utf-8"))
    schema = template_schema_json(spec)
    assert json.loads(json.dumps(schema)) == schema
    assert schema["name"] == "Expense_Review"
    assert schema["version"] == 1
    assert [r["name"] for r in schema["roles"]][:2] == ["Claim_Intake", "Line_Splitter"]
    assert {r["role_type"] for r in schema["roles"]} == {"ALPHA", "BETA", "OMEGA", "EPSILON", "TAU"}
    settle = next(c for c in schema["components"] if c["name"] == "Settle_In")
    assert settle["direction"] == "INBOUND"
    assert settle["guardians"][0]["type"] == "CERBERUS"
    routed = next(c for c in schema["components"] if c["name"] == "Checker_To_Settle")
    config = routed["guardians"][0]["config"]
    assert config == {"interaction_policy": "amount <= 500 and not flagged"}
    config["interaction_policy"] = "changed"
    assert spec.components[4].guardians[0].config["interaction_policy"] != "changed"
