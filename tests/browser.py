"""A real headless Chromium (Debian's, driven by Playwright) that may talk to 127.0.0.1 only.

Every request to another host is aborted and recorded, so a page that depends on a CDN or
any outside service fails its test instead of passing on a machine that happens to have
internet access. Screenshots go to .artifacts/browser/ (git-ignored).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import (
    Browser,
    ConsoleMessage,
    Page,
    Route,
    WebSocket,
    async_playwright,
)
from playwright.async_api import Error as PlaywrightError

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / ".artifacts" / "browser"
LOCAL_HOSTS = {"127.0.0.1"}
# GraphiQL's result pane, as text ('' until it has one).
RESPONSE = "document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror.getValue() ?? ''"
MOVE = """mutation Move($id: ID!, $to: UowStatus!) {
  transitionUow(input: { uowId: $id, toStatus: $to, reasoning: "browser test" }) {
    errors { code message }
  }
}"""


@dataclass
class OfflinePage:
    """A page with what it tried to reach outside and what went wrong in it."""

    page: Page
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    async def screenshot(self, name: str, page: Page | None = None) -> Path:
        """A full-page PNG of this page (or of another tab) under .artifacts/browser/."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        await (page or self.page).screenshot(path=str(path), full_page=True)
        print(f"screenshot: {path}")
        return path

    async def open_tab(self) -> Page:
        """Another tab of the same browser context: also offline, its errors recorded here."""
        tab = await self.page.context.new_page()
        self.watch(tab)
        return tab

    def watch(self, page: Page) -> None:
        """Records what goes wrong in `page`: console errors and uncaught exceptions."""

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                self.errors.append(f"console: {message.text} at {message.location}")

        def on_websocket(socket: WebSocket) -> None:
            if urlsplit(socket.url).hostname not in LOCAL_HOSTS:
                self.blocked.append(socket.url)

        page.on("websocket", on_websocket)
        page.on("console", on_console)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def assert_clean(self, expected: tuple[str, ...] = ()) -> None:
        """Nothing was requested from outside 127.0.0.1 and no script failed; errors that
        contain one of `expected` (say, the browser's log of a 401 under test) are allowed."""
        assert self.blocked == [], f"requests that left 127.0.0.1: {self.blocked}"
        errors = [e for e in self.errors if not any(part in e for part in expected)]
        assert errors == [], f"errors in the page: {errors}"


def require_chromium() -> None:
    """The browser tests fail, never skip, without the browser (CI installs it first)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium; "
            "run `sudo scripts/install-system-packages`"
        )


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    require_chromium()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            yield browser
        finally:
            await browser.close()


@contextlib.asynccontextmanager
async def offline_page(width: int = 1440, height: int = 900) -> AsyncIterator[OfflinePage]:
    async with chromium() as browser:
        context = await browser.new_context(viewport={"width": width, "height": height})
        page = await context.new_page()
        offline = OfflinePage(page)

        async def only_local(route: Route) -> None:
            url = route.request.url
            if urlsplit(url).hostname in LOCAL_HOSTS:
                await route.continue_()
            else:
                offline.blocked.append(url)
                await route.abort()

        await context.route("**/*", only_local)
        offline.watch(page)
        try:
            yield offline
        finally:
            await context.close()


async def api_data(http: httpx.AsyncClient, query: str, **variables: str) -> dict[str, Any]:
    """The `data` of a query the test sends the API beside the page; any error fails it."""
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    body = response.json()
    assert response.status_code == 200, body
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def move(http: httpx.AsyncClient, unit: str, to: str) -> None:
    """Moves a unit of work to status `to` through the API (it must be accepted)."""
    answer = await api_data(http, MOVE, id=unit, to=to)
    assert answer["transitionUow"]["errors"] == []


async def await_transition_in_graphiql(page: Page, http: httpx.AsyncClient, unit: str) -> None:
    """Moves `unit` back and forth until GraphiQL's result pane, running a `uowTransitions`
    subscription, shows one of its events. The subscription starts over the WebSocket a
    moment after the click that runs it: each wait is bounded, there is no fixed sleep."""
    for attempt in range(20):
        target = "PAUSED" if attempt % 2 == 0 else "PENDING"
        await move(http, unit, target)
        try:
            await page.wait_for_function(
                f'({RESPONSE}).includes(\'"newStatus": "{target}"\')', timeout=1_000
            )
        except PlaywrightError:
            continue
        return
    pytest.fail("no subscription event reached GraphiQL's result pane")
