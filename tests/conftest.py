"""Shared fixtures: real databases of both dialects, opened tiers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from starlette.applications import Starlette

from storage.engines import Tiers
from tests.client import GraphQLClient
from tests.databases import PostgresFactory, SqliteFactory, TierUrls, postgres_url
from tests.live_server import LiveServer, app_on, demo_server, serve

SHARED = Path(__file__).resolve().parents[2] / "shared"
EXAMPLES = SHARED / "examples"

T = TypeVar("T")
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


@pytest.fixture(scope="session")
def sqlite_factory(tmp_path_factory: pytest.TempPathFactory) -> SqliteFactory:
    return SqliteFactory(tmp_path_factory.mktemp("tiers"))


@pytest.fixture(scope="session")
async def postgres_factory() -> AsyncIterator[PostgresFactory]:
    url = postgres_url()
    if url is None:
        pytest.skip("CHAMELEON_TEST_POSTGRES_URL is not set")
    factory = PostgresFactory(url)
    try:
        await factory.setup()
    except Exception as exc:  # unreachable: fail loudly, never skip (CI relies on it)
        pytest.fail(f"PostgreSQL at CHAMELEON_TEST_POSTGRES_URL is unreachable: {exc}")
    factory.migrate_golden()
    yield factory
    await factory.teardown()


def module_fixtures_per_backend(
    name: str, build: Callable[[SqliteFactory | PostgresFactory], AbstractAsyncContextManager[T]]
) -> tuple[Any, Any, Any]:
    """Three module-scoped fixtures over what `build(factory)` enters: `sqlite_<name>`,
    `postgres_<name>` and `<name>`, parametrised by backend, which hands out the other two.
    A heavy world (apps, populated databases) is built once per module and backend, whether
    a test asks for one backend by name or for both."""

    @pytest.fixture(scope="module", name=f"sqlite_{name}")
    async def on_sqlite(sqlite_factory: SqliteFactory) -> AsyncIterator[T]:
        async with build(sqlite_factory) as built:
            yield built

    @pytest.fixture(scope="module", name=f"postgres_{name}")
    async def on_postgres(postgres_factory: PostgresFactory) -> AsyncIterator[T]:
        async with build(postgres_factory) as built:
            yield built

    @pytest.fixture(scope="module", name=name, params=BACKENDS)
    def either(request: pytest.FixtureRequest) -> T:
        backend = "sqlite" if request.param == "sqlite" else "postgres"
        found: T = request.getfixturevalue(f"{backend}_{name}")
        return found

    return on_sqlite, on_postgres, either


@pytest.fixture(params=BACKENDS)
def db_factory(request: pytest.FixtureRequest) -> SqliteFactory | PostgresFactory:
    """Where fresh databases come from, for the parametrised backend."""
    name = "sqlite_factory" if request.param == "sqlite" else "postgres_factory"
    factory: SqliteFactory | PostgresFactory = request.getfixturevalue(name)
    return factory


@pytest.fixture
async def db_urls(db_factory: SqliteFactory | PostgresFactory) -> AsyncIterator[TierUrls]:
    """URLs of two freshly migrated tiers on the parametrised backend."""
    urls = await db_factory.create()
    yield urls
    await db_factory.drop(urls)


@pytest.fixture
async def empty_db_urls(db_factory: SqliteFactory | PostgresFactory) -> AsyncIterator[TierUrls]:
    """URLs of two empty databases (no schema yet) on the parametrised backend."""
    urls = await db_factory.create(migrated=False)
    yield urls
    await db_factory.drop(urls)


@pytest.fixture
async def tiers(db_urls: TierUrls) -> AsyncIterator[Tiers]:
    opened = Tiers.open(db_urls.template, db_urls.instance)
    yield opened
    await opened.dispose()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without a PostgreSQL URL, leave the PostgreSQL half out instead of listing skips."""
    if postgres_url() is not None:
        return
    kept = [item for item in items if item.get_closest_marker("postgres") is None]
    deselected = [item for item in items if item.get_closest_marker("postgres") is not None]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


def pytest_report_header(config: pytest.Config) -> str:
    url = postgres_url()
    if url is None:
        return "PostgreSQL tests: off (CHAMELEON_TEST_POSTGRES_URL is not set)"
    return f"PostgreSQL tests: on ({url})"


@pytest.fixture
async def app(db_urls: TierUrls) -> AsyncIterator[Starlette]:
    """The real ASGI app on fresh databases, its lifespan running."""
    application = app_on(db_urls)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def live(db_urls: TierUrls) -> AsyncIterator[LiveServer]:
    """The real app served by uvicorn on a free local port (real HTTP and WebSockets)."""
    async with serve(app_on(db_urls)) as server:
        yield server


@pytest.fixture
async def demo_live(db_urls: TierUrls) -> AsyncIterator[LiveServer]:
    """The demo data set (a smaller one) behind the real app on a real socket."""
    async with demo_server(db_urls) as server:
        yield server


@pytest.fixture
async def live_client(live: LiveServer) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{live.port}") as http:
        yield GraphQLClient(http)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[GraphQLClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield GraphQLClient(http)


@pytest.fixture
async def clients(live: LiveServer) -> AsyncIterator[list[GraphQLClient]]:
    """One HTTP client (its own connections) per actor of a test, up to 20."""
    opened = [httpx.AsyncClient(base_url=f"http://127.0.0.1:{live.port}") for _ in range(20)]
    yield [GraphQLClient(http) for http in opened]
    for http in opened:
        await http.aclose()
