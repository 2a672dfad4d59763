"""The query cost limit (issue 13): lists multiply the cost of what is under them; an
operation over CHAMELEON_MAX_QUERY_COST is refused with its cost before any SQL runs."""

from __future__ import annotations

from typing import Any

from graphql import OperationDefinitionNode, parse
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from gql.cost import PLAIN_LIST_ESTIMATE, CostCache, operation_cost
from schema.assemble import build_schema
from tests.client import GraphQLClient
from tests.scenario import build_scenario

SCHEMA = build_schema()._schema
THREE_NESTED_500 = """{ instances(first: 500) { edges { node {
  uows(first: 500) { edges { node { history(first: 500) { edges { node { id } } } } } } } } } }"""


def statements(app: Starlette) -> float:
    counter = app.state.metrics.sql_statements
    return float(sum(counter.labels(tier=tier)._value.get() for tier in ("template", "instance")))


def cost_of(query: str, variables: dict[str, Any] | None = None) -> int:
    (operation,) = parse(query).definitions
    assert isinstance(operation, OperationDefinitionNode)
    return operation_cost(SCHEMA, operation, {}, variables or {})


async def test_three_nested_lists_of_500_are_refused_before_any_sql(
    app: Starlette, client: GraphQLClient
) -> None:
    await client.data("{ instances { totalCount } }")  # the server is up and has read once
    before = statements(app)
    response = await client.post(THREE_NESTED_500)
    assert response.status_code == 200
    (error,) = response.json()["errors"]
    cost = cost_of(THREE_NESTED_500)
    assert cost == 500 * (3 + 500 * (3 + 500 * 3))
    assert error["extensions"] == {"code": "QUERY_TOO_COSTLY", "cost": cost, "limit": 1_000_000}
    assert str(cost) in error["message"]
    assert "data" not in response.json()
    assert statements(app) == before


async def test_variables_count_as_sent(app: Starlette, client: GraphQLClient) -> None:
    query = """query($a: Int, $b: Int, $c: Int) { instances(first: $a) { edges { node {
      uows(first: $b) { edges { node { history(first: $c) { totalCount } } } } } } } }"""
    before = statements(app)
    refused = await client.post(query, {"a": 500, "b": 500, "c": 500})
    assert refused.json()["errors"][0]["extensions"]["cost"] == 500 * (3 + 500 * (3 + 500))
    assert statements(app) == before
    served = await client.post(query, {"a": 10, "b": 10, "c": 10})
    assert served.json() == {"data": {"instances": {"edges": []}}}


async def test_a_deep_read_of_modest_pages_is_served(client: GraphQLClient) -> None:
    """The benchmark's nested read (SPEC 7) costs far under the default limit."""
    query = """query($id: ID!) { instance(id: $id) { workflows { roles {
      uows(first: 50) { edges { node { id history(first: 10) { edges { node { id } } } } } }
    } } } }"""
    assert cost_of(query) < 200_000
    scenario = await build_scenario(client, uows=2, steps=1)
    data = await client.data(query, {"id": scenario.instance_id})
    uows = [
        edge["node"]
        for workflow in data["instance"]["workflows"]
        for role in workflow["roles"]
        for edge in role["uows"]["edges"]
    ]
    assert uows
    assert all(uow["history"]["edges"] for uow in uows)


def test_fragments_and_plain_lists_count() -> None:
    inline = "{ instances(first: 2) { edges { node { ... on Instance { actors { id } } } } } }"
    named = """query { instances(first: 2) { ...E } }
      fragment E on InstanceConnection { edges { node { actors { id } } } }"""
    expected = 2 * (1 + (1 + (1 + PLAIN_LIST_ESTIMATE)))  # connection, edges, node, actors
    assert cost_of(inline) == expected
    definitions = parse(named).definitions
    operation = definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    fragments = {d.name.value: d for d in definitions[1:]}  # type: ignore[attr-defined]
    assert operation_cost(SCHEMA, operation, fragments, {}) == expected
    assert cost_of("{ instances { totalCount } }") == 50  # the default page
    assert cost_of("{ __schema { types { fields { name } } } }") == 0


def test_a_backward_page_costs_its_last() -> None:
    """`last` sets a page's size as `first` does, so newest-first reads cost what they read."""
    deep = (
        "query($n: Int) {{ instances({0}: $n) "
        "{{ edges {{ node {{ uows({0}: $n) {{ totalCount }} }} }} }} }}"
    )
    for argument in ("first", "last"):
        assert cost_of(deep.format(argument), {"n": 7}) == 7 * (1 + (1 + (1 + 7)))
    assert cost_of(
        "{ instances(last: 500) { edges { node { uows(last: 500) { totalCount } } } } }"
    ) == (500 * (1 + (1 + (1 + 500))))


@settings(max_examples=200, deadline=None)
@given(firsts=st.lists(st.integers(0, 500), min_size=1, max_size=3))
def test_nested_pages_multiply(firsts: list[int]) -> None:
    """The cost of nested connections of any page sizes, against a formula written apart."""
    names = ["instances", "uows", "history"][: len(firsts)]
    levels = zip(names, firsts, strict=True)
    query = "{ " + "".join(f"{name}(first: {n}) {{ edges {{ node {{ " for name, n in levels)
    query += "id" + " } } }" * len(firsts) + " }"
    expected = 0
    for first in reversed(firsts):
        expected = first * (3 + expected)
    assert cost_of(query) == expected


CACHED = """query Q($a: Int, $b: Int) { instances(first: $a) { edges { node {
  uows(first: $b) { totalCount } actors { id } } } } }"""


@settings(max_examples=100, deadline=None)
@given(
    values=st.lists(
        st.fixed_dictionaries(
            {}, optional={"a": st.integers(0, 600) | st.none(), "b": st.integers(0, 600)}
        ),
        min_size=1,
        max_size=80,
    )
)
def test_the_cache_answers_what_the_walk_does(values: list[dict[str, Any]]) -> None:
    """Remembered costs are per value of the variables that set pages, never stale."""
    cache = CostCache(maxsize=2)
    (operation,) = parse(CACHED).definitions
    assert isinstance(operation, OperationDefinitionNode)
    for variables in values:
        expected = operation_cost(SCHEMA, operation, {}, variables)
        assert cache.cost(SCHEMA, CACHED, operation, {}, variables) == expected
        other = "{ instances { totalCount } }"  # another document in the small cache
        (plain,) = parse(other).definitions
        assert isinstance(plain, OperationDefinitionNode)
        assert cache.cost(SCHEMA, other, plain, {}, variables) == 50
