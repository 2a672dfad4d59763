"""The console in a real headless Chromium that can reach 127.0.0.1 only, on the demo data:
the instances page and instance summary (Instance.stats as the API gives it), the workflow
graph (drawn from the API, counts kept live by the telemetry subscription), a unit of work's
timeline, verify and pilot move, the live feed; checking out and submitting from the
console; history and logs newest first, paged back to their first rows."""

from __future__ import annotations

import time
from typing import Any

import httpx
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator, Page, expect

from gql.app import create_app
from gql.settings import Settings
from tests.browser import OfflinePage, api_data, move, offline_page
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
STATS = """query Stats($id: ID!) {
  instance(id: $id) { stats {
    total byStatus { status count } byInteraction { interactionId waiting }
  } }
}"""
DEMO = """query Demo($id: ID!) {
  instance(id: $id) {
    actors { id roles { id } }
    masterWorkflow { interactions { id name } roles { id name } }
  }
}"""
UNIT = """query Unit($id: ID!) {
  uow(id: $id) {
    status lockedBy { id } currentInteraction { id name } attributes { key value }
    history(first: 500) { totalCount edges { node { id } } }
    logs(first: 500) { totalCount edges { node { id } } }
  }
}"""
HISTORY = "query History($id: ID!) { uow(id: $id) { history(first: 100) { totalCount } } }"


async def _stats(http: httpx.AsyncClient, instance: str) -> dict[str, Any]:
    """The instance's counts as the API gives them: by status, and waiting per interaction."""
    stats = (await api_data(http, STATS, id=instance))["instance"]["stats"]
    return {
        "total": stats["total"],
        "by_status": {s["status"]: s["count"] for s in stats["byStatus"]},
        "waiting": {i["interactionId"]: i["waiting"] for i in stats["byInteraction"]},
    }


async def _refused_then_sent(tab: Page, button: str, field: str, problem: str, value: str) -> None:
    """Clicks `button`: the console refuses what `field` holds with a problem saying
    `problem`, sends nothing; with `value` in `field`, the next click reaches the engine."""
    await tab.click(button)
    await expect(tab.locator("#engine-message .problem")).to_contain_text(problem)
    await tab.fill(field, value)
    await tab.click(button)
    await tab.wait_for_selector("#engine-done")


async def _released(http: httpx.AsyncClient, unit: str) -> dict[str, Any]:
    """The unit of work as the API gives it, checked to be held by no one."""
    uow: dict[str, Any] = (await api_data(http, UNIT, id=unit))["uow"]
    assert uow["lockedBy"] is None
    return uow


async def _waiting(http: httpx.AsyncClient, instance: str) -> dict[str, int]:
    data = await api_data(http, WAITING, id=instance)
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
        await move(http, unit, "PAUSED" if attempt % 2 == 0 else "PENDING")
        try:
            await page.wait_for_selector(selector, state="attached", timeout=1_000)
        except PlaywrightError:
            continue
        if attempt % 2 == 0:
            await move(http, unit, "PENDING")  # leave it as it was
        return
    raise AssertionError(f"no event appeared in {selector}")


async def test_console_pages_live_graph_and_unit_of_work(demo_live: LiveServer) -> None:
    base = f"http://127.0.0.1:{demo_live.port}"
    async with httpx.AsyncClient(base_url=base) as http, offline_page() as offline:
        page = offline.page
        instance_node = (await api_data(http, GRAPH))["instances"]["edges"][0]["node"]
        instance, master = instance_node["id"], instance_node["masterWorkflow"]
        pending = (await api_data(http, PENDING, id=instance))["uows"]["edges"]
        at_master = [e["node"] for e in pending if e["node"]["workflow"]["isMaster"]]
        warm_up, measured = at_master[0]["id"], at_master[1]

        # Instances: the demo instance with its counts.
        await page.goto(f"{base}/console/")
        row = page.locator(f'[data-instance="{instance}"]')
        await row.wait_for()
        assert "Loan_Demo" in await row.inner_text()
        stats = await _stats(http, instance)
        assert await row.locator("[data-total]").inner_text() == f"{stats['total']:,}"
        for status in ("PENDING", "ACTIVE", "COMPLETED"):
            cell = await row.locator(f'[data-status="{status}"]').inner_text()
            assert cell == f"{stats['by_status'].get(status, 0):,}", status
        await offline.screenshot("console-instances")

        # The graph: every role, interaction and component of the master workflow.
        await row.locator("a.strong").click()
        await page.wait_for_selector("svg.workflow-graph [data-interaction]")
        assert await page.inner_text("#total") == f"{stats['total']:,}"
        legend = await page.eval_on_selector_all(
            "#summary [data-status]",
            "items => items.map(i => [i.dataset.status, i.querySelector('dd').textContent])",
        )
        assert dict(legend) == {k: f"{v:,}" for k, v in stats["by_status"].items() if v}
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
        await move(http, measured["id"], "PAUSED")
        started = time.monotonic()
        await expect(_count(page, where)).to_have_text(str(truth[where] - 1), timeout=1_000)
        print(f"transition drawn {time.monotonic() - started:.3f} s after its HTTP answer")
        await offline.screenshot("console-instance-graph")

        # The unit of work: its timeline, a verify, and the pilot move back.
        history = (await api_data(http, HISTORY, id=measured["id"]))["uow"]["history"]["totalCount"]
        await page.goto(f"{base}/console/#/uow/{measured['id']}")
        await page.wait_for_selector("#timeline li")
        assert await page.locator("#timeline li").count() == history
        assert "PAUSED" in await page.locator("#timeline li").first.inner_text()  # newest first
        await page.click("#verify")
        await page.wait_for_selector("#verdict.ok")
        await offline.screenshot("console-unit-of-work")
        await page.click('button[data-to="PENDING"]')
        await expect(page.locator("#timeline li")).to_have_count(history + 1, timeout=5_000)
        assert "PENDING" in await page.locator("#timeline li").first.inner_text()
        assert "PENDING" in await page.locator(".title-row .badge").inner_text()

        await _events_filtered_by_unit(offline, http, base, instance, warm_up)
        offline.assert_clean()


async def test_console_checkout_submit_and_older_pages(demo_live: LiveServer) -> None:
    """An actor checks work out from the graph page and submits it from the unit's page
    (another tab): the graph that stays open follows both moves. The unit's history and
    logs, longer than a page, come newest first and "load older" reaches their first rows.
    Then the unit's page checks it out again and reports a failure."""
    base = f"http://127.0.0.1:{demo_live.port}"
    async with httpx.AsyncClient(base_url=base) as http, offline_page() as offline:
        page = offline.page
        instance = (await api_data(http, GRAPH))["instances"]["edges"][0]["node"]["id"]
        demo = (await api_data(http, DEMO, id=instance))["instance"]
        # Demo data: Document_Splitter takes new applications from Applications.
        master = demo["masterWorkflow"]
        applications = next(i["id"] for i in master["interactions"] if i["name"] == "Applications")
        splitter = next(r["id"] for r in master["roles"] if r["name"] == "Document_Splitter")
        actor = next(a["id"] for a in demo["actors"] if splitter in [r["id"] for r in a["roles"]])
        before = await _stats(http, instance)

        # Check out from the graph page: the unit is held, the graph's count drops by one.
        await page.goto(f"{base}/console/#/instance/{instance}")
        await page.wait_for_selector("#connection.live")
        await page.click(f'[data-interaction="{applications}"]')
        await page.select_option("#checkout-role", splitter)
        await page.select_option("#checkout-actor", actor)
        await page.click("#checkout")
        link = page.locator("#checked-out")
        await link.wait_for()
        unit = (await link.get_attribute("href") or "").removeprefix("#/uow/")
        held = (await api_data(http, UNIT, id=unit))["uow"]
        assert held["status"] == "ACTIVE"
        assert held["lockedBy"]["id"] == actor
        after_checkout = await _stats(http, instance)
        assert after_checkout["waiting"][applications] == before["waiting"][applications] - 1
        await expect(_count(page, applications)).to_have_text(
            str(after_checkout["waiting"][applications]), timeout=5_000
        )

        # Submit with attributes from the unit's page in another tab; the graph follows.
        tab = await offline.open_tab()
        await tab.goto(f"{base}/console/{await link.get_attribute('href')}")
        await tab.fill("#submit-attributes", '{"score": 710')
        await _refused_then_sent(tab, "#submit", "#submit-attributes", "not JSON", '{"score": 710}')
        moved = await _released(http, unit)
        assert moved["status"] == "PENDING"
        assert {"key": "score", "value": 710} in moved["attributes"]
        where = moved["currentInteraction"]["id"]
        assert where != applications
        assert moved["currentInteraction"]["name"] in await tab.inner_text(".title-row")
        after_submit = await _stats(http, instance)
        assert after_submit["waiting"][where] == after_checkout["waiting"].get(where, 0) + 1
        await expect(_count(page, where)).to_have_text(
            str(after_submit["waiting"][where]), timeout=5_000
        )
        await offline.screenshot("console-checkout")
        await offline.screenshot("console-submitted", tab)

        # A history and a log longer than a page: newest first, "load older" to the start.
        for _ in range(30):
            await move(http, unit, "PAUSED")
            await move(http, unit, "PENDING")
        full = (await api_data(http, UNIT, id=unit))["uow"]
        history = [e["node"]["id"] for e in full["history"]["edges"]]
        logs = [e["node"]["id"] for e in full["logs"]["edges"]]
        assert len(history) > 60
        await tab.reload()
        await tab.wait_for_selector("#timeline li")
        assert await tab.locator("#timeline li").count() < len(history)
        for name, selector, ids in (
            ("history", "#timeline li", "data-history"),
            ("logs", "#logs li", "data-log"),
        ):
            expected = history if name == "history" else logs
            for _ in range(len(expected)):
                older = tab.locator(f'[data-older="{name}"]')
                if await older.count() == 0:
                    break
                shown = await tab.locator(selector).count()
                await older.click()
                await expect(tab.locator(selector)).not_to_have_count(shown)
            drawn = await tab.eval_on_selector_all(
                selector, f"rows => rows.map(r => r.getAttribute('{ids}'))"
            )
            assert drawn == list(reversed(expected)), name  # every row once, newest first
        assert "created" in (await tab.locator("#timeline li").last.inner_text()).lower()

        # From the unit's page: check it out again, then give up on it.
        await tab.click("#uow-checkout")
        await tab.wait_for_selector("#report-failure")
        await _refused_then_sent(
            tab, "#report-failure", "#failure-reason", "what went wrong", "bureau down"
        )
        failed = await _released(http, unit)
        assert failed["status"] == "FAILED"
        assert "FAILED" in await tab.locator("#timeline li").first.inner_text()
        await offline.screenshot("console-unit-of-work-all-history", tab)
        await tab.close()
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
