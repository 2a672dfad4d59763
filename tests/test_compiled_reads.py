"""The compiled read path answers exactly what the resolver path answers.

Two apps serve the same database, one with compiled reads and one without
(`CHAMELEON_COMPILED_READS=false`); every document is sent to both over the real ASGI app and
the answers are compared as parsed JSON with numbers' types kept (100 is not 100.0): the
query documents of the whole test suite, then documents generated from the schema
(`tests.graphql_documents`), on SQLite and PostgreSQL. A compilable document answered
without errors must have taken the compiled path (a fallback is only for errors).
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import json
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import OperationDefinitionNode, OperationType, VariableNode, Visitor, parse, visit
from graphql.error import GraphQLSyntaxError
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from gql import compiled
from gql.app import create_app
from gql.demo import load_demo
from gql.settings import Settings
from resolvers.context import Caller, RequestContext
from resolvers.pagination import encode_cursor
from storage.engines import Tiers
from storage.models import UowHistoryRow
from tests.conftest import module_fixtures_per_backend
from tests.databases import PostgresFactory, SqliteFactory, TierUrls
from tests.factories import pending_history
from tests.graphql_documents import Pool, documents
from tests.hypothesis_settings import replayable_examples

TESTS = Path(__file__).resolve().parent
# Generated documents per backend. The defaults keep the suite to a few minutes on a loaded
# 2-core machine; the report's runs set CHAMELEON_COMPILED_EXAMPLES=5000.
SQLITE_EXAMPLES = int(os.environ.get("CHAMELEON_COMPILED_EXAMPLES", "1000"))
POSTGRES_EXAMPLES = int(os.environ.get("CHAMELEON_COMPILED_EXAMPLES_POSTGRES", "500"))

DEEP = """query($id: ID!) { instance(id: $id) { id name workflows { id name roles { id name
  uows(first: 50) { totalCount edges { cursor node { id status
    history(first: 10) { edges { node { id newStatus transitionTimestamp } } } } } } } } } }"""
PAGE = """query($id: ID!) { uows(instanceId: $id, first: 500) { totalCount
  pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  edges { cursor node { id status childCount finishedChildCount contentHash version
    retryCount lastHeartbeatAt createdAt updatedAt } } } }"""
TEMPLATES = """{ templates { totalCount edges { node { id name version createdAt aiContext
  roles { id name roleType strategy aiContext components { id name direction
    guardians { id name type config } } } } } } }"""
UOW = """query($uow: ID!) { uow(id: $uow) { id status version contentHash
  attributes { id key value version reasoning createdAt actor { id name } }
  history { totalCount edges { cursor node { id previousStatus newStatus previousStateHash
    newStateHash transitionTimestamp reasoning transitionMetadata dropped
    actor { name } previousInteraction { name } newInteraction { name } } } }
  logs { totalCount pageInfo { hasNextPage endCursor } edges { node { id logId logType
    timestamp eventDetails errorMetadata } } } } }"""
GUIDE = """{ instance: schemaGuide(tier: INSTANCE) { tableName columnName dataType
  isPrimaryKey foreignKeyTarget description }
  template: schemaGuide(tier: TEMPLATE, table: "Template_Roles") { columnName isPrimaryKey } }"""
MUST_COMPILE = {"deep": DEEP, "uows_page": PAGE, "templates": TEMPLATES, "uow": UOW, "guide": GUIDE}
ODD_VALUES = {
    "float": 100.0,
    "int": 100,
    "big": 2**63 - 1,
    "small": 1e-7,
    "precise": 2.827893089874245e-127,  # SQLite keeps a bare number as REAL
    "sum": 0.1 + 0.2,
    "text": 'é ✓ 😀 "quoted" \\ back',
    "nested": {"b": [1, 2.5, None, True, "x"], "a": {}},
    "empty": [],
}


def typed(value: Any) -> Any:
    """JSON with each number's type kept, so that 100 and 100.0 differ."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    return (type(value).__name__, value)


@dataclass
class Servers:
    compiled: httpx.AsyncClient
    resolved: httpx.AsyncClient
    app: Starlette
    pool: Pool
    instance_id: str
    uow_id: str

    def counted(self, path: str) -> float:
        counter = self.app.state.metrics.operations.labels(path=path)
        return float(counter._value.get())

    async def both(self, query: str, variables: dict[str, Any] | None) -> tuple[Any, Any, bool]:
        """Both answers (status, typed body) and whether the compiled path answered."""
        before = self.counted("compiled")
        body = {"query": query, "variables": variables}
        first = await self.compiled.post("/graphql", json=body)
        took_compiled = self.counted("compiled") > before
        second = await self.resolved.post("/graphql", json=body)
        return (
            (first.status_code, typed(first.json())),
            (second.status_code, typed(second.json())),
            took_compiled,
        )

    async def check(
        self, query: str, variables: dict[str, Any] | None, *, clean: bool = True
    ) -> bool:
        mine, theirs, took_compiled = await self.both(query, variables)
        if not took_compiled and _both_failed_at_the_root(mine, theirs):
            # Both answers are the resolver path's. With several root fields failing, which
            # error it reports is whichever field failed first (graphql-core nulls `data`
            # then), a race between their statements: the same app answers either way.
            return False
        assert mine == theirs, query
        planner = self.app.state.planner
        if clean and planner.plan(query, None) is not None and "errors" not in theirs[1]:
            assert took_compiled, f"compilable and without errors, but resolved: {query}"
        return took_compiled


def _both_failed_at_the_root(mine: Any, theirs: Any) -> bool:
    return all(
        answer[1].get("data") is None and len(answer[1].get("errors", ())) == 1
        for answer in (mine, theirs)
    )


async def _odd_rows(tiers: Tiers, client: httpx.AsyncClient, uow_id: str) -> None:
    """Values whose text is easy to get wrong: number types, unicode, a whole-second time."""
    mutation = """mutation($input: TransitionUowInput!) { transitionUow(input: $input) {
      errors { code message } } }"""
    answer = await client.post(
        "/graphql",
        json={
            "query": mutation,
            "variables": {
                "input": {
                    "uowId": uow_id,
                    "attributes": ODD_VALUES,
                    "metadata": ODD_VALUES,
                    "reasoning": "odd values ✓",
                }
            },
        },
    )
    assert answer.json()["data"]["transitionUow"]["errors"] == [], answer.text
    async with tiers.instance.sessions.begin() as session:
        row = await session.get(UowHistoryRow, _first_history(await _history(client, uow_id)))
        assert row is not None
        session.add(
            pending_history(
                row.instance_id,
                row.uow_id,
                row.new_interaction_id,
                row.new_state_hash,
                at=datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC),
            )
        )


async def _history(client: httpx.AsyncClient, uow_id: str) -> Any:
    query = "query($id: ID!) { uow(id: $id) { history { edges { node { id } } } } }"
    answer = await client.post("/graphql", json={"query": query, "variables": {"id": uow_id}})
    return answer.json()["data"]["uow"]["history"]["edges"]


def _first_history(edges: Any) -> uuid.UUID:
    return uuid.UUID(edges[0]["node"]["id"])


async def _pool(client: httpx.AsyncClient, instance_id: str) -> Pool:
    query = """query($id: ID!) {
      templates { edges { cursor node { id name } } }
      instances { edges { cursor node { id } } }
      instance(id: $id) { actors { id }
        workflows { interactions { id } }
        uows(first: 500) { edges { cursor node { id createdAt
          history { edges { cursor } } logs { edges { cursor } } } } }
        logs(first: 500) { edges { cursor } } }
      schemaGuide(tier: INSTANCE) { tableName } }"""
    answer = await client.post("/graphql", json={"query": query, "variables": {"id": instance_id}})
    data = answer.json()["data"]
    uows = data["instance"]["uows"]["edges"]
    cursors = [e["cursor"] for e in data["templates"]["edges"]]
    cursors += [e["cursor"] for e in uows[:5] + uows[-3:]]
    for edge in uows[:4] + uows[-2:]:
        cursors += [h["cursor"] for h in edge["node"]["history"]["edges"][-2:]]
        cursors += [h["cursor"] for h in edge["node"]["logs"]["edges"][-1:]]
    cursors += [e["cursor"] for e in data["instance"]["logs"]["edges"][-2:]]
    return Pool(
        ids={
            "TemplateWorkflow": [e["node"]["id"] for e in data["templates"]["edges"]],
            "Instance": [e["node"]["id"] for e in data["instances"]["edges"]],
            "UnitOfWork": [e["node"]["id"] for e in uows[:6] + uows[-3:]],
            "Actor": [a["id"] for a in data["instance"]["actors"]],
            "LocalInteraction": [
                i["id"] for w in data["instance"]["workflows"] for i in w["interactions"]
            ][:4],
        },
        cursors=cursors,
        names=sorted({e["node"]["name"] for e in data["templates"]["edges"]}),
        tables=sorted({row["tableName"] for row in data["schemaGuide"]})[:4],
        times=[uows[i]["node"]["createdAt"] for i in (0, len(uows) // 2, -1)],
    )


@contextlib.asynccontextmanager
async def _servers(factory: SqliteFactory | PostgresFactory) -> AsyncIterator[Servers]:
    urls: TierUrls = await factory.create()
    tiers = Tiers.open(urls.template, urls.instance)
    instance_id = str(await load_demo(tiers, uow_count=15))
    apps = [
        create_app(
            Settings(
                template_db_url=urls.template, instance_db_url=urls.instance, compiled_reads=on
            )
        )
        for on in (True, False)
    ]
    async with (
        apps[0].router.lifespan_context(apps[0]),
        apps[1].router.lifespan_context(apps[1]),
    ):
        clients = [
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
            for app in apps
        ]
        pool = await _pool(clients[1], instance_id)
        uow_id = pool.ids["UnitOfWork"][0]
        await _odd_rows(tiers, clients[1], uow_id)
        yield Servers(clients[0], clients[1], apps[0], pool, instance_id, uow_id)
        for client in clients:
            await client.aclose()
    await tiers.dispose()
    await factory.drop(urls)


sqlite_servers, postgres_servers, servers = module_fixtures_per_backend("servers", _servers)


@pytest.mark.parametrize("name", sorted(MUST_COMPILE))
async def test_the_reads_of_the_issue_take_the_compiled_path(servers: Servers, name: str) -> None:
    variables = {"id": servers.instance_id, "uow": servers.uow_id}
    query = MUST_COMPILE[name]
    used = {v for v in ("id", "uow") if f"${v}" in query}
    mine, theirs, took_compiled = await servers.both(query, {k: variables[k] for k in used})
    assert took_compiled
    assert mine == theirs
    assert "errors" not in mine[1]


async def test_odd_values_read_back_alike(servers: Servers) -> None:
    query = """query($id: ID!) { uow(id: $id) { attributes { key value }
      history { edges { node { transitionTimestamp reasoning transitionMetadata } } } } }"""
    mine, theirs, took_compiled = await servers.both(query, {"id": servers.uow_id})
    assert took_compiled
    assert mine == theirs
    history = mine[1]["data"]["uow"]["history"]["edges"]
    assert {
        "node": {
            "transitionTimestamp": "2030-01-02T03:04:05+00:00",
            "reasoning": None,
            "transitionMetadata": None,
        }
    } in history


async def test_what_does_not_compile_is_resolved(servers: Servers) -> None:
    resolved = servers.counted("resolved")
    for query in (
        "query($id: ID!) { instance(id: $id) { workflows { roles { inbox { totalCount } } } } }",
        "query($id: ID!) { instance(id: $id) { workflows { roles { memory { key } } } } }",
        "{ templates { edges { node { document } } } }",
        "{ __schema { queryType { name } } }",
        "{ nope }",
    ):
        variables = {"id": servers.instance_id} if "$id" in query else None
        mine, theirs, took_compiled = await servers.both(query, variables)
        assert not took_compiled
        assert mine == theirs
    assert servers.counted("resolved") == resolved + 5


async def test_the_uows_status_and_time_filters_take_the_compiled_path(servers: Servers) -> None:
    """`statuses`, `createdAfter` and `createdBefore` of `Query.uows` and `Instance.uows` are
    WHEREs of the compiled statement, written in the document or passed as variables."""
    times = servers.pool.times
    middle = times[1]
    page = "totalCount edges { node { id status createdAt } }"
    documents: list[tuple[str, dict[str, Any]]] = [
        (
            "query($id: ID!) { uows(instanceId: $id, statuses: [ACTIVE, PENDING]) "
            f"{{ {page} }} }}",
            {},
        ),
        (f"query($id: ID!) {{ uows(instanceId: $id, statuses: []) {{ {page} }} }}", {}),
        (
            "query($id: ID!, $s: [UowStatus!]) { uows(instanceId: $id, statuses: $s) "
            f"{{ {page} }} }}",
            {"s": ["COMPLETED", "PENDING", "PENDING"]},
        ),
        (
            f'query($id: ID!) {{ uows(instanceId: $id, createdAfter: "{middle}") {{ {page} }} }}',
            {},
        ),
        (
            "query($id: ID!, $a: DateTime, $b: DateTime) { instance(id: $id) { "
            f"uows(createdAfter: $a, createdBefore: $b, first: 3) {{ {page} "
            "pageInfo { hasNextPage endCursor } } } }",
            {"a": times[0], "b": times[-1]},
        ),
        (
            "query($id: ID!, $b: DateTime) { instance(id: $id) { "
            f"uows(createdBefore: $b, statuses: [PENDING]) {{ {page} }} }} }}",
            {"b": "2000-01-01T00:00:00+05:00"},
        ),
    ]
    counts = []
    for query, variables in documents:
        mine, theirs, took_compiled = await servers.both(
            query, {"id": servers.instance_id, **variables}
        )
        assert took_compiled, query
        assert mine == theirs, query
        assert "errors" not in mine[1], query
        data = mine[1]["data"]
        counts.append((data.get("uows") or data["instance"]["uows"])["totalCount"][1])
    assert counts[0] > 0, counts
    assert counts[1] == 0, counts
    assert counts[3] > 0, counts
    assert counts[5] == 0, counts
    # A time without a time zone is the resolvers' error; the compiled path hands it over.
    query = (
        "query($id: ID!, $a: DateTime) { uows(instanceId: $id, createdAfter: $a) { totalCount } }"
    )
    mine, theirs, took_compiled = await servers.both(
        query, {"id": servers.instance_id, "a": "2026-01-01T00:00:00"}
    )
    assert not took_compiled
    assert mine == theirs
    assert "errors" in mine[1]


async def test_abandoned_sibling_resolvers_hold_nothing(servers: Servers) -> None:
    """`templates` fails (a cursor of no template) and, being non-null, nulls `data`: the
    other root fields' resolvers, cancelled whether or not they had started, must leave no
    connection checked out and no task running (the warnings this module ignores)."""
    cursor = encode_cursor(uuid.UUID(int=5))
    query = f"""query($u: ID!, $t: ID!) {{
      uow(id: $u) {{ logs {{ totalCount }} currentInteraction {{ name workflow {{ name }} }} }}
      templates(first: 0, after: "{cursor}") {{ totalCount }}
      template(id: $t) {{ components {{ name }} roles {{ name }} }} }}"""
    variables = {"u": servers.uow_id, "t": servers.pool.ids["TemplateWorkflow"][0]}
    for _ in range(20):
        mine, theirs, took_compiled = await servers.both(query, variables)
        assert not took_compiled
        assert mine == theirs
        assert mine[1]["data"] is None
        assert [e["path"] for e in mine[1]["errors"]] == [["templates"]]
    for _ in range(100):  # settled in the background: give them a moment
        left = _execution_tasks()
        if not left:
            break
        await asyncio.sleep(0.01)
    assert left == []
    tiers = servers.app.state.tiers
    assert tiers.template.engine.pool.checkedout() == 0
    assert tiers.instance.engine.pool.checkedout() == 0


def _execution_tasks() -> list[str]:
    """Running tasks of GraphQL execution (graphql-core, Strawberry, our resolvers)."""
    found = []
    for task in asyncio.all_tasks():
        code = getattr(task.get_coro(), "cr_code", None)
        where = "" if code is None else code.co_filename
        if any(part in where for part in ("/graphql/", "/strawberry/", "/resolvers/", "/schema/")):
            found.append(f"{code.co_qualname} ({where})")
    return found


async def test_an_unknown_fragment_is_a_validation_error_on_both_paths(servers: Servers) -> None:
    """Strawberry's depth limit used to raise KeyError on it: a 500 from the compiled path's
    planner, an internal error from the resolver path."""
    for query in (
        "{ templates { edges { node { ...F } } } }",
        "query { ...Q } fragment G on Query { templates { totalCount } }",
    ):
        mine, theirs, took_compiled = await servers.both(query, None)
        assert not took_compiled
        assert mine == theirs
        assert mine[0] == 200
        assert mine[1]["errors"][0]["message"].startswith("Unknown fragment"), mine


async def test_errors_are_the_resolvers_errors(servers: Servers) -> None:
    for query in (
        '{ instance(id: "nope") { id } }',
        f'{{ instance(id: "{uuid.UUID(int=5)}") {{ id }} }}',
        '{ schemaGuide(tier: INSTANCE, table: "Nope") { columnName } }',
        "{ templates(first: 501) { totalCount } }",
        "{ templates(first: -1) { totalCount } }",
        '{ templates(after: "x") { totalCount } }',
        '{ templates(after: "YzE6MTIz") { totalCount } }',
        f'{{ templates(after: "{servers.pool.cursors[-1]}") {{ totalCount }} }}',
    ):
        mine, theirs, _ = await servers.both(query, None)
        assert mine == theirs


async def test_compiled_reads_see_only_the_callers_instances(servers: Servers) -> None:
    """`Caller.instance_ids` is a WHERE of the plan: another instance's rows are not there."""
    plan = servers.app.state.planner.plan(
        "query($id: ID!) { uows(instanceId: $id) { totalCount edges { node { id } } }"
        " instances { totalCount } templates { totalCount } }",
        None,
    )
    assert plan is not None

    async def read(instance_ids: frozenset[uuid.UUID] | None) -> bytes | None:
        state = servers.app.state
        context = RequestContext(
            tiers=state.tiers,
            events=state.bus,
            telemetry=state.telemetry,
            caller=Caller(kind="test", instance_ids=instance_ids),
        )
        try:
            return await compiled.run(
                state.schema._schema, plan, {"id": servers.instance_id}, context
            )
        finally:
            await context.close()

    everything = json.loads(await read(None) or b"null")["data"]
    assert everything["uows"]["totalCount"] > 0
    assert everything["instances"]["totalCount"] == 1
    nothing = json.loads(await read(frozenset({uuid.UUID(int=9)})) or b"null")["data"]
    assert nothing["uows"] == {"totalCount": 0, "edges": []}
    assert nothing["instances"]["totalCount"] == 0
    assert nothing["templates"] == everything["templates"]  # the template tier has no instances
    own = json.loads(await read(frozenset({uuid.UUID(servers.instance_id)})) or b"null")["data"]
    assert own == everything


def suite_documents() -> list[str]:
    """Every query document written in the test suite (string constants that parse)."""
    found: dict[str, None] = {}
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            text = node.value.strip()
            if not text.startswith(("{", "query")) or len(text) < 6:
                continue
            try:
                document = parse(text)
            except GraphQLSyntaxError:
                continue
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            # An age in seconds differs between the two requests of a comparison.
            clock = "oldestWaitingSeconds" in text
            if (
                len(operations) == 1
                and operations[0].operation is OperationType.QUERY
                and not clock
            ):
                found[text] = None
    return list(found)


def _variables_for(query: str, servers: Servers) -> dict[str, Any]:
    """Values for a document's variables, by the argument each variable is passed to."""
    ids = servers.pool.ids
    by_argument = {
        "instanceId": servers.instance_id,
        "uowId": servers.uow_id,
        "parentId": servers.uow_id,
        "interactionId": ids["LocalInteraction"][0],
        "actorId": ids["Actor"][0],
    }
    by_field = {
        "instance": servers.instance_id,
        "uow": servers.uow_id,
        "actor": ids["Actor"][0],
        "template": ids["TemplateWorkflow"][0],
    }
    values: dict[str, Any] = {}
    document = parse(query)

    class Arguments(Visitor):
        def __init__(self) -> None:
            super().__init__()
            self.field = ""

        def enter_field(self, node: Any, *_: Any) -> None:
            self.field = node.name.value

        def enter_argument(self, node: Any, *_: Any) -> None:
            if isinstance(node.value, VariableNode):
                name, argument = node.value.name.value, node.name.value
                if argument == "id":
                    values[name] = by_field.get(self.field, servers.instance_id)
                elif argument in by_argument:
                    values[name] = by_argument[argument]
                elif argument == "first":
                    values[name] = 3
                elif argument == "name":
                    values[name] = servers.pool.names[0]

    visit(document, Arguments())
    return values


async def test_every_query_of_the_suite_answers_alike(servers: Servers) -> None:
    queries = suite_documents()
    assert len(queries) > 30
    compiled_count = 0
    for query in queries:
        compiled_count += await servers.check(query, _variables_for(query, servers))
    assert compiled_count > len(queries) // 3


async def _check_generated(servers: Servers, data: st.DataObject) -> None:
    """A document generated from the servers' schema and rows answers alike on both."""
    schema = servers.app.state.schema._schema
    query, variables, clean = data.draw(documents(schema, servers.pool))
    await servers.check(query, variables, clean=clean)


@replayable_examples(SQLITE_EXAMPLES)
@given(data=st.data())
async def test_generated_documents_answer_alike_on_sqlite(
    sqlite_servers: Servers, data: st.DataObject
) -> None:
    await _check_generated(sqlite_servers, data)


@pytest.mark.postgres
@replayable_examples(POSTGRES_EXAMPLES)
@given(data=st.data())
async def test_generated_documents_answer_alike_on_postgres(
    postgres_servers: Servers, data: st.DataObject
) -> None:
    await _check_generated(postgres_servers, data)


async def test_most_generated_documents_compiled(sqlite_servers: Servers) -> None:
    """The generator is not wasted on documents that never reach the compiled path. A
    quarter, not more: arguments and fields the planner leaves to the resolvers (`last` and
    `before`, the `uows` filter `attributes`, `stats`, `node`, `graph`, `inbox`) are drawn as
    often as the others. Checked on documents drawn here, so it holds whatever ran before."""
    planner = sqlite_servers.app.state.planner
    schema = sqlite_servers.app.state.schema._schema
    drawn = {"compiled": 0, "all": 0}

    @settings(max_examples=400, derandomize=True, database=None, deadline=None)
    @given(data=st.data())
    def draw(data: st.DataObject) -> None:
        query, _, _ = data.draw(documents(schema, sqlite_servers.pool))
        drawn["all"] += 1
        drawn["compiled"] += planner.plan(query, None) is not None

    draw()
    assert drawn["compiled"] > drawn["all"] // 4, drawn


async def test_a_statement_is_built_once_per_shape_of_the_variables(servers: Servers) -> None:
    query = "query($id: ID!, $n: Int) { uows(instanceId: $id, first: $n) { totalCount } }"
    for first in (1, 2, 3):
        mine, theirs, took_compiled = await servers.both(
            query, {"id": servers.instance_id, "n": first}
        )
        assert took_compiled
        assert mine == theirs
    mine, theirs, took_compiled = await servers.both(query, {"id": str(uuid.UUID(int=3)), "n": 0})
    assert took_compiled
    assert mine == theirs
    plan = servers.app.state.planner.plan(query, None)
    assert len(plan.built) == 2  # `first: 0` has no cursors to show: another statement
