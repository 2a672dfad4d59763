"""The guardians' policy language (SPEC 4.6): what parses, what is refused, how it evaluates."""

from __future__ import annotations

import ast
import builtins
from collections.abc import Mapping
from typing import Any

import pytest

from storage.engine.policy import (
    FORBIDDEN_NAMES,
    MAX_POLICY_LENGTH,
    RESERVED_NAMES,
    Policy,
    PolicyError,
    compiled,
    parse_policy,
)


def evaluate(policy: Policy, variables: Mapping[str, object]) -> bool:
    """Truth of the policy as a guardian judges it."""
    return compiled(policy.source).judge(variables).passed


def holds(text: str, **variables: object) -> bool:
    return evaluate(parse_policy(text), variables)


def test_reserved_and_forbidden_names() -> None:
    assert {"uow_id", "status", "parent_id", "child_count"} <= RESERVED_NAMES
    assert {"finished_child_count", "retry_count"} <= RESERVED_NAMES
    assert {"actor_id"} == FORBIDDEN_NAMES


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("amount > 1000", {"amount"}),
        ("amount <= 500 and not flagged", {"amount", "flagged"}),
        ("(a == 1 or b != 2) and c >= -3.5", {"a", "b", "c"}),
        ("0 < retry_count < 3", {"retry_count"}),
        ("status == 'COMPLETED'", {"status"}),
        ('region == "EU"', {"region"}),
        ("flagged == True or flagged == true", {"flagged"}),
        ("flagged != False and flagged != false", {"flagged"}),
        ("parent_id == None or parent_id == null", {"parent_id"}),
        ("finished_child_count == child_count", {"finished_child_count", "child_count"}),
        ("True", set()),
        ("  amount > 1  ", {"amount"}),
        ("-(-x) > 0", {"x"}),
    ],
)
def test_allowed_syntax(text: str, names: set[str]) -> None:
    policy = parse_policy(text)
    assert isinstance(policy, Policy)
    assert policy.source == text
    assert policy.names == names


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("__import__('os').system('rm -rf /')", "function calls"),
        ("__import__('os')", "function calls"),
        ("len(name) > 3", "function calls"),
        ("amount.real > 3", "attribute access"),
        ("().__class__", "attribute access"),
        ("items[0] == 1", "indexing"),
        ("items[1:2] == 1", "indexing"),
        ("(lambda: 1) == 1", "lambdas"),
        ("[x for x in items] == 1", "comprehensions"),
        ("{x for x in items} == 1", "comprehensions"),
        ("{k: 1 for k in items} == 1", "comprehensions"),
        ("any(x for x in items)", "function calls"),
        ("amount + 1 > 3", "arithmetic operator '+'"),
        ("amount - 1 > 3", "arithmetic operator '-'"),
        ("amount * 2 > 3", "arithmetic operator '*'"),
        ("amount / 2 > 3", "only unary minus"),
        ("amount ** 2 > 3", "arithmetic operator '**'"),
        ("amount % 2 == 0", "arithmetic operator '%'"),
        ("~amount == 0", "'~'"),
        ("+amount == 0", "unary '+'"),
        ("status in 'ABC'", "'in'"),
        ("status not in 'ABC'", "'not in'"),
        ("status is None", "'is'"),
        ("status is not None", "'is not'"),
        ("f'{status}' == 'x'", "f-strings"),
        ("(x := 1) == 1", "assignments"),
        ("a if b else c", "conditional expressions"),
        ("[1, 2] == a", "lists"),
        ("(1, 2) == a", "tuples"),
        ("{'a': 1} == a", "mappings"),
        ("{1} == a", "sets"),
        ("b'x' == a", "literal"),
        ("1j == a", "literal"),
        ("(yield)", "'yield'"),
        ("await x", "'await'"),
        ("actor_id == 'bob'", "actor_id"),
        ("amount >", "syntax error"),
        ("a = 1", "syntax error"),
        ("import os", "syntax error"),
        ("amount > 1; x", "syntax error"),
        ("", "non-empty"),
        ("   ", "non-empty"),
        ("-" * 150 + "x", "nests"),
        ("not " * 150 + "x", "nests"),
    ],
)
def test_rejected_constructs(text: str, fragment: str) -> None:
    with pytest.raises(PolicyError) as raised:
        parse_policy(text)
    assert fragment in str(raised.value)


def test_policy_error_is_a_value_error() -> None:
    assert issubclass(PolicyError, ValueError)


def test_non_string_is_rejected() -> None:
    with pytest.raises(PolicyError):
        parse_policy(42)  # type: ignore[arg-type]


def test_length_limit() -> None:
    longest = "a == " + "1" * (MAX_POLICY_LENGTH - 5)
    assert parse_policy(longest).names == {"a"}
    with pytest.raises(PolicyError, match="at most"):
        parse_policy(longest + "1")


def test_syntax_error_names_the_column() -> None:
    with pytest.raises(PolicyError, match="column"):
        parse_policy("amount > > 3")


@pytest.mark.parametrize(
    ("text", "variables", "expected"),
    [
        ("amount > 1000", {"amount": 1500}, True),
        ("amount > 1000", {"amount": 10}, False),
        ("amount >= 10 and amount <= 10", {"amount": 10}, True),
        ("1 < n < 3", {"n": 2}, True),
        ("1 < n < 3", {"n": 3}, False),
        ("1 < n > 0", {"n": 2}, True),
        ("status == 'DONE'", {"status": "DONE"}, True),
        ("status != 'DONE'", {"status": "DONE"}, False),
        ("x == -2", {"x": -2}, True),
        ("-x == 2", {"x": -2}, True),
        ("-x == 2", {"x": "s"}, False),
        ("ratio > 0.5", {"ratio": 0.75}, True),
        ("flag", {"flag": 1}, True),
        ("flag", {"flag": ""}, False),
        ("not flag", {"flag": 0}, True),
        ("flag == true", {"flag": True}, True),
        ("flag == false", {"flag": True}, False),
        ("True", {}, True),
        ("false", {}, False),
        ("items == items", {"items": [1, 2]}, True),
    ],
)
def test_evaluation(text: str, variables: dict[str, Any], expected: bool) -> None:
    assert holds(text, **variables) is expected


def test_missing_names_are_none() -> None:
    assert holds("missing == None")
    assert holds("missing == null")
    assert not holds("missing")
    assert holds("not missing")
    assert not holds("missing > 3")
    assert not holds("missing == 0")


@pytest.mark.parametrize(
    "text",
    ["x < 3", "x <= 3", "x > 3", "x >= 3", "3 < x", "x < 'a'", "-x < 0"],
)
def test_incomparable_values_compare_false(text: str) -> None:
    assert holds(text, x=None) is False
    assert holds(text, x={"a": 1}) is False


def test_mixed_types() -> None:
    assert holds("'a' < 1") is False
    assert holds("'a' == 1") is False
    assert holds("'a' != 1") is True
    assert holds("x < 1 or y == 2", x="text", y=2) is True
    assert holds("a < b < c", a=1, b="x", c=3) is False


def test_precedence_of_and_or_not() -> None:
    # `not` binds tighter than `and`, which binds tighter than `or`.
    assert holds("a or b and c", a=True, b=False, c=False)
    assert not holds("(a or b) and c", a=True, b=False, c=False)
    assert holds("not a and b", a=False, b=True)
    assert not holds("not (a and b)", a=True, b=True)
    assert holds("not a or b", a=True, b=True)
    assert not holds("not a == 1", a=1)


def test_result_is_a_bool() -> None:
    assert evaluate(parse_policy("amount"), {"amount": 5}) is True
    assert evaluate(parse_policy("amount"), {}) is False


def test_only_named_variables_are_read() -> None:
    read: list[str] = []

    class Recording(dict[str, object]):
        def get(self, key: str, default: object = None) -> object:
            read.append(key)
            return super().get(key, default)

    evaluate(parse_policy("a > 1 and b == 'x'"), Recording(a=2, b="x", secret=1))
    assert set(read) == {"a", "b"}


def test_no_python_eval_happens(monkeypatch: pytest.MonkeyPatch) -> None:
    real_compile = builtins.compile

    def refuse(*args: object, **kwargs: object) -> object:
        raise AssertionError("the policy language must not run Python code")

    def ast_only(source: Any, filename: Any, mode: str, flags: int = 0, **kw: Any) -> Any:
        if not flags & ast.PyCF_ONLY_AST:
            raise AssertionError("only parsing to an AST is allowed")
        return real_compile(source, filename, mode, flags, **kw)

    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    monkeypatch.setattr(builtins, "compile", ast_only)
    policy = parse_policy("amount > 1000 and not flagged or status == 'X'")
    assert evaluate(policy, {"amount": 2000, "flagged": False})
    with pytest.raises(PolicyError, match="function calls"):
        parse_policy("__import__('os').system('echo pwned')")
