"""The compiled mutations (`gql.compiled.mutations`) answer exactly as the resolver path.

Three kinds of evidence:

- the input converters build the very objects Strawberry's `convert_argument` builds, for
  generated values of every mutation's input type;
- two apps, one with compiled mutations and one without, each on its own fresh database
  (SQLite, and PostgreSQL when configured), receive the same generated sequence of engine
  and transition mutations (valid and refused, with generated payload selections, bad ids,
  stale versions, odd JSON, variables that do not coerce) and must answer alike, once the
  ids, times and hashes each database made up are replaced by the order they first appear
  in; afterwards every unit's history reads back alike;
- plain documents are counted as compiled, the others as resolved.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    coerce_input_value,
    get_named_type,
    parse,
)
from graphql.utilities.validate_input_value import validate_input_value
from hypothesis import HealthCheck, assume, find, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from strawberry.types.arguments import convert_argument

from gql.app import create_app
from gql.compiled.inputs import InputConverters
from gql.compiled.mutations import MutationCompiler
from gql.compiled.payloads import NotPlainError, renderer
from gql.settings import Settings
from schema.assemble import build_schema
from storage.enums import LogType, UowStatus
from tests.bench.engine import TEMPLATE as ENGINE_TEMPLATE
from tests.conftest import module_fixtures_per_backend
from tests.databases import PostgresFactory, SqliteFactory, TierUrls
from tests.hypothesis_settings import replayable_examples
from tests.json_values import JSON_VALUES, TEXT

strawberry_schema = build_schema()
GRAPHQL = strawberry_schema._schema
MUTATION = GRAPHQL.mutation_type
assert MUTATION is not None

# --- the input converters ----------------------------------------------------------------


def _input_values(graphql_type: GraphQLInputType) -> st.SearchStrategy[Any]:
    """Values a client may send for `graphql_type` (graphql-core coerces them)."""
    if isinstance(graphql_type, GraphQLNonNull):
        return _non_null_values(graphql_type.of_type)
    return st.one_of(st.none(), _non_null_values(graphql_type))


def _non_null_values(graphql_type: GraphQLInputType) -> st.SearchStrategy[Any]:
    if isinstance(graphql_type, GraphQLList):
        return st.lists(_input_values(graphql_type.of_type), max_size=3)
    if isinstance(graphql_type, GraphQLInputObjectType):
        fields = graphql_type.fields
        required = [n for n, f in fields.items() if isinstance(f.type, GraphQLNonNull)]
        return st.fixed_dictionaries(
            {n: _input_values(fields[n].type) for n in required},
            optional={n: _input_values(f.type) for n, f in fields.items() if n not in required},
        )
    if isinstance(graphql_type, GraphQLEnumType):
        return st.sampled_from(sorted(graphql_type.values))
    assert isinstance(graphql_type, GraphQLScalarType)
    scalars: dict[str, st.SearchStrategy[Any]] = {
        "ID": st.one_of(st.uuids().map(str), TEXT),
        "String": TEXT,
        "Int": st.integers(-(2**31), 2**31 - 1),
        "Float": st.floats(allow_nan=False, allow_infinity=False),
        "Boolean": st.booleans(),
    }
    return scalars.get(graphql_type.name, JSON_VALUES.filter(lambda v: v is not None))


INPUT_ARGUMENTS = sorted(
    (name, f.args["input"].type) for name, f in MUTATION.fields.items() if list(f.args) == ["input"]
)


@pytest.mark.parametrize("name", [name for name, _ in INPUT_ARGUMENTS])
def test_input_converters_build_what_strawberry_builds(name: str) -> None:
    graphql_type = MUTATION.fields[name].args["input"].type
    strawberry_field = MUTATION.fields[name].extensions["strawberry-definition"]
    (argument,) = strawberry_field.arguments
    converter = strawberry_schema.schema_converter
    converters = InputConverters(strawberry_schema.config, converter.scalar_registry)
    convert = converters.of(argument.type)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_input_values(graphql_type))
    def check(raw: Any) -> None:
        problems: list[Any] = []
        validate_input_value(raw, graphql_type, lambda *error: problems.append(error))
        assume(not problems)  # a value graphql-core refuses never reaches a converter
        coerced = coerce_input_value(raw, graphql_type)
        theirs = convert_argument(
            coerced, argument.type, converter.scalar_registry, strawberry_schema.config
        )
        mine = convert(coerced)
        assert type(mine) is type(theirs)
        assert repr(mine) == repr(theirs)

    check()


# --- two apps, one sequence of mutations ---------------------------------------------------

UOW_FIELDS = sorted(
    name
    for name, f in GRAPHQL.type_map["UnitOfWork"].fields.items()  # type: ignore[union-attr]
    if isinstance(get_named_type(f.type), GraphQLScalarType | GraphQLEnumType) and not f.args
)
HISTORY_FIELDS = sorted(
    name
    for name, f in GRAPHQL.type_map["UowHistoryEntry"].fields.items()  # type: ignore[union-attr]
    if isinstance(get_named_type(f.type), GraphQLScalarType | GraphQLEnumType) and not f.args
)
# Relations too: these keep the resolver path on both apps.
UOW_RELATIONS = ["lockedBy { id }", "currentInteraction { name }", "attributes { key value }"]
ERROR_FIELDS = ["code", "message", "path", "rule", "__typename"]
STATUSES = [s.value for s in UowStatus]
CLIENT_LOG_TYPES = [t.value for t in LogType]


def _selection(names: list[str], aliases: list[bool]) -> str:
    return " ".join(
        f"a{i}_{n.split()[0]}: {n}" if alias else n
        for i, (n, alias) in enumerate(zip(names, aliases, strict=False))
    )


@st.composite
def _object_selection(draw: st.DrawFn, fields: list[str], extra: list[str]) -> str:
    chosen = draw(
        st.lists(
            st.sampled_from([*fields, *extra, "__typename"]), min_size=1, max_size=6, unique=True
        )
    )
    aliases = draw(st.lists(st.booleans(), min_size=len(chosen), max_size=len(chosen)))
    return _selection(chosen, aliases)


@st.composite
def payload_selection(draw: st.DrawFn, root: str) -> str:
    parts = []
    relations = draw(st.sampled_from([[], [], [], UOW_RELATIONS]))
    if draw(st.booleans()):
        parts.append(f"uow {{ {draw(_object_selection(UOW_FIELDS, relations))} }}")
    if draw(st.booleans()):
        parts.append(f"historyEntry {{ {draw(_object_selection(HISTORY_FIELDS, []))} }}")
    if root == "submit" and draw(st.booleans()):
        parts.append("route { kind reason componentName guardianName __typename }")
    if root == "recordTelemetry":
        parts = ["accepted"]
    parts.append(f"errors {{ {draw(_object_selection(ERROR_FIELDS, []))} }}")
    if draw(st.booleans()):
        parts.append("__typename")
    return " ".join(parts)


@dataclass
class World:
    """One app and the ids its database made, in the order both apps made them."""

    client: httpx.AsyncClient
    app: Starlette
    instance_id: str = ""
    uows: list[str] = field(default_factory=list)
    actors: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    interactions: list[str] = field(default_factory=list)

    async def post(self, body: dict[str, Any]) -> tuple[int, Any]:
        # Escaped by json.dumps, as a careless client sends them: lone surrogates included.
        response = await self.client.post(
            "/graphql",
            content=json.dumps(body).encode(),
            headers={"content-type": "application/json"},
        )
        return response.status_code, response.json()


# A reference to a world's row: (kind, index) resolved per world, or a literal value.
Ref = tuple[str, int] | str | None


def _resolve(world: World, ref: Ref) -> Any:
    if isinstance(ref, tuple):
        kind, index = ref
        pool: list[str] = getattr(world, kind)
        return pool[index % len(pool)]
    return ref


def _refs(kind: str) -> st.SearchStrategy[Ref]:
    return st.one_of(
        st.tuples(st.just(kind), st.integers(0, 40)),
        st.uuids().map(str),
        st.just("not-a-uuid"),
    )


# The mutations the sequences draw: every one the compiled path can take.
ROOTS = [
    "transitionUow",
    "transitionUows",
    "checkout",
    "submit",
    "reportFailure",
    "recordTelemetry",
    "startWork",
    "heartbeat",
]


@st.composite
def step(draw: st.DrawFn) -> tuple[str, str, dict[str, Any]]:
    """(root field, document, symbolic input) of one mutation."""
    root = draw(st.sampled_from(ROOTS))
    attributes = st.one_of(
        st.none(),
        st.dictionaries(st.sampled_from(["score", "lap", "note"]), JSON_VALUES, max_size=3),
    )
    version = st.one_of(st.none(), st.integers(0, 6))

    def transition() -> dict[str, Any]:
        return {
            "uowId": draw(_refs("uows")),
            "toStatus": draw(st.one_of(st.none(), st.sampled_from(STATUSES))),
            "toInteractionId": draw(st.one_of(st.none(), _refs("interactions"))),
            "actorId": draw(st.one_of(st.none(), _refs("actors"))),
            "reasoning": draw(st.one_of(st.none(), TEXT)),
            "attributes": draw(attributes),
            "expectedVersion": draw(version),
        }

    if root == "transitionUow":
        data = transition()
    elif root == "transitionUows":
        data = {"items": [transition() for _ in range(draw(st.integers(0, 3)))]}
    elif root == "checkout":
        data = {"roleId": draw(_refs("roles")), "actorId": draw(_refs("actors"))}
    elif root == "submit":
        data = {
            "uowId": draw(_refs("uows")),
            "actorId": draw(_refs("actors")),
            "attributes": draw(attributes),
            "expectedVersion": draw(version),
            "reasoning": draw(st.one_of(st.none(), TEXT)),
        }
    elif root == "reportFailure":
        data = {
            "uowId": draw(_refs("uows")),
            "actorId": draw(_refs("actors")),
            "error": draw(JSON_VALUES),
        }
    elif root == "recordTelemetry":
        data = {
            "instanceId": draw(st.one_of(st.just(("instance_id", 0)), _refs("uows"))),
            "uowId": draw(st.one_of(st.none(), _refs("uows"))),
            "logType": draw(st.sampled_from(CLIENT_LOG_TYPES)),
            "details": draw(JSON_VALUES),
        }
    elif root == "startWork":
        data = {"instanceId": ("instance_id", 0), "attributes": draw(attributes)}
    else:
        data = {"uowId": draw(_refs("uows")), "actorId": draw(_refs("actors"))}
    data = {k: v for k, v in data.items() if v is not None or draw(st.booleans())}
    selection = draw(payload_selection(root))
    if root == "transitionUows":
        selection = f"results {{ {selection} }} errors {{ code path }}"
    type_name = MUTATION.fields[root].args["input"].type  # type: ignore[union-attr]
    named = get_named_type(type_name).name
    document = f"mutation($input: {named}!) {{ {root}(input: $input) {{ {selection} }} }}"
    if draw(st.integers(0, 9)) == 0:  # a variable that does not coerce: the resolvers report
        data = {**data, "unknownField": 1}
    return root, document, data


def _materialise(world: World, data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _materialise(world, v) for k, v in data.items()}
    if isinstance(data, list):
        return [_materialise(world, v) for v in data]
    if isinstance(data, tuple):
        if data[0] == "instance_id":
            return world.instance_id
        return _resolve(world, data)
    return data


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)?")
HASH = re.compile(r"\b[0-9a-f]{64}\b")
REQUEST = re.compile(r"request id [0-9a-f]+")
ERROR_IDS = re.compile(r'"(requestId|errorId)": "[0-9a-f]+"')


class Normaliser:
    """Each made-up value replaced by its kind and the order it first appeared in."""

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}

    def __call__(self, body: Any) -> str:
        text = json.dumps(body, sort_keys=False, ensure_ascii=False)

        def token(kind: str) -> Any:
            def replace(match: re.Match[str]) -> str:
                value = match.group(0)
                if value not in self.seen:
                    self.seen[value] = f"<{kind}{len(self.seen)}>"
                return self.seen[value]

            return replace

        text = UUID.sub(token("id"), text)
        text = HASH.sub(token("hash"), text)
        text = TIME.sub("<time>", text)
        text = ERROR_IDS.sub(r'"\1": "<r>"', text)
        return REQUEST.sub("request id <r>", text)


@dataclass
class Worlds:
    compiled: World
    resolved: World
    normalisers: tuple[Normaliser, Normaliser] = field(
        default_factory=lambda: (Normaliser(), Normaliser())
    )

    async def both(self, body: dict[str, Any]) -> tuple[Any, Any]:
        answers = []
        for world, normalise in zip((self.compiled, self.resolved), self.normalisers, strict=True):
            materialised = {**body, "variables": _materialise(world, body.get("variables"))}
            status, answer = await world.post(materialised)
            answers.append((status, normalise(answer)))
        return answers[0], answers[1]


SETUP_IMPORT = (
    "mutation($yaml: String!) { importTemplate(input: {yaml: $yaml}) { errors { code } } }"
)
SETUP_INSTANTIATE = """mutation($input: InstantiateInput!) {
  instantiate(input: $input) { instance { id } errors { code message } } }"""
MAP = """query($id: ID!) { instance(id: $id) {
  actors { id name } workflows { name roles { id name } interactions { id name } } } }"""
START = (
    "mutation($input: StartWorkInput!) { startWork(input: $input) { uow { id } errors { code } } }"
)
HISTORY = """query($id: ID!) { uow(id: $id) { status version retryCount contentHash
  attributes { key value version } history(first: 100) { edges { node {
  previousStatus newStatus reasoning } } } } }"""


async def _populate(world: World) -> None:
    status, body = await world.post({"query": SETUP_IMPORT, "variables": {"yaml": ENGINE_TEMPLATE}})
    assert status == 200, body
    assert body["data"]["importTemplate"]["errors"] == [], body
    actors = [
        {
            "name": f"actor {n}",
            "identityKey": f"a{n}",
            "type": "AI_AGENT",
            "roles": ["Intake", "Reviewer", "Returner", "Archive", "Fixer"],
        }
        for n in range(3)
    ]
    status, body = await world.post(
        {
            "query": SETUP_INSTANTIATE,
            "variables": {"input": {"templateName": "Bench_Loop", "name": "w", "actors": actors}},
        }
    )
    assert body["data"]["instantiate"]["errors"] == [], body
    world.instance_id = body["data"]["instantiate"]["instance"]["id"]
    status, body = await world.post({"query": MAP, "variables": {"id": world.instance_id}})
    instance = body["data"]["instance"]
    world.actors = [a["id"] for a in sorted(instance["actors"], key=lambda a: a["name"])]
    for workflow in sorted(instance["workflows"], key=lambda w: w["name"]):
        world.roles += [r["id"] for r in sorted(workflow["roles"], key=lambda r: r["name"])]
        world.interactions += [
            i["id"] for i in sorted(workflow["interactions"], key=lambda i: i["name"])
        ]
    for n in range(8):
        status, body = await world.post(
            {
                "query": START,
                "variables": {
                    "input": {"instanceId": world.instance_id, "attributes": {"lap": n, "score": n}}
                },
            }
        )
        assert body["data"]["startWork"]["errors"] == [], body
        world.uows.append(body["data"]["startWork"]["uow"]["id"])


@contextlib.asynccontextmanager
async def _worlds(factory: SqliteFactory | PostgresFactory) -> AsyncIterator[Worlds]:
    made = []
    async with contextlib.AsyncExitStack() as stack:
        for on in (True, False):
            urls: TierUrls = await factory.create()
            stack.push_async_callback(factory.drop, urls)
            app = create_app(
                Settings(
                    template_db_url=urls.template,
                    instance_db_url=urls.instance,
                    compiled_mutations=on,
                )
            )
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
            stack.push_async_callback(client.aclose)
            world = World(client, app)
            await _populate(world)
            made.append(world)
        yield Worlds(made[0], made[1])


sqlite_worlds, postgres_worlds, worlds = module_fixtures_per_backend("worlds", _worlds)


def _counted(app: Starlette, path: str) -> float:
    metrics = app.state.metrics  # type: ignore[attr-defined]
    return float(metrics.operations.labels(path=path)._value.get())


@replayable_examples(150)
@given(steps=st.lists(step(), min_size=1, max_size=6))
async def test_a_sequence_of_mutations_answers_alike(
    worlds: Worlds, steps: list[tuple[str, str, dict[str, Any]]]
) -> None:
    for root, document, data in steps:
        mine, theirs = await worlds.both({"query": document, "variables": {"input": data}})
        assert mine == theirs, (root, document, data)
        assert "INTERNAL_ERROR" not in mine[1], (root, document, data, mine)


async def test_the_histories_read_back_alike(worlds: Worlds) -> None:
    """Run after the generated sequences (module order): what they wrote is the same."""
    for index in range(len(worlds.compiled.uows)):
        body = {"query": HISTORY, "variables": {"id": ("uows", index)}}
        mine, theirs = await worlds.both(body)
        assert mine == theirs


@pytest.mark.parametrize("root", ROOTS)
def test_the_generator_draws_every_mutation_with_a_plain_payload(root: str) -> None:
    """The sequences are not wasted: each mutation is drawn, and drawn with a payload the
    compiled path takes (no relationship field), so both paths are really compared."""
    plain = find(
        step(),
        lambda s: s[0] == root and "lockedBy" not in s[1] and "unknownField" not in s[2],
        settings=settings(database=None, max_examples=2_000),
    )
    compiled = MutationCompiler(GRAPHQL).plan(
        parse(plain[1]).definitions[0],  # type: ignore[arg-type]
        {},
    )
    assert compiled.key == root


PLAIN = """mutation($input: TransitionUowInput!) {
  transitionUow(input: $input) { uow { id status version } errors { code message path } } }"""
WITH_A_RELATION = """mutation($input: TransitionUowInput!) {
  transitionUow(input: $input) { uow { id lockedBy { id } } errors { code } } }"""


@pytest.mark.parametrize(("document", "path"), [(PLAIN, "compiled"), (WITH_A_RELATION, "resolved")])
async def test_plain_payloads_take_the_compiled_path(
    worlds: Worlds, document: str, path: str
) -> None:
    world = worlds.compiled
    before = _counted(world.app, path)
    status, body = await world.post(
        {
            "query": document,
            "variables": {"input": {"uowId": str(uuid.uuid4()), "toStatus": "ACTIVE"}},
        }
    )
    assert status == 200
    assert body["data"]["transitionUow"]["errors"][0]["code"] == "NOT_FOUND"
    assert _counted(world.app, path) == before + 1


def test_what_a_payload_renderer_refuses() -> None:
    """Fragments, directives, arguments and fields that need `info` stay resolved."""
    payload = MUTATION.fields["transitionUow"].type
    for selection in (
        "{ uow { ...F } }",
        "{ uow { id @include(if: true) } }",
        "{ uow { history(first: 1) { totalCount } } }",
        "{ uow { lockedBy { id } } }",
        "{ errors { code } errors { code } }",
    ):
        operation = parse(f"mutation {{ transitionUow(input: {{uowId: 1}}) {selection} }}")
        node = operation.definitions[0].selection_set.selections[0]  # type: ignore[attr-defined]
        with pytest.raises(NotPlainError):
            renderer(payload, node.selection_set)


def test_mutation_resolvers_read_only_the_context_of_info() -> None:
    """The compiled path hands resolvers an `info` that holds the context alone
    (`gql.compiled.mutations._Resolving`): a resolver reading more of it must say so here."""
    for name, graphql_field in MUTATION.fields.items():
        resolver = graphql_field.extensions["strawberry-definition"].base_resolver
        source = inspect.getsource(resolver.wrapped_func)
        info = resolver.info_parameter.name
        used = set(re.findall(rf"\b{info}\.(\w+)", source))
        assert used <= {"context"}, (name, used)
