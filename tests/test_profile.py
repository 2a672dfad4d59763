"""The production profile (issue 13): GraphiQL, introspection, field suggestions and
/metrics on the main port are off unless enabled one by one; suggestions are off whenever
introspection is, in any profile (they would name the hidden fields)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from gql.app import create_app
from gql.settings import Settings
from tests.conftest import BACKENDS
from tests.databases import TierUrls
from tests.live_server import serve
from tests.processes import free_port

SQLITE_ONLY = pytest.mark.parametrize(
    "db_factory", [p for p in BACKENDS if p.id == "sqlite"], indirect=True
)
pytestmark = SQLITE_ONLY  # what the profile hides does not depend on the database

UNKNOWN_ID = "00000000-0000-0000-0000-000000000000"
# Documents a client mistypes, each answered by graphql-core with a suggestion naming a
# real field, argument, enum value, input field or type of the schema.
MISTAKES: list[tuple[str, dict[str, Any] | None, str]] = [
    ("{ instancez { totalCount } }", None, "'instances'"),
    ("{ instances(firstt: 1) { totalCount } }", None, "'first'"),
    (
        f'{{ uows(instanceId: "{UNKNOWN_ID}", status: ACTIV) {{ totalCount }} }}',
        None,
        "'ACTIVE'",
    ),
    ("query($x: Instanc) { __typename }", None, "'Instance'"),
    (
        "mutation($i: RecordTelemetryInput!) { recordTelemetry(input: $i) { accepted } }",
        {"i": {"instanceId": UNKNOWN_ID, "logType": "TELEMETRY", "detals": {}}},
        "'details'",
    ),
]


@asynccontextmanager
async def client_of(db_urls: TierUrls, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(
        Settings(template_db_url=db_urls.template, instance_db_url=db_urls.instance, **settings)
    )
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            yield http


async def messages(http: httpx.AsyncClient, query: str, variables: Any) -> str:
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    response = await http.post("/graphql", json=body)
    assert response.status_code == 200, response.text
    errors = response.json()["errors"]
    return " | ".join(error["message"] for error in errors)


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param({"profile": "production"}, id="production"),
        pytest.param({"introspection": False}, id="development-without-introspection"),
        pytest.param(
            {"introspection": False, "field_suggestions": True},
            id="suggestions-asked-for-without-introspection",
        ),
    ],
)
async def test_errors_name_nothing_of_the_schema(
    db_urls: TierUrls, settings: dict[str, Any]
) -> None:
    async with client_of(db_urls, **settings) as http:
        for query, variables, name in MISTAKES:
            text = await messages(http, query, variables)
            assert "Did you mean" not in text, text
            assert name not in text, text


async def test_development_suggests(db_urls: TierUrls) -> None:
    """The oracle of the test above: each mistake does draw a suggestion by default."""
    async with client_of(db_urls) as http:
        for query, variables, name in MISTAKES:
            text = await messages(http, query, variables)
            assert "Did you mean" in text, text
            assert name in text, text


async def test_production_hides_introspection_graphiql_and_metrics(db_urls: TierUrls) -> None:
    async with client_of(db_urls, profile="production") as http:
        text = await messages(http, "{ __schema { types { name } } }", None)
        assert "introspection has been disabled" in text
        page = await http.get("/graphql", headers={"accept": "text/html"})
        assert "graphiql" not in page.text.lower()
        assert (await http.get("/metrics")).status_code == 404
        assert (await http.get("/console/")).status_code == 404
        assert (await http.get("/health")).status_code == 200
        answer = await http.post("/graphql", json={"query": "{ instances { totalCount } }"})
        assert answer.json() == {"data": {"instances": {"totalCount": 0}}}


async def test_production_enables_each_one_by_one(db_urls: TierUrls) -> None:
    async with client_of(db_urls, profile="production", introspection=True) as http:
        response = await http.post(
            "/graphql", json={"query": "{ __schema { queryType { name } } }"}
        )
        assert response.json()["data"]["__schema"]["queryType"]["name"] == "Query"
        assert "Did you mean" not in await messages(http, MISTAKES[0][0], None)
        assert "graphiql" not in (await http.get("/graphql", headers={"accept": "text/html"})).text
    async with client_of(db_urls, profile="production", graphiql=True) as http:
        page = await http.get("/graphql", headers={"accept": "text/html"})
        assert "graphiql" in page.text.lower()
        assert (await http.get("/console/")).status_code == 404
    async with client_of(db_urls, profile="production", console=True) as http:
        assert (await http.get("/console/")).status_code == 200
    async with client_of(
        db_urls, profile="production", introspection=True, field_suggestions=True
    ) as http:
        assert "Did you mean 'instance'" in await messages(http, MISTAKES[0][0], None)


@pytest.mark.parametrize("profile", ["production", "development"])
async def test_metrics_on_a_port_of_their_own(db_urls: TierUrls, profile: str) -> None:
    port = free_port()
    settings = Settings(
        template_db_url=db_urls.template,
        instance_db_url=db_urls.instance,
        profile=profile,  # type: ignore[arg-type]
        metrics_port=port,
    )
    async with serve(create_app(settings)) as live, httpx.AsyncClient() as http:
        await http.post(live.http_url, json={"query": "{ instances { totalCount } }"})
        scraped = await http.get(f"http://127.0.0.1:{port}/metrics")
        assert scraped.status_code == 200
        assert 'chameleon_graphql_requests_total{status="200"} 1.0' in scraped.text
        assert (await http.get(f"http://127.0.0.1:{live.port}/metrics")).status_code == 404
        # Only /metrics there: the API is not served on the operator's port.
        assert (await http.post(f"http://127.0.0.1:{port}/graphql", json={})).status_code == 404
    async with httpx.AsyncClient() as http:
        with pytest.raises(httpx.ConnectError):  # the listener stopped with the server
            await http.get(f"http://127.0.0.1:{port}/metrics")
