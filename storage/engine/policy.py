"""The guardians' policy language (SPEC 4.6): safe boolean expressions over UOW attributes.

Parsed with Python's own `ast` module, then checked against a whitelist of node types and
evaluated by walking the tree: comparisons, and/or/not, unary minus, parentheses, literals and
names. Nothing is ever passed to `eval` or `compile`; calls, attribute access and indexing are
rejected before a policy can be evaluated.
"""

from __future__ import annotations

import ast
import functools
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


@dataclass(frozen=True, slots=True)
class Verdict:
    """A policy's answer for one unit of work, with a sentence a person can act on."""

    passed: bool
    reason: str


# A compiled node: takes the variables and a list to note why a comparison could not hold.
_Node = Callable[[Mapping[str, object], list[str]], Any]


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    """A policy turned into nested closures once, so a guardian evaluates without walking
    the syntax tree again (see `compiled`)."""

    source: str
    names: frozenset[str]
    _root: _Node = field(repr=False, compare=False)

    def judge(self, variables: Mapping[str, object]) -> Verdict:
        """Never raises: a missing name reads as null and a comparison of unrelated types is
        false, and both are named in the reason."""
        notes: list[str] = []
        passed = bool(self._root(variables, notes))
        shown = ", ".join(f"{name}={_shown(variables.get(name))}" for name in sorted(self.names))
        if passed:
            return Verdict(True, f"{self.source!r} holds ({shown})" if shown else "holds")
        why = f": {'; '.join(dict.fromkeys(notes))}" if notes else ""
        return Verdict(False, f"{self.source!r} does not hold ({shown}){why}")


def _shown(value: object) -> str:
    text = "unset" if value is None else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


@functools.lru_cache(maxsize=4096)
def compiled(source: str) -> CompiledPolicy:
    """The checked, compiled policy (cached by its text); PolicyError when it is not in the
    language."""
    policy = parse_policy(source)
    return CompiledPolicy(policy.source, policy.names, _compile(policy.tree))


def _compile(node: ast.AST) -> _Node:
    if isinstance(node, ast.BoolOp):
        parts = [_compile(v) for v in node.values]
        if isinstance(node.op, ast.And):
            return lambda v, n: all(part(v, n) for part in parts)
        return lambda v, n: any(part(v, n) for part in parts)
    if isinstance(node, ast.UnaryOp):
        operand = _compile(node.operand)
        if isinstance(node.op, ast.Not):
            return lambda v, n: not operand(v, n)
        return _negated(operand)
    if isinstance(node, ast.Compare):
        return _comparison(
            _compile(node.left),
            [(type(op), _compile(c)) for op, c in zip(node.ops, node.comparators, strict=True)],
        )
    if isinstance(node, ast.Name):
        if node.id in _CONSTANT_NAMES:
            constant = _CONSTANT_NAMES[node.id]
            return lambda v, n: constant
        return _variable(node.id)
    if isinstance(node, ast.Constant):
        value = node.value
        return lambda v, n: value
    raise PolicyError(f"cannot evaluate {type(node).__name__}")


def _variable(name: str) -> _Node:
    def read(variables: Mapping[str, object], notes: list[str]) -> object:
        value = variables.get(name)
        if value is None:
            notes.append(f"{name!r} is not set")
        return value

    return read


def _negated(operand: _Node) -> _Node:
    def negate(variables: Mapping[str, object], notes: list[str]) -> object:
        value = operand(variables, notes)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return -value
        notes.append(f"cannot negate {_kind(value)}")
        return None

    return negate


def _comparison(left: _Node, rest: list[tuple[type[ast.cmpop], _Node]]) -> _Node:
    def compare(variables: Mapping[str, object], notes: list[str]) -> bool:
        a = left(variables, notes)
        for op, right in rest:
            b = right(variables, notes)
            try:
                if not _COMPARE[op](a, b):
                    return False
            except TypeError:
                if a is not None and b is not None:
                    notes.append(f"cannot compare {_kind(a)} with {_kind(b)}")
                return False
            a = b
        return True

    return compare


def _kind(value: object) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string"}.get(
        type(value), "null" if value is None else f"a {type(value).__name__}"
    )
