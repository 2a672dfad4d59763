"""Template documents: the format, every structural rule, and bad input (SPEC 4.2)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from storage.errors import DomainError, ErrorCode
from storage.template_rules import load_template
from tests.conftest import EXAMPLES

# A small valid template; each rule test breaks exactly one thing in a copy of it.
VALID: dict[str, Any] = {
    "workflow": {
        "name": "Minimal",
        "roles": [
            {"name": "Start", "role_type": "ALPHA"},
            {"name": "Work", "role_type": "BETA", "strategy": "HOMOGENEOUS"},
            {"name": "End", "role_type": "OMEGA"},
            {"name": "Fix", "role_type": "EPSILON"},
            {"name": "Clock", "role_type": "TAU"},
        ],
        "interactions": [{"name": "In"}, {"name": "Out"}, {"name": "Broken"}],
        "components": [
            {"name": "Start_Out", "role": "Start", "interaction": "In", "direction": "OUTBOUND"},
            {"name": "Work_In", "role": "Work", "interaction": "In", "direction": "INBOUND"},
            {"name": "Work_Out", "role": "Work", "interaction": "Out", "direction": "OUTBOUND"},
            {
                "name": "End_In",
                "role": "End",
                "interaction": "Out",
                "direction": "INBOUND",
                "guardian": {"name": "Sync", "type": "CERBERUS"},
            },
            {
                "name": "Clock_Out",
                "role": "Clock",
                "interaction": "Broken",
                "direction": "OUTBOUND",
            },
            {"name": "Clock_In", "role": "Clock", "interaction": "In", "direction": "INBOUND"},
            {
                "name": "Fix_In",
                "role": "Fix",
                "interaction": "Broken",
                "direction": "INBOUND",
                "guardian": {
                    "name": "Gate",
                    "type": "CRITERIA_GATE",
                    "config": {"criteria": "retry_count < 3"},
                },
            },
            {"name": "Fix_Out", "role": "Fix", "interaction": "Out", "direction": "OUTBOUND"},
        ],
    }
}


def problems_of(document: Any) -> list[Any]:
    text = document if isinstance(document, str) else yaml.safe_dump(document)
    with pytest.raises(DomainError) as raised:
        load_template(text)
    return list(raised.value.problems)


def rules_of(document: Any) -> set[str | None]:
    return {p.rule for p in problems_of(document)}


def test_the_base_document_is_valid() -> None:
    assert load_template(yaml.safe_dump(VALID)).name == "Minimal"


@pytest.mark.parametrize("name", ["expense_review.yaml", "receipt_audit.yaml"])
def test_shared_examples_are_valid(name: str) -> None:
    spec = load_template((EXAMPLES / name).read_text())
    assert spec.version == 1


def test_invalid_example_reports_every_rule_at_once() -> None:
    problems = problems_of((EXAMPLES / "invalid_missing_roles.yaml").read_text())
    assert {p.rule for p in problems} == {"R2", "R3", "R4", "R5", "R7"}
    messages = " ".join(p.message for p in problems)
    assert "'Work'" in messages
    assert "'Queue_B'" in messages


def _roles(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return doc["workflow"]["roles"]


def _components(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return doc["workflow"]["components"]


def _component(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in _components(doc) if c["name"] == name)


def _drop_role(role_type: str) -> Any:
    """The role of that type becomes a plain BETA processor: the type is simply missing."""

    def breaker(doc: dict[str, Any]) -> None:
        role = next(r for r in _roles(doc) if r["role_type"] == role_type)
        role.update(role_type="BETA", strategy="HOMOGENEOUS")

    return breaker


def _second_alpha(doc: dict[str, Any]) -> None:
    _roles(doc).append({"name": "Start_Two", "role_type": "ALPHA"})
    _components(doc).append(
        {"name": "Start_Two_Out", "role": "Start_Two", "interaction": "In", "direction": "OUTBOUND"}
    )


def _no_strategy(doc: dict[str, Any]) -> None:
    del _roles(doc)[1]["strategy"]


def _dangling_role(doc: dict[str, Any]) -> None:
    _component(doc, "Work_Out")["role"] = "Nobody"
    _components(doc).append(
        {"name": "Work_Out_2", "role": "Work", "interaction": "Out", "direction": "OUTBOUND"}
    )


def _consumerless(doc: dict[str, Any]) -> None:
    doc["workflow"]["interactions"].append({"name": "Nowhere"})
    _components(doc).append(
        {"name": "To_Nowhere", "role": "Fix", "interaction": "Nowhere", "direction": "OUTBOUND"}
    )


def _unguarded_epsilon(doc: dict[str, Any]) -> None:
    del _component(doc, "Fix_In")["guardian"]


def _omega_without_cerberus(doc: dict[str, Any]) -> None:
    _component(doc, "End_In")["guardian"] = {"name": "Sync", "type": "PASS_THRU"}


def _alpha_without_outbound(doc: dict[str, Any]) -> None:
    _component(doc, "Start_Out")["role"] = "Clock"
    _components(doc).append(
        {"name": "Start_In", "role": "Start", "interaction": "In", "direction": "INBOUND"}
    )


def _bad_policy(doc: dict[str, Any]) -> None:
    _component(doc, "Fix_In")["guardian"]["config"] = {"criteria": "__import__('os').system('x')"}


def _unrouted_beta(doc: dict[str, Any]) -> None:
    _components(doc).append(
        {"name": "Work_Out_Again", "role": "Work", "interaction": "Broken", "direction": "OUTBOUND"}
    )


@pytest.mark.parametrize(
    ("rule", "breaker"),
    [
        ("R1", _second_alpha),
        ("R2", _drop_role("OMEGA")),
        ("R3", _drop_role("EPSILON")),
        ("R4", _drop_role("TAU")),
        ("R5", _no_strategy),
        ("R6", _dangling_role),
        ("R7", _consumerless),
        ("R8", _unguarded_epsilon),
        ("R9", _omega_without_cerberus),
        ("R10", _alpha_without_outbound),
        ("R11", _bad_policy),
        ("R12", _unrouted_beta),
    ],
)
def test_each_rule_alone(rule: str, breaker: Any) -> None:
    document = copy.deepcopy(VALID)
    breaker(document)
    found = rules_of(document)
    assert rule in found
    assert {r for r in found if r and r.startswith("R")} == {rule}, found


def test_actor_id_is_forbidden_in_policies() -> None:
    document = copy.deepcopy(VALID)
    _component(document, "Fix_In")["guardian"]["config"] = {"criteria": "actor_id == 'x'"}
    problems = problems_of(document)
    assert problems[0].rule == "R11"
    assert "actor_id" in problems[0].message


def test_aliases_anchors_and_guardian_lists() -> None:
    text = """
workflow:
  name: Aliased
  version: 2.0
  roles:
    - {name: Start, type: ALPHA}
    - &beta {name: Work, role_type: BETA, strategy: HETEROGENEOUS}
    - {<<: *beta, name: Work_Copy}
    - {name: End, type: OMEGA}
    - {name: Fix, type: EPSILON}
    - {name: Clock, type: TAU}
  interactions: [{name: In}, {name: Out}]
  components:
    - {name: A, role: Start, interaction: In, direction: OUTBOUND}
    - {name: B, role: Work, interaction: In, direction: INBOUND}
    - {name: C, role: Work, interaction: Out, direction: OUTBOUND}
    - name: D
      role: End
      interaction: Out
      direction: INBOUND
      guardians: [{name: G1, type: CERBERUS}, {name: G2, type: PASS_THRU}]
    - {name: E, role: Clock, interaction: Out, direction: OUTBOUND}
    - {name: F, role: Fix, interaction: In, direction: INBOUND,
       guardian: {name: G3, type: PASS_THRU}}
    - {name: H, role: Clock, interaction: In, direction: INBOUND}
    - {name: I, role: Fix, interaction: Out, direction: OUTBOUND}
"""
    spec = load_template(text)
    assert spec.version == 2
    roles = {role.name: role for role in spec.roles}
    assert roles["Work_Copy"].strategy == roles["Work"].strategy
    assert [g.name for g in spec.components[3].guardians] == ["G1", "G2"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("workflow: [1, 2", "invalid YAML at line"),
        ("- just\n- a list\n", "expected a mapping"),
        ("42", "expected a mapping"),
        ("other: {}", "unknown key 'other'"),
        ("workflow: {roles: []}", "name is required"),
        ("workflow: {name: X, version: 1.5}", "whole number"),
        ("workflow: {name: X, version: true}", "whole number"),
        ("workflow: {name: X, roles: [{name: R, role_type: ALFA}]}", "unknown role_type 'ALFA'"),
        ("workflow: {name: X, colour: red}", "unknown key 'colour'"),
        ("workflow: {name: 7}", "non-empty string"),
        ("workflow: {name: X, roles: {a: 1}}", "must be a list"),
    ],
)
def test_bad_documents_get_clear_errors(text: str, fragment: str) -> None:
    problems = problems_of(text)
    assert all(p.code == ErrorCode.VALIDATION_FAILED for p in problems)
    assert any(fragment in p.message for p in problems), [p.message for p in problems]


def test_oversized_document_is_refused_before_parsing() -> None:
    text = "workflow:\n  name: Big\n  description: " + "x" * 5_000_000 + "\n"
    problems = problems_of(text)
    assert "at most" in problems[0].message
