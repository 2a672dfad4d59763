"""The guardians' policy language (SPEC 4.6): safe boolean expressions over UOW attributes.

Parsed with Python's own `ast` module, then checked against a whitelist of node types and
evaluated by walking the tree: comparisons, and/or/not, unary minus, parentheses, literals and
names. Nothing is ever passed to `eval` or `compile`; calls, attribute access and indexing are
rejected before a policy can be evaluated.
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
MAX_POLICY_DEPTH = 100
_CONSTANT_NAMES: dict[str, Any] = {"true": True, "false": False, "null": None}

_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_OPERATOR_TEXT = {
    ast.In: "'in'", ast.NotIn: "'not in'", ast.Is: "'is'", ast.IsNot: "'is not'",
    ast.Add: "'+'", ast.Sub: "'-'", ast.Mult: "'*'", ast.Div: "'/'", ast.FloorDiv: "'//'",
    ast.Mod: "'%'", ast.Pow: "'**'", ast.MatMult: "'@'", ast.LShift: "'<<'", ast.RShift: "'>>'",
    ast.BitAnd: "'&'", ast.BitOr: "'|'", ast.BitXor: "'^'", ast.UAdd: "unary '+'",
    ast.Invert: "'~'",
}  # fmt: skip
_REJECTED = {
    ast.Call: "function calls are",
    ast.Attribute: "attribute access is",
    ast.Subscript: "indexing is",
    ast.Slice: "slices are",
    ast.Lambda: "lambdas are",
    ast.JoinedStr: "f-strings are",
    ast.NamedExpr: "assignments (:=) are",
    ast.IfExp: "conditional expressions are",
    ast.ListComp: "comprehensions are",
    ast.SetComp: "comprehensions are",
    ast.DictComp: "comprehensions are",
    ast.GeneratorExp: "comprehensions are",
    ast.List: "lists are",
    ast.Tuple: "tuples are",
    ast.Dict: "mappings are",
    ast.Set: "sets are",
    ast.Starred: "starred expressions are",
    ast.Await: "'await' is",
    ast.Yield: "'yield' is",
    ast.YieldFrom: "'yield' is",
}


class PolicyError(ValueError):
    """The expression is not in the policy language; the message says why."""


@dataclass(frozen=True, slots=True)
class Policy:
    source: str
    names: frozenset[str]
    tree: ast.expr = field(repr=False, compare=False)


def parse_policy(text: str) -> Policy:
    """The checked policy, or PolicyError naming the first construct outside the language."""
    if not isinstance(text, str) or not text.strip():
        raise PolicyError("a policy must be a non-empty string")
    if len(text) > MAX_POLICY_LENGTH:
        raise PolicyError(f"a policy is at most {MAX_POLICY_LENGTH} characters, got {len(text)}")
    source = text.strip()
    try:
        tree = ast.parse(source, mode="eval").body
    except SyntaxError as error:
        where = f" at column {error.offset}" if error.offset else ""
        shown = source if len(source) <= 80 else source[:77] + "..."
        raise PolicyError(f"syntax error{where} in {shown!r}: {error.msg}") from None
    except (RecursionError, MemoryError):
        raise PolicyError("the policy nests too deeply") from None
    names: set[str] = set()
    _check(tree, names, 0)
    return Policy(text, frozenset(names), tree)


def _check(node: ast.AST, names: set[str], depth: int) -> None:
    if depth > MAX_POLICY_DEPTH:
        raise PolicyError(f"the policy nests more than {MAX_POLICY_DEPTH} levels deep")
    children: list[ast.AST] = []
    if isinstance(node, ast.BoolOp):
        children = list(node.values)
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.Not | ast.USub):
            raise PolicyError(f"operator {_OPERATOR_TEXT[type(node.op)]} is not allowed")
        children = [node.operand]
    elif isinstance(node, ast.Compare):
        for op in node.ops:
            if type(op) not in _COMPARE:
                raise PolicyError(
                    f"operator {_OPERATOR_TEXT[type(op)]} is not allowed (use == != < <= > >=)"
                )
        children = [node.left, *node.comparators]
    elif isinstance(node, ast.BinOp):
        raise PolicyError(
            f"arithmetic operator {_OPERATOR_TEXT[type(node.op)]} is not allowed "
            "(only unary minus is)"
        )
    elif isinstance(node, ast.Name):
        if node.id in FORBIDDEN_NAMES:
            raise PolicyError(f"{node.id!r} may not be used in a policy (actor isolation)")
        if node.id not in _CONSTANT_NAMES:
            names.add(node.id)
    elif isinstance(node, ast.Constant):
        if isinstance(node.value, complex | bytes) or node.value is Ellipsis:
            raise PolicyError(f"literal {node.value!r} is not allowed")
    else:
        what = _REJECTED.get(type(node), f"{type(node).__name__} expressions are")
        raise PolicyError(f"{what} not allowed in a policy")
    for child in children:
        _check(child, names, depth + 1)


def evaluate(policy: Policy, variables: Mapping[str, object]) -> bool:
    """Truth of the policy; unknown names are None, incomparable values compare False."""
    return bool(_value(policy.tree, variables))


def _value(node: ast.AST, variables: Mapping[str, object]) -> Any:
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
        if node.id in _CONSTANT_NAMES:
            return _CONSTANT_NAMES[node.id]
        return variables.get(node.id)
    if isinstance(node, ast.Constant):
        return node.value
    raise PolicyError(f"cannot evaluate {type(node).__name__}")
