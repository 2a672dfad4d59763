"""Routes for people in a browser: GraphiQL's files and the console, all from gql/static/.

Only files are served here; the console reads and writes through the public /graphql
endpoint like any other client. The console's pages carry a Content-Security-Policy that
allows this origin only, so a page that tried to load anything from elsewhere would fail
in the browser rather than quietly depend on a network it may not have.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from gql.settings import Settings
from gql.vendor import STATIC

CONSOLE_POLICY = (
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "style-src 'self'; script-src 'self'; frame-ancestors 'none'"
)


class WithHeaders:
    """An ASGI app that adds fixed headers to every response of the one it wraps."""

    def __init__(self, app: StaticFiles, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def routes(settings: Settings, static: Path = STATIC) -> list[BaseRoute]:
    """The routes the settings switch on (GraphiQL's files with `graphiql`, `/console`)."""
    found: list[BaseRoute] = []
    if settings.graphiql:
        found += [
            Mount("/static/graphiql", StaticFiles(directory=static / "graphiql")),
            # check_dir=False: without its files the page explains how to fetch them.
            Mount("/static/vendor", StaticFiles(directory=static / "vendor", check_dir=False)),
        ]
    if settings.console:
        console = StaticFiles(directory=static / "console", html=True)
        found.append(
            Mount(
                "/console",
                WithHeaders(
                    console,
                    {
                        "Content-Security-Policy": CONSOLE_POLICY,
                        "X-Content-Type-Options": "nosniff",
                        "Cache-Control": "no-cache",
                    },
                ),
                name="console",
            )
        )

        async def home(request: Request) -> Response:
            return RedirectResponse("console/")

        found.append(Route("/", home))
    return found
