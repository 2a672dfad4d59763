"""The console and GraphiQL with auth on (CHAMELEON_AUTH_SECRET set), in a real headless
Chromium that can reach 127.0.0.1 only: the console asks for a token, keeps it for the tab
(sessionStorage, never a URL), shows what an admin or an instance-scoped token reaches,
keeps the live graph fed over the WebSocket, refuses a bad token with the server's reason
and signs out; GraphiQL's Authorization header carries a query and a subscription."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import quote

import httpx
import pytest
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, Request, WebSocket, expect

from gql.auth import mint
from gql.token_cli import DEFAULT_TTL_S
from storage.engines import Tiers
from storage.runtime.instantiation import instantiate
from tests.browser import (
    RESPONSE,
    api_data,
    await_transition_in_graphiql,
    move,
    offline_page,
)
from tests.databases import TierUrls
from tests.live_server import LiveServer, demo_server

SECRET = secrets.token_urlsafe(32)
INSTANCES = "query Instances { instances(first: 10) { edges { node { id name } } } }"
PENDING = """query Pending($id: ID!) {
  uows(instanceId: $id, status: PENDING, first: 100) {
    edges { node { id currentInteraction { id } workflow { isMaster } } }
  }
}"""
WAITING = """query Waiting($id: ID!) {
  instance(id: $id) { masterWorkflow { interactions {
    id waiting: uows(status: PENDING, first: 0) { totalCount }
  } } }
}"""
HEADERS = (
    "document.querySelector('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror')"
)
# Chromium logs each answer of 401 the page receives; those are the refusals tested here.
REFUSALS = ("the server responded with a status of 401",)


@dataclass(frozen=True, slots=True)
class AuthWorld:
    """The demo instance, a second one, and an admin client of the API."""

    server: LiveServer
    demo: str
    second: str
    admin_token: str

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"


@pytest.fixture
async def world(db_urls: TierUrls) -> AsyncIterator[AuthWorld]:
    async with demo_server(db_urls, auth_secret=SECRET) as live:
        tiers = Tiers.open(db_urls.template, db_urls.instance)
        try:
            second = await instantiate(tiers, template_name="Loan_Application", name="Loan_Second")
        finally:
            await tiers.dispose()
        admin = mint(SECRET, ["admin"], subject="ops@example.com", ttl_s=DEFAULT_TTL_S)
        async with _client(live, admin) as http:
            edges = (await api_data(http, INSTANCES))["instances"]["edges"]
        demo = next(e["node"]["id"] for e in edges if e["node"]["name"] == "Loan_Demo")
        yield AuthWorld(live, demo, str(second.instance_id), admin)


def _client(server: LiveServer, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{server.port}",
        headers={"authorization": f"Bearer {token}"},
    )


class Leaks:
    """Every URL the page requested or opened a socket to: a token must never be in one."""

    def __init__(self, page: Page) -> None:
        self.urls: list[str] = []
        page.on("request", lambda request: self._add(request))
        page.on("websocket", lambda socket: self.urls.append(socket.url))

    def _add(self, request: Request | WebSocket) -> None:
        self.urls.append(request.url)

    def assert_absent(self, *tokens: str) -> None:
        assert self.urls
        for token in tokens:
            assert all(token not in url for url in self.urls), "a token went into a URL"


async def _sign_in(page: Page, token: str) -> None:
    await page.fill("#token", token)
    await page.click("#sign-in-submit")


async def _storage(page: Page) -> tuple[str | None, int]:
    """The console's token in sessionStorage, and how many localStorage keys exist."""
    stored = await page.evaluate("sessionStorage.getItem('chameleon.console.token')")
    kept = await page.evaluate("localStorage.length")
    return stored, kept


async def test_console_signs_in_with_an_admin_token_and_stays_live(world: AuthWorld) -> None:
    """No token: the sign-in panel. A bad or forged token: refused with the server's reason.
    The admin token: every instance, the live graph fed over the WebSocket; sign out."""
    async with _client(world.server, world.admin_token) as http, offline_page() as offline:
        page = offline.page
        leaks = Leaks(page)
        await page.goto(f"{world.base}/console/")
        await expect(page.locator("#sign-in-problem")).to_contain_text("needs a bearer token")
        assert await page.locator("#sign-out").is_hidden()
        await offline.screenshot("console-auth-sign-in")

        # A token that is not a JWT, and one signed with another secret: the server's reason.
        await _sign_in(page, "not-a-token")
        await expect(page.locator("#sign-in-problem")).to_contain_text("not a JWT")
        forged = mint(secrets.token_urlsafe(32), ["admin"], subject="mallory", ttl_s=DEFAULT_TTL_S)
        await _sign_in(page, forged)
        await expect(page.locator("#sign-in-problem")).to_contain_text(
            "The token was refused: the bearer token is refused"
        )
        assert await _storage(page) == (None, 0)  # a refused token is not kept
        await offline.screenshot("console-auth-refused")

        # The admin token ("Bearer " pasted along is fine): both instances.
        await _sign_in(page, f"Bearer {world.admin_token}")
        await page.locator(f'[data-instance="{world.demo}"]').wait_for()
        await expect(page.locator(f'[data-instance="{world.second}"]')).to_have_count(1)
        await expect(page.locator("#caller")).to_have_text("ops@example.com · admin")
        assert await page.locator("#reach").count() == 0
        assert await _storage(page) == (world.admin_token, 0)

        # The graph stays live: a transition made over HTTP arrives over the WebSocket,
        # whose connection_init carried the token.
        pending = (await api_data(http, PENDING, id=world.demo))["uows"]["edges"]
        at_master = [e["node"] for e in pending if e["node"]["workflow"]["isMaster"]]
        warm_up, measured = at_master[0]["id"], at_master[1]
        await page.locator(f'[data-instance="{world.demo}"] a.strong').click()
        await page.wait_for_selector("svg.workflow-graph [data-interaction]")
        await page.wait_for_selector("#connection.live")
        await _until_event(page, http, warm_up)
        data = await api_data(http, WAITING, id=world.demo)
        truth = {
            i["id"]: i["waiting"]["totalCount"]
            for i in data["instance"]["masterWorkflow"]["interactions"]
        }
        where = measured["currentInteraction"]["id"]
        count = page.locator(f'[data-interaction="{where}"] .waiting')
        await expect(count).to_have_text(str(truth[where]), timeout=5_000)
        await move(http, measured["id"], "PAUSED")
        await expect(count).to_have_text(str(truth[where] - 1), timeout=5_000)
        await offline.screenshot("console-auth-admin-graph")

        # Sign out: the token is gone from the tab and the panel is back; the socket stops.
        await page.click("#sign-out")
        await expect(page.locator("#sign-in-problem")).to_contain_text("Signed out")
        assert await _storage(page) == (None, 0)
        await expect(page.locator("#connection")).to_have_text("idle")
        assert await page.locator("#caller").is_hidden()
        leaks.assert_absent(world.admin_token, forged)
        offline.assert_clean(expected=REFUSALS)


async def _until_event(page: Page, http: httpx.AsyncClient, unit: str, tries: int = 20) -> None:
    """Moves `unit` back and forth until the graph's feed shows an event: the subscription
    starts a moment after the page; each wait is bounded and nothing sleeps a fixed time."""
    for attempt in range(tries):
        await move(http, unit, "PAUSED" if attempt % 2 == 0 else "PENDING")
        try:
            await page.wait_for_selector(".feed.compact li", state="attached", timeout=1_000)
        except PlaywrightError:
            continue
        if attempt % 2 == 0:
            await move(http, unit, "PENDING")
        return
    raise AssertionError("no live event reached the graph page")


async def test_console_instance_token_sees_only_its_instance(world: AuthWorld) -> None:
    token = mint(SECRET, [f"instance:{world.second}"], subject="second-desk", ttl_s=DEFAULT_TTL_S)
    async with offline_page() as offline:
        page = offline.page
        leaks = Leaks(page)
        await page.goto(f"{world.base}/console/")
        await page.wait_for_selector("#sign-in")
        await _sign_in(page, token)
        await page.locator(f'[data-instance="{world.second}"]').wait_for()
        assert await page.locator("[data-instance]").count() == 1
        await expect(page.locator("#reach")).to_contain_text("reaches this instance only")
        await expect(page.locator("#caller")).to_contain_text(
            f"second-desk · instance {world.second[:8]}"
        )
        # Its instance's page opens and its live connection is admitted.
        await page.locator(f'[data-instance="{world.second}"] a.strong').click()
        await page.wait_for_selector("svg.workflow-graph [data-interaction]")
        await page.wait_for_selector("#connection.live")
        await offline.screenshot("console-auth-instance-token")
        leaks.assert_absent(token)
        offline.assert_clean(expected=REFUSALS)


async def test_console_expired_token_closes_the_socket_and_asks_again(world: AuthWorld) -> None:
    """A token that expires while the live connection is open (closed 4403): the console
    forgets it and shows the sign-in panel with the server's reason."""
    # Long enough for the page to load and connect on a loaded machine (3 s was not).
    token = mint(SECRET, ["admin"], subject="brief", ttl_s=12)
    async with offline_page() as offline:
        page = offline.page
        await page.goto(f"{world.base}/console/#/events/{world.demo}")
        await _sign_in(page, token)
        await page.wait_for_selector("#connection.live")
        await expect(page.locator("#sign-in-problem")).to_contain_text(
            "The live connection was refused: token expired", timeout=30_000
        )
        assert await _storage(page) == (None, 0)
        offline.assert_clean(expected=REFUSALS)


async def _set_headers(page: Page, headers: str) -> None:
    """Types `headers` into GraphiQL's headers editor as a user would."""
    await page.click("button:has-text('Headers')")
    await page.wait_for_function(f"{HEADERS} !== null")
    await page.evaluate(f"{HEADERS}.CodeMirror.setValue({headers!r})")


async def test_graphiql_with_an_authorization_header_runs_a_query_and_a_subscription(
    world: AuthWorld,
) -> None:
    async with _client(world.server, world.admin_token) as http, offline_page() as offline:
        page = offline.page
        leaks = Leaks(page)
        pending = (await api_data(http, PENDING, id=world.demo))["uows"]["edges"]
        unit = pending[0]["node"]["id"]

        await page.goto(f"{world.base}/graphql")
        await page.wait_for_selector(".graphiql-execute-button")
        # Without a token the server's refusal shows in the result pane.
        await page.click(".graphiql-execute-button")
        await page.wait_for_function(f"({RESPONSE}).includes('bearer token is required')")
        await _set_headers(page, f'{{"Authorization": "Bearer {world.admin_token}"}}')
        await page.click(".graphiql-execute-button")
        await page.wait_for_function(f"({RESPONSE}).includes('Loan_Second')", timeout=10_000)
        # The schema was refused at load; with the header set, re-fetching it fills the docs.
        await page.click('button[aria-label="Re-fetch GraphQL schema"]')
        await page.click('button[aria-label="Show Documentation Explorer"]')
        await expect(page.locator(".graphiql-doc-explorer")).to_contain_text(
            "Subscription", timeout=10_000
        )
        await offline.screenshot("graphiql-auth-query")

        document = (
            "subscription Moves {\n"
            f'  uowTransitions(instanceId: "{world.demo}", uowId: "{unit}") {{\n'
            "    previousStatus newStatus reasoning\n  }\n}\n"
        )
        # A shared document opens in a new tab, where the user sets the header again
        # (GraphiQL keeps headers in no storage), in lower case this time: it still reaches
        # connection_init as the "Authorization" the server reads.
        page = await offline.open_tab()
        tab_leaks = Leaks(page)
        await page.goto(f"{world.base}/graphql#query={quote(document)}")
        await page.wait_for_selector(".graphiql-execute-button")
        await _set_headers(page, f'{{"authorization": "Bearer {world.admin_token}"}}')
        await page.click(".graphiql-execute-button")
        await await_transition_in_graphiql(page, http, unit)
        await offline.screenshot("graphiql-auth-subscription")
        leaks.assert_absent(world.admin_token)
        tab_leaks.assert_absent(world.admin_token)
        offline.assert_clean(expected=REFUSALS)
