"""The guardians' policy language (SPEC 4.6): safe boolean expressions over UOW attributes.

Parsed with Python's own `ast` module, then checked against a whitelist of node types and
evaluated by walking the tree: comparisons, and/or/not, parentheses, literals and names.
Nothing is ever passed to `eval`; calls, attribute access and indexing are rejected.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

RESERVED_NAMES = frozenset(
    {"uow_id", "status", "parent_id", "child_count", "finished_child_count", "retry_count"}
)
FORBIDDEN_NAMES = frozenset({"actor_id"})
MAX_POLICY_LENGTH = 2_000
_CONSTANT_NAMES: dict[str, Any] = {"true": True, "false": False, "null": None, "none": None}

_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_REJECTED = {
    ast.Call: "function calls",
    ast.Attribute: "attribute access",
    ast.Subscript: "indexing",
    ast.Lambda: "lambdas",
    ast.BinOp: "arithmetic",
    ast.JoinedStr: "f-strings",
    ast.NamedExpr: "assignments",
    ast.IfExp: "conditional expressions",
    ast.ListComp: "comprehensions",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Dict: "mappings",
    ast.Set: "sets",
}


class PolicyError(ValueError):
    """The expression is not in the policy language; the message says why."""


@dataclass(frozen=True, slots=True)
class Policy:
    source: str
    names: frozenset[str]
    tree: ast.expr = field(repr=False, compare=False)


def parse_policy(text: str) -> Policy:
    if not isinstance(text, str) or not text.strip():
        raise PolicyError("a policy must be a non-empty string")
    if len(text) > MAX_POLICY_LENGTH:
        raise PolicyError(f"a policy is at most {MAX_POLICY_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as error:
        raise PolicyError(f"syntax error at column {error.offset}: {text.strip()!r}") from None
    names: set[str] = set()
    _check(tree, names)
    return Policy(text, frozenset(names), tree)


def _check(node: ast.AST, names: set[str]) -> None:
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            _check(value, names)
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.Not | ast.USub):
            raise PolicyError(f"operator {type(node.op).__name__} is not allowed")
        _check(node.operand, names)
    elif isinstance(node, ast.Compare):
        for op in node.ops:
            if type(op) not in _COMPARE:
                raise PolicyError(
                    f"comparison {type(op).__name__} is not allowed (use == != < <= > >=)"
                )
        _check(node.left, names)
        for comparator in node.comparators:
            _check(comparator, names)
    elif isinstance(node, ast.Name):
        if node.id.lower() not in _CONSTANT_NAMES:
            if node.id in FORBIDDEN_NAMES:
                raise PolicyError(f"{node.id!r} may not be used in a policy (actor isolation)")
            names.add(node.id)
    elif isinstance(node, ast.Constant):
        if not isinstance(node.value, int | float | str | bool | None):
            raise PolicyError(f"literal {node.value!r} is not allowed")
    else:
        what = _REJECTED.get(type(node), type(node).__name__)
        raise PolicyError(f"{what} are not allowed in a policy")


def evaluate(policy: Policy, variables: Mapping[str, Any]) -> bool:
    """Truth of the policy; unknown names are None, incomparable values compare False."""
    return bool(_value(policy.tree, variables))


def _value(node: ast.AST, variables: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And):
            return all(_value(v, variables) for v in node.values)
        return any(_value(v, variables) for v in node.values)
    if isinstance(node, ast.UnaryOp):
        operand = _value(node.operand, variables)
        if isinstance(node.op, ast.Not):
            return not operand
        return -operand if isinstance(operand, int | float) else None
    if isinstance(node, ast.Compare):
        left = _value(node.left, variables)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _value(comparator, variables)
            try:
                if not _COMPARE[type(op)](left, right):
                    return False
            except TypeError:
                return False
            left = right
        return True
    if isinstance(node, ast.Name):
        lowered = node.id.lower()
        if lowered in _CONSTANT_NAMES:
            return _CONSTANT_NAMES[lowered]
        return variables.get(node.id)
    if isinstance(node, ast.Constant):
        return node.value
    raise PolicyError(f"cannot evaluate {type(node).__name__}")
