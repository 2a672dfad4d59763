"""GraphiQL in a real headless Chromium that can reach 127.0.0.1 only: the page renders
from this server's own files, runs a query, and shows a subscription's events."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from urllib.parse import quote

import httpx

from gql import graphiql, vendor
from tests.browser import (
    RESPONSE,
    api_data,
    await_transition_in_graphiql,
    offline_page,
)
from tests.live_server import LiveServer

UNITS = """query Pending($id: ID!) {
  uows(instanceId: $id, status: PENDING, first: 1) { edges { node { id } } }
}"""
INSTANCES = "query Demo { instances(first: 1) { edges { node { id } } } }"


async def test_graphiql_renders_and_runs_a_query_offline(demo_live: LiveServer) -> None:
    async with offline_page() as offline:
        page = offline.page
        await page.goto(f"http://127.0.0.1:{demo_live.port}/graphql")
        await page.wait_for_selector(".graphiql-query-editor .CodeMirror")
        await page.wait_for_selector(".graphiql-execute-button")
        # The default document lists the instances; run it as a user would.
        await page.click(".graphiql-execute-button")
        await page.wait_for_function(f"({RESPONSE}).includes('Loan_Demo')", timeout=10_000)
        result = await page.evaluate(RESPONSE)
        assert '"status": "ACTIVE"' in result
        await offline.screenshot("graphiql-query")
        offline.assert_clean()


async def test_graphiql_shows_subscription_events(demo_live: LiveServer) -> None:
    base = f"http://127.0.0.1:{demo_live.port}"
    async with httpx.AsyncClient(base_url=base) as http:
        instance = (await api_data(http, INSTANCES))["instances"]["edges"][0]["node"]["id"]
        unit = (await api_data(http, UNITS, id=instance))["uows"]["edges"][0]["node"]["id"]
        document = (
            "subscription Moves {\n"
            f'  uowTransitions(instanceId: "{instance}", uowId: "{unit}") {{\n'
            "    previousStatus newStatus reasoning\n  }\n}\n"
        )
        async with offline_page() as offline:
            page = offline.page
            await page.goto(f"{base}/graphql#query={quote(document)}")
            await page.wait_for_selector(".graphiql-execute-button")
            await page.click(".graphiql-execute-button")
            await await_transition_in_graphiql(page, http, unit)
            await offline.screenshot("graphiql-subscription")
            offline.assert_clean()


async def test_graphiql_page_pins_every_asset(demo_live: LiveServer) -> None:
    """Every script and style the page names is served here and matches its integrity."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{demo_live.port}") as http:
        page = await http.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 200
        for asset in vendor.assets():
            assert f'integrity="{asset.integrity}"' in page.text
            served = await http.get(f"/static/{asset.url_path}")
            assert served.status_code == 200, asset.url_path
            digest = base64.b64encode(hashlib.sha512(served.content).digest()).decode()
            assert f"sha512-{digest}" == asset.integrity
        assert "unpkg" not in page.text
        assert "https://" not in page.text
        for escape in ("/static/vendor/../vendor.lock.json", "/static/graphiql/../../app.py"):
            assert (await http.get(escape)).status_code == 404


def test_missing_assets_page_names_the_command(tmp_path: Path) -> None:
    status, body = graphiql.page(root=tmp_path)
    assert status == 503
    assert "make install" in body
    assert "python -m gql.vendor" in body
    assert "graphiql.min.js" in body
