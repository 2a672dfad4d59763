"""The real app behind a real socket: uvicorn serving on 127.0.0.1 inside the test's loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette

from gql import demo
from gql.app import create_app
from gql.settings import Settings
from storage.engines import Tiers
from tests.databases import TierUrls


class LocalEndpoint:
    """The GraphQL endpoint of a server listening on 127.0.0.1 at `port`."""

    port: int

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"


@dataclass(frozen=True)
class LiveServer(LocalEndpoint):
    app: Starlette
    port: int


@contextlib.asynccontextmanager
async def serve(app: Starlette) -> AsyncIterator[LiveServer]:
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield LiveServer(app, port)
    finally:
        server.should_exit = True
        await task


def app_on(urls: TierUrls, **settings: Any) -> Starlette:
    """The real app on the test's databases, with these settings besides their URLs."""
    return create_app(
        Settings(template_db_url=urls.template, instance_db_url=urls.instance, **settings)
    )


@contextlib.asynccontextmanager
async def demo_server(
    urls: TierUrls, uow_count: int = 40, auth_secret: str | None = None
) -> AsyncIterator[LiveServer]:
    """The demo data set (a smaller one) behind the real app on a real socket; with
    `auth_secret`, auth is on and every request needs an HS256 token signed with it."""
    tiers = Tiers.open(urls.template, urls.instance)
    try:
        await demo.load_demo(tiers, uow_count=uow_count)
    finally:
        await tiers.dispose()
    async with serve(app_on(urls, auth_secret=auth_secret)) as server:
        yield server
