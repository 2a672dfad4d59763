"""Query documents generated from the schema, for the differential tests of the two read paths.

A hypothesis strategy walks the schema's object types: random subsets of fields, nested
relationships and connections, aliases, inline and named fragments, `@include`/`@skip`
on variables, and arguments drawn from real ids and cursors of the data set (plus bad
ones: a malformed id, an unknown id, `first: 0`, `first` over the limit, a cursor after
the last item, a cursor that is no cursor, a time without a time zone), so that both
answers and errors are compared.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
)
from hypothesis import strategies as st

# Fields a generated document leaves out: the rest of the schema's query surface is covered.
# Not drawn: a document text too large to compare usefully, and an age in seconds that
# changes between the two requests of a comparison.
_SKIPPED = {("TemplateWorkflow", "document"), ("InstanceStats", "oldestWaitingSeconds")}
_ROOT_TYPES = {
    "template": "TemplateWorkflow",
    "instance": "Instance",
    "uow": "UnitOfWork",
    "actor": "Actor",
}


@dataclass
class Pool:
    """Real values of the data set that arguments are drawn from."""

    ids: dict[str, list[str]] = field(default_factory=dict)  # type name -> ids
    cursors: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    times: list[str] = field(default_factory=list)  # creation times of units of work

    def id_of(self, type_name: str) -> list[str]:
        return self.ids.get(type_name, []) or [str(uuid.UUID(int=1))]


class _Document:
    """What one drawn document collects besides its operation: fragments and variables."""

    def __init__(self) -> None:
        self.fragments: list[str] = []
        self.variables: dict[str, tuple[str, Any]] = {}
        self.aliases = 0
        # False once an argument may be refused (a bad id, size or cursor): the resolvers
        # skip it under a null parent, the compiled path hands such a request over.
        self.clean = True

    def variable(self, graphql_type: str, value: Any) -> str:
        name = f"v{len(self.variables)}"
        self.variables[name] = (graphql_type, value)
        return f"${name}"


def _is_object(graphql_type: Any) -> bool:
    return isinstance(get_named_type(graphql_type), GraphQLObjectType)


@st.composite
def _id_argument(draw: st.DrawFn, pool: Pool, type_name: str, doc: _Document) -> str:
    bad = draw(st.integers(0, 9)) == 0
    doc.clean = doc.clean and not bad
    value = draw(
        st.one_of(
            st.sampled_from(pool.id_of(type_name)),
            st.sampled_from(["not-a-uuid", str(uuid.UUID(int=7)), ""]),
        )
        if bad
        else st.sampled_from(pool.id_of(type_name))
    )
    if draw(st.booleans()):
        return doc.variable("ID!", value)
    return f'"{value}"'


@st.composite
def _arguments(
    draw: st.DrawFn, pool: Pool, parent: str, name: str, graphql_field: Any, doc: _Document
) -> str:
    parts = []
    for arg_name, argument in graphql_field.args.items():
        arg_type = argument.type
        named = get_named_type(arg_type)
        required = isinstance(arg_type, GraphQLNonNull)
        if not required and draw(st.integers(0, 2)) != 0:
            continue
        if arg_name == "first":
            roll = draw(st.integers(0, 19))
            sizes = [501, -1] if roll < 2 else [50, 500] if roll < 4 else [0, 1, 2, 3, 5]
            doc.clean = doc.clean and roll >= 2
            value = draw(st.sampled_from(sizes))
            text = doc.variable("Int", value) if draw(st.booleans()) else str(value)
        elif arg_name == "after":
            bad = ["bm90IGEgY3Vyc29y", "YzE6MTIz"]
            doc.clean = False  # a cursor of another list is refused too
            value = draw(st.sampled_from(pool.cursors if draw(st.integers(0, 7)) else bad))
            text = doc.variable("String", value) if draw(st.booleans()) else f'"{value}"'
        elif arg_name in ("id", "instanceId", "interactionId", "parentId", "actorId"):
            target = {
                "instanceId": "Instance",
                "interactionId": "LocalInteraction",
                "parentId": "UnitOfWork",
                "actorId": "Actor",
            }.get(arg_name, _ROOT_TYPES.get(name, "Instance"))
            text = draw(_id_argument(pool, target, doc))
        elif isinstance(named, GraphQLEnumType):
            values = list(named.values)
            if isinstance(arg_type, GraphQLList):
                chosen = draw(st.lists(st.sampled_from(values), max_size=3))
                text = "[" + ", ".join(chosen) + "]"
            else:
                text = draw(st.sampled_from(values))
        elif arg_name == "filter":
            fragment = draw(st.sampled_from(["", "a", "Loan", "%", "_", *pool.names]))
            key = draw(st.sampled_from(["name", "nameContains"]))
            text = f'{{{key}: "{fragment}"}}'
        elif arg_name in ("name", "key"):
            text = '"' + draw(st.sampled_from([*pool.names, "amount", "nope"])) + '"'
        elif arg_name == "table":
            text = '"' + draw(st.sampled_from([*pool.tables, "Nope"])) + '"'
        elif arg_name == "version":
            text = str(draw(st.sampled_from([1, 2, 99])))
        elif named.name == "DateTime":
            # A unit's own creation time (the range bounds are inclusive/exclusive), times
            # before and after every unit, and one without a time zone (refused).
            naive = "2026-01-01T00:00:00"
            value = draw(
                st.sampled_from(
                    [*pool.times, "2000-01-01T00:00:00Z", "2100-01-01T00:00:00+02:00", naive]
                )
            )
            doc.clean = doc.clean and value != naive
            text = doc.variable("DateTime", value) if draw(st.booleans()) else f'"{value}"'
        elif named.name == "Boolean":
            text = draw(st.sampled_from(["true", "false"]))
        else:
            continue
        parts.append(f"{arg_name}: {text}")
    return "(" + ", ".join(parts) + ")" if parts else ""


@st.composite
def _selection(
    draw: st.DrawFn, schema: GraphQLSchema, pool: Pool, type_name: str, depth: int, doc: _Document
) -> str:
    graphql_type = schema.type_map[type_name]
    assert isinstance(graphql_type, GraphQLObjectType)
    names = [n for n in graphql_type.fields if (type_name, n) not in _SKIPPED]
    if depth <= 0:
        names = [n for n in names if not _is_object(graphql_type.fields[n].type)]
    chosen = draw(st.lists(st.sampled_from([*names, "__typename"]), min_size=1, max_size=5))
    items = []
    for name in chosen:
        head, body = name, ""
        if name != "__typename":
            graphql_field = graphql_type.fields[name]
            head += draw(_arguments(pool, type_name, name, graphql_field, doc))
            if _is_object(graphql_field.type):
                child = get_named_type(graphql_field.type).name
                body = " { " + draw(_selection(schema, pool, child, depth - 1, doc)) + " }"
        if doc.aliases < 20 and draw(st.integers(0, 4)) == 0:
            doc.aliases += 1
            head = f"a{doc.aliases}: {head}"
        items.append(draw(_wrapped(head, body, type_name, doc)))
    return " ".join(items)


@st.composite
def _wrapped(draw: st.DrawFn, head: str, body: str, type_name: str, doc: _Document) -> str:
    """A selection as it is, under a directive, or inside a fragment."""
    how = draw(st.integers(0, 9))
    if how == 0:
        flag = doc.variable("Boolean!", draw(st.booleans()))
        return f"{head} @include(if: {flag}){body}"
    if how == 1:
        flag = doc.variable("Boolean!", draw(st.booleans()))
        return f"{head} @skip(if: {flag}){body}"
    text = head + body
    if how == 2:
        return f"... on {type_name} {{ {text} }}"
    if how == 3:
        return f"... {{ {text} }}"
    if how == 4:
        name = f"F{len(doc.fragments)}"
        doc.fragments.append(f"fragment {name} on {type_name} {{ {text} }}")
        return f"...{name}"
    return text


@st.composite
def documents(
    draw: st.DrawFn, schema: GraphQLSchema, pool: Pool
) -> tuple[str, dict[str, Any] | None, bool]:
    """A query document, its variables, and whether every argument is one the resolvers
    accept."""
    doc = _Document()
    body = draw(_selection(schema, pool, "Query", draw(st.integers(1, 3)), doc))
    variables = {name: value for name, (_, value) in doc.variables.items()}
    header = ""
    if doc.variables:
        header = "(" + ", ".join(f"${n}: {t}" for n, (t, _) in doc.variables.items()) + ")"
    text = f"query Generated{header} {{ {body} }}\n" + "\n".join(doc.fragments)
    return text, variables or None, doc.clean
