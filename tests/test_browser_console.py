"""The console in a real headless Chromium that can reach 127.0.0.1 only, on the demo data:
the instances page, the workflow graph (drawn from the API, counts kept live by the
telemetry subscription), a unit of work's timeline, verify and pilot move, the live feed."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator, Page, expect

from gql.app import create_app
from gql.settings import Settings
from tests.browser import OfflinePage, demo_server, offline_page
from tests.databases import TierUrls
from tests.live_server import LiveServer, serve

GRAPH = """query Graph {
  instances(first: 1) { edges { node { id masterWorkflow {
    roles { id }
    interactions { id waiting: uows(status: PENDING, first: 0) { totalCount } }
    components { id guardians { name } }
  } } } }
}"""
PENDING = """query Pending($id: ID!) {
  uows(instanceId: $id, status: PENDING, first: 100) {
    edges { node { id currentInteraction { id } workflow { isMaster } } }
  }
}"""
WAITING = """query Waiting($id: ID!) {
  uow: uows(instanceId: $id, first: 0) { totalCount }
  instance(id: $id) { masterWorkflow { interactions {
    id waiting: uows(status: PENDING, first: 0) { totalCount }
  } } }
}"""
HISTORY = "query History($id: ID!) { uow(id: $id) { history(first: 100) { totalCount } } }"
MOVE = """mutation Move($id: ID!, $to: UowStatus!) {
  transitionUow(input: { uowId: $id, toStatus: $to, reasoning: "browser test" }) {
    errors { code message }
  }
}"""


@pytest.fixture
async def server(db_urls: TierUrls) -> AsyncIterator[LiveServer]:
    async with demo_server(db_urls) as live:
        yield live


async def _data(http: httpx.AsyncClient, query: str, **variables: str) -> dict[str, Any]:
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    body = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def _move(http: httpx.AsyncClient, unit: str, to: str) -> None:
    answer = await _data(http, MOVE, id=unit, to=to)
    assert answer["transitionUow"]["errors"] == []


async def _waiting(http: httpx.AsyncClient, instance: str) -> dict[str, int]:
    data = await _data(http, WAITING, id=instance)
    interactions = data["instance"]["masterWorkflow"]["interactions"]
    return {i["id"]: i["waiting"]["totalCount"] for i in interactions}


def _count(page: Page, interaction: str) -> Locator:
    """The number of units drawn as waiting at an interaction."""
    return page.locator(f'[data-interaction="{interaction}"] .waiting')


async def _until_event(
    page: Page, http: httpx.AsyncClient, unit: str, selector: str, tries: int = 20
) -> None:
    """Moves `unit` back and forth until an event row appears: the subscription starts a
    moment after the page; each wait is bounded and nothing sleeps a fixed time."""
    for attempt in range(tries):
        await _move(http, unit, "PAUSED" if attempt % 2 == 0 else "PENDING")
        try:
            await page.wait_for_selector(selector, state="attached", timeout=1_000)
        except PlaywrightError:
            continue
        if attempt % 2 == 0:
            await _move(http, unit, "PENDING")  # leave it as it was
        return
    raise AssertionError(f"no event appeared in {selector}")


async def test_console_pages_live_graph_and_unit_of_work(server: LiveServer) -> None:
    base = f"http://127.0.0.1:{server.port}"
    async with httpx.AsyncClient(base_url=base) as http, offline_page() as offline:
        page = offline.page
        instance_node = (await _data(http, GRAPH))["instances"]["edges"][0]["node"]
        instance, master = instance_node["id"], instance_node["masterWorkflow"]
        pending = (await _data(http, PENDING, id=instance))["uows"]["edges"]
        at_master = [e["node"] for e in pending if e["node"]["workflow"]["isMaster"]]
        warm_up, measured = at_master[0]["id"], at_master[1]

        # Instances: the demo instance with its counts.
        await page.goto(f"{base}/console/")
        row = page.locator(f'[data-instance="{instance}"]')
        await row.wait_for()
        assert "Loan_Demo" in await row.inner_text()
        await offline.screenshot("console-instances")

        # The graph: every role, interaction and component of the master workflow.
        await row.locator("a.strong").click()
        await page.wait_for_selector("svg.workflow-graph [data-interaction]")
        drawn_interactions = await page.eval_on_selector_all(
            "[data-interaction]", "nodes => nodes.map(n => n.dataset.interaction)"
        )
        assert sorted(drawn_interactions) == sorted(i["id"] for i in master["interactions"])
        drawn_roles = await page.eval_on_selector_all(
            "[data-role]", "nodes => nodes.map(n => n.dataset.role)"
        )
        assert sorted(drawn_roles) == sorted(r["id"] for r in master["roles"])
        drawn_components = await page.eval_on_selector_all(
            "path[data-component]", "paths => paths.map(p => p.dataset.component)"
        )
        assert sorted(drawn_components) == sorted(c["id"] for c in master["components"])
        labels = await page.eval_on_selector_all(
            "[data-guardians]", "labels => labels.map(l => l.dataset.guardians)"
        )
        guarded = [",".join(g["name"] for g in c["guardians"]) for c in master["components"]]
        assert sorted(labels) == sorted(g for g in guarded if g)
        for interaction in master["interactions"]:
            drawn = await _count(page, interaction["id"]).text_content()
            assert drawn == str(interaction["waiting"]["totalCount"])

        # Live: once the subscription delivers, a transition made over HTTP shows in the
        # graph within a second.
        await page.wait_for_selector("#connection.live")
        await _until_event(page, http, warm_up, ".feed.compact li")
        truth = await _waiting(http, instance)
        for interaction, waiting in truth.items():  # settled: reconciled with the API
            await expect(_count(page, interaction)).to_have_text(str(waiting), timeout=5_000)
        where = measured["currentInteraction"]["id"]
        await _move(http, measured["id"], "PAUSED")
        started = time.monotonic()
        await expect(_count(page, where)).to_have_text(str(truth[where] - 1), timeout=1_000)
        print(f"transition drawn {time.monotonic() - started:.3f} s after its HTTP answer")
        await offline.screenshot("console-instance-graph")

        # The unit of work: its timeline, a verify, and the pilot move back.
        history = (await _data(http, HISTORY, id=measured["id"]))["uow"]["history"]["totalCount"]
        await page.goto(f"{base}/console/#/uow/{measured['id']}")
        await page.wait_for_selector("#timeline li")
        assert await page.locator("#timeline li").count() == history
        assert "PAUSED" in await page.locator("#timeline li").last.inner_text()
        await page.click("#verify")
        await page.wait_for_selector("#verdict.ok")
        await offline.screenshot("console-unit-of-work")
        await page.click('button[data-to="PENDING"]')
        await expect(page.locator("#timeline li")).to_have_count(history + 1, timeout=5_000)
        assert "PENDING" in await page.locator(".title-row .badge").inner_text()

        await _events_filtered_by_unit(offline, http, base, instance, warm_up)
        offline.assert_clean()


async def _events_filtered_by_unit(
    offline: OfflinePage, http: httpx.AsyncClient, base: str, instance: str, unit: str
) -> None:
    page = offline.page
    await page.goto(f"{base}/console/#/events/{instance}")
    await page.wait_for_selector(".filters input[type=search]")
    await page.fill(".filters input[type=search]", unit)
    await page.press(".filters input[type=search]", "Enter")
    await page.wait_for_selector("#connection.live")
    await _until_event(page, http, unit, "#feed li")
    units = await page.eval_on_selector_all("#feed li a", "links => links.map(a => a.href)")
    assert units
    assert all(href.endswith(f"#/uow/{unit}") for href in units)
    await offline.screenshot("console-events")


async def test_console_off_is_not_served(db_urls: TierUrls) -> None:
    settings = Settings(
        template_db_url=db_urls.template, instance_db_url=db_urls.instance, console=False
    )
    async with (
        serve(create_app(settings)) as live,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{live.port}") as http,
    ):
        assert (await http.get("/console/")).status_code == 404
        assert (await http.get("/console/app.js")).status_code == 404


async def test_console_is_served_with_a_self_only_policy(live: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{live.port}") as http:
        home = await http.get("/")
        assert home.status_code in (302, 307)
        assert home.headers["location"] == "console/"
        page = await http.get("/console/")
        assert page.status_code == 200
        assert '<script type="module" src="app.js">' in page.text
        policy = page.headers["content-security-policy"]
        assert "default-src 'self'" in policy
        assert "connect-src 'self'" in policy
        module = await http.get("/console/api.js")
        assert module.headers["content-type"].startswith("text/javascript")
        assert (await http.get("/console/../gql/app.py")).status_code == 404
