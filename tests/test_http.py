"""GraphQL over HTTP: status codes and media types follow the GraphQL-over-HTTP spec."""

from __future__ import annotations

import uuid

import httpx
import pytest

from gql.app import create_app
from gql.settings import Settings
from tests.client import GraphQLClient
from tests.databases import TierUrls
from tests.raw_sql import RawConnection

GRAPHQL_RESPONSE = "application/graphql-response+json"
QUERY = "{ templates { totalCount } }"


async def test_post_answers_json_by_default(client: GraphQLClient) -> None:
    response = await client.post(QUERY)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"data": {"templates": {"totalCount": 0}}}


async def test_graphql_response_media_type_when_accepted(client: GraphQLClient) -> None:
    response = await client.post(QUERY, accept=GRAPHQL_RESPONSE)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)


async def test_get_serves_queries(client: GraphQLClient) -> None:
    response = await client.http.get("/graphql", params={"query": QUERY})
    assert response.status_code == 200
    assert response.json()["data"]["templates"]["totalCount"] == 0


@pytest.mark.parametrize(
    ("accept", "status"),
    [(GRAPHQL_RESPONSE, 400), ("application/json", 200), (None, 200)],
)
async def test_invalid_document_status_depends_on_media_type(
    client: GraphQLClient, accept: str | None, status: int
) -> None:
    headers = {} if accept is None else {"accept": accept}
    for document in (
        "{ templates { nope } }",
        "{ templates {",
        "query Q($n: Int!) { templates(first: $n) { totalCount } }",
    ):
        response = await client.post(document, **headers)
        assert response.status_code == status, (document, response.text)
        body = response.json()
        assert "data" not in body
        assert body["errors"][0]["message"]


async def test_variable_coercion_failure_is_a_request_error(client: GraphQLClient) -> None:
    query = "query Q($n: Int) { templates(first: $n) { totalCount } }"
    response = await client.http.post(
        "/graphql",
        json={"query": query, "variables": {"n": "ten"}},
        headers={"accept": GRAPHQL_RESPONSE},
    )
    assert response.status_code == 400
    assert "data" not in response.json()


async def test_malformed_requests(client: GraphQLClient) -> None:
    http = client.http
    cases = [
        (
            http.post("/graphql", content=b"{nope", headers={"content-type": "application/json"}),
            400,
        ),
        (http.post("/graphql", json=[{"query": QUERY}]), 400),
        (http.post("/graphql", json={"query": 5}), 400),
        (http.post("/graphql", json={"variables": {}}), 400),
        (http.post("/graphql", json={"query": QUERY, "variables": [1]}), 400),
        (http.post("/graphql", content=QUERY, headers={"content-type": "text/plain"}), 415),
        (http.put("/graphql", json={"query": QUERY}), 405),
        (http.post("/graphql", json={"query": QUERY}, headers={"accept": "text/csv"}), 406),
    ]
    for request, status in cases:
        response = await request
        assert response.status_code == status, response.text
        assert response.json()["errors"][0]["message"]


async def test_mutation_over_get_is_refused_with_405(client: GraphQLClient) -> None:
    response = await client.http.get("/graphql", params={"query": "mutation { __typename }"})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


async def test_unknown_and_malformed_ids_are_clear_errors(client: GraphQLClient) -> None:
    unknown = str(uuid.uuid4())
    errors = await client.errors("query($id: ID!) { template(id: $id) { name } }", {"id": unknown})
    assert errors[0]["message"] == f"no template with id {unknown}"
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    errors = await client.errors('{ instance(id: "not-a-uuid") { name } }')
    assert "not a valid id" in errors[0]["message"]
    assert "Traceback" not in str(errors)


async def test_unknown_enum_value_is_a_validation_error(client: GraphQLClient) -> None:
    response = await client.post("{ instances(status: BOGUS) { totalCount } }")
    assert response.status_code == 200
    assert "BOGUS" in response.json()["errors"][0]["message"]


async def test_page_size_limit_and_bad_cursor(client: GraphQLClient) -> None:
    errors = await client.errors("{ templates(first: 501) { totalCount } }")
    assert "at most 500" in errors[0]["message"]
    errors = await client.errors('{ templates(after: "garbage") { totalCount } }')
    assert "not a cursor" in errors[0]["message"]


async def test_graphiql_in_a_browser(client: GraphQLClient) -> None:
    response = await client.http.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_health_ready_metrics(client: GraphQLClient) -> None:
    assert (await client.http.get("/health")).json() == {"status": "ok"}
    assert (await client.http.get("/ready")).json() == {"status": "ready"}
    await client.post(QUERY)
    metrics = (await client.http.get("/metrics")).text
    assert "chameleon_sql_statements_total" in metrics
    assert "chameleon_graphql_request_seconds_bucket" in metrics


async def test_over_deep_and_alias_flood_queries_are_refused(client: GraphQLClient) -> None:
    deep = "{ templates { edges { node { roles { workflow { roles { workflow { roles { workflow {"
    deep += " roles { workflow { roles { workflow { name } } } } } } } } } } } } } }"
    response = await client.post(deep, accept=GRAPHQL_RESPONSE)
    assert response.status_code == 400
    assert "exceeds maximum operation depth" in response.json()["errors"][0]["message"]
    aliases = "{ " + " ".join(f"a{n}: templates {{ totalCount }}" for n in range(40)) + " }"
    response = await client.post(aliases, accept=GRAPHQL_RESPONSE)
    assert response.status_code == 400
    assert "alias" in response.json()["errors"][0]["message"].lower()


async def test_introspection_can_be_switched_off(db_urls: TierUrls) -> None:
    settings = Settings(
        template_db_url=db_urls.template,
        instance_db_url=db_urls.instance,
        introspection=False,
        graphiql=False,
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.post(
                "/graphql", json={"query": "{ __schema { types { name } } }"}
            )
            assert "introspection" in response.json()["errors"][0]["message"].lower()
            page = await http.get("/graphql", headers={"accept": "text/html"})
            assert "graphiql" not in page.text.lower()


async def test_unexpected_errors_are_masked_with_a_request_id(
    client: GraphQLClient, db_urls: TierUrls, caplog: pytest.LogCaptureFixture
) -> None:
    guide = await client.data(
        '{ schemaGuide(tier: INSTANCE, table: "UnitsOfWork") { columnName } }'
    )
    assert {"columnName": "content_hash"} in guide["schemaGuide"]
    async with RawConnection(db_urls) as raw:  # break the database under the running server
        await raw.execute("DROP VIEW v_ai_schema_guide")
    response = await client.post("{ schemaGuide(tier: INSTANCE) { columnName } }")
    assert response.status_code == 200
    error = response.json()["errors"][0]
    assert error["message"].startswith("Internal error (request id ")
    assert error["extensions"]["code"] == "INTERNAL_ERROR"
    body = response.text.lower()
    assert "v_ai_schema_guide" not in body
    assert "select" not in body
    assert "traceback" not in body
    assert error["extensions"]["requestId"] in caplog.text  # logged in full, findable by id
