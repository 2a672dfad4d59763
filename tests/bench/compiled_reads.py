"""Compiled reads against the resolver path and the raw SQL floor, on SQLite and PostgreSQL.

For each query of issue 14: requests per second with 8 concurrent HTTP clients against a
server with compiled reads (`CHAMELEON_COMPILED_READS=true`) and one without, on the same
data (1 instance, 2,000 units of work, 10,000 history rows). Before any figure is reported,
both servers' answers must be the same JSON, and the compiled server must have counted
its answers as compiled. The floor: for the deep read and the 500-row page, the same rows
fetched with SQLAlchemy Core and encoded with `json` by 8 concurrent tasks in this process
(`raw_per_s`, the issue's "raw SQL" column); for every query, the compiled statement alone,
executed by 8 concurrent tasks in this process (`sql_only_per_s`: no HTTP, no GraphQL).
On PostgreSQL, when `npx` is present, PostGraphile v4 (`tests.bench.postgraphile`) serves the
same instance database in one Node process: its answers to the deep read and the 500-row page
must hold the same rows in the same order before its rate (the same 8 aiohttp clients) is
kept (`postgraphile_per_s`, `compiled_over_postgraphile`); otherwise those figures are null
and `postgraphile` says why.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import httpx
from sqlalchemy import func, select

from gql.app import create_app, validation_rules
from gql.compiled import Planner, run
from gql.settings import Settings
from resolvers.context import RequestContext
from storage.engines import Tiers
from storage.models import UnitOfWorkRow
from tests.bench.common import Urls, fresh_sqlite, server, temporary_dir
from tests.bench.data import bulk_uows, example_instance
from tests.bench.nested_read import QUERY as DEEP
from tests.bench.nested_read import raw_read, rows_of
from tests.bench.postgraphile import QUERIES as POSTGRAPHILE_QUERIES
from tests.bench.postgraphile import VERSION as POSTGRAPHILE_VERSION
from tests.bench.postgraphile import (
    add_role_uows,
    chameleon_rows,
    postgraphile,
    postgraphile_rows,
)
from tests.bench.transitions import postgres_server_url, postgres_tiers

UOWS = 2_000
HISTORY_PER_UOW = 5
CLIENTS = 8
SECONDS = 4.0
PAGE = """query($id: ID!) { uows(instanceId: $id, first: 500) { totalCount edges { node {
  id status childCount finishedChildCount contentHash version retryCount lastHeartbeatAt
  createdAt updatedAt } } } }"""
TEMPLATES = """{ templates { edges { node { id name roles { id name roleType
  components { id name direction guardians { id name type config } } } } } } }"""
UOW = """query($uow: ID!) { uow(id: $uow) { id status
  attributes { key value version }
  history(first: 10) { edges { node { id newStatus transitionTimestamp } } }
  logs(first: 10) { edges { node { id logType timestamp eventDetails } } } } }"""
GUIDE = """{ schemaGuide(tier: INSTANCE) { tableName columnName dataType isPrimaryKey
  foreignKeyTarget description } }"""
QUERIES = {"deep": DEEP, "uows_page": PAGE, "templates": TEMPLATES, "uow": UOW, "guide": GUIDE}


async def _rate(call: Callable[[], Awaitable[None]]) -> float:
    """Calls per second of `call` by CLIENTS concurrent loops for SECONDS."""
    done = 0
    deadline = time.perf_counter() + SECONDS

    async def loop() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await call()
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(CLIENTS)))
    return done / (time.perf_counter() - started)


async def _http_rates(url: str, bodies: dict[str, dict[str, Any]]) -> dict[str, float]:
    connector = aiohttp.TCPConnector(limit=CLIENTS)
    async with aiohttp.ClientSession(connector=connector) as http:
        rates = {}
        for name, body in bodies.items():

            async def call(body: dict[str, Any] = body) -> None:
                async with http.post(url, json=body) as response:
                    await response.read()

            rates[name] = await _rate(call)
    return rates


async def _answers(url: str, bodies: dict[str, dict[str, Any]]) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=120) as http:
        answers = {}
        for name, body in bodies.items():
            answer = (await http.post(url, json=body)).json()
            assert "errors" not in answer, (name, answer)
            answers[name] = answer
        return answers


def _compiled_count(port: int) -> float:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    line = next(
        x for x in text.splitlines() if x.startswith('chameleon_operations_total{path="compiled"}')
    )
    return float(line.split()[-1])


async def _floors(
    urls: Urls, bodies: dict[str, dict[str, Any]], instance_id: uuid.UUID
) -> dict[str, Any]:
    """The raw-SQL floors, measured in this process on the server's databases."""
    settings = Settings(template_db_url=urls.template, instance_db_url=urls.instance)
    app = create_app(settings)
    planner = Planner(app.state.schema._schema, validation_rules(settings), settings.max_tokens)
    tiers = Tiers.open(urls.template, urls.instance)
    floors: dict[str, Any] = {}
    try:
        for name, body in bodies.items():
            plan = planner.plan(body["query"], None)
            assert plan is not None, name

            async def statement(body: dict[str, Any] = body, plan: Any = plan) -> None:
                context = RequestContext(tiers=tiers, events=None, telemetry=None)  # type: ignore[arg-type]
                try:
                    assert await run(app.state.schema._schema, plan, body.get("variables"), context)
                finally:
                    await context.close()

            floors[f"{name}.sql_only_per_s"] = await _rate(statement)
        raw = await raw_read(tiers, instance_id)

        async def deep() -> None:
            await raw_read(tiers, instance_id)

        floors["deep.raw_per_s"] = await _rate(deep)
        floors["deep.raw_answer"] = raw

        async def page() -> None:
            async with tiers.instance.engine.connect() as conn:
                u = UnitOfWorkRow.__table__
                rows = await conn.execute(
                    select(u)
                    .where(u.c.instance_id == instance_id)
                    .order_by(u.c.created_at, u.c.uow_id)
                    .limit(500)
                )
                total = await conn.scalar(
                    select(func.count()).where(u.c.instance_id == instance_id)
                )
                items = [
                    {
                        "id": str(r.uow_id),
                        "status": r.status.value,
                        "childCount": r.child_count,
                        "finishedChildCount": r.finished_child_count,
                        "contentHash": r.content_hash,
                        "version": r.version,
                        "retryCount": r.retry_count,
                        "lastHeartbeatAt": r.last_heartbeat_at and r.last_heartbeat_at.isoformat(),
                        "createdAt": r.created_at.isoformat(),
                        "updatedAt": r.updated_at.isoformat(),
                    }
                    for r in rows
                ]
                json.dumps(
                    {"data": {"uows": {"totalCount": total, "edges": [{"node": n} for n in items]}}}
                )

        floors["uows_page.raw_per_s"] = await _rate(page)
    finally:
        await tiers.dispose()
    return floors


async def _postgraphile(
    urls: Urls, instance_id: uuid.UUID, answers: dict[str, Any]
) -> tuple[dict[str, float], str]:
    """PostGraphile's rates for the queries it has, or ({}, why there are none)."""
    await add_role_uows(urls.instance)
    bodies = {
        name: {"query": query, "variables": {"id": str(instance_id)}}
        for name, query in POSTGRAPHILE_QUERIES.items()
    }
    with postgraphile(urls.instance) as (url, why):
        if url is None:
            return {}, why
        theirs = await _answers(url, bodies)
        for name in bodies:
            mine = chameleon_rows(name, answers[name])
            assert postgraphile_rows(name, theirs[name]) == mine, f"{name}: PostGraphile's rows"
        return await _http_rates(url, bodies), "ran"


async def _backend(urls: Urls) -> dict[str, Any]:
    tiers = Tiers.open(urls.template, urls.instance)
    try:
        instance_id = await example_instance(tiers)
        uow_ids = await bulk_uows(tiers, instance_id, uows=UOWS, history_per_uow=HISTORY_PER_UOW)
    finally:
        await tiers.dispose()
    on_postgres = urls.instance.startswith("postgresql")
    variables = {"id": str(instance_id), "uow": str(uow_ids[0])}
    bodies = {
        name: {"query": q, "variables": {k: v for k, v in variables.items() if f"${k}" in q}}
        for name, q in QUERIES.items()
    }
    rates: dict[str, dict[str, float]] = {}
    answers: dict[str, dict[str, Any]] = {}
    for path, on in (("compiled", "true"), ("resolved", "false")):
        with server(urls, compiled_reads=on) as running:
            answers[path] = await _answers(running.http_url, bodies)
            if path == "compiled":
                assert _compiled_count(running.port) == len(bodies), "a query was not compiled"
            rates[path] = await _http_rates(running.http_url, bodies)
    for name in bodies:
        assert answers["compiled"][name] == answers["resolved"][name], f"{name}: answers differ"
    theirs: dict[str, float] = {}
    why = ""
    if on_postgres:
        theirs, why = await _postgraphile(urls, instance_id, answers["compiled"])
    floors = await _floors(urls, bodies, instance_id)
    raw_answer = json.loads(floors.pop("deep.raw_answer"))
    assert rows_of(answers["compiled"]["deep"]) == rows_of(raw_answer), "raw SQL fetched other rows"
    figures: dict[str, Any] = {}
    for name in bodies:
        compiled, resolved = rates["compiled"][name], rates["resolved"][name]
        figures[f"{name}.compiled_per_s"] = round(compiled, 1)
        figures[f"{name}.resolved_per_s"] = round(resolved, 1)
        figures[f"{name}.compiled_over_resolved"] = round(compiled / resolved, 2)
        sql_only = floors[f"{name}.sql_only_per_s"]
        figures[f"{name}.sql_only_per_s"] = round(sql_only, 1)
        if f"{name}.raw_per_s" in floors:
            raw = floors[f"{name}.raw_per_s"]
            figures[f"{name}.raw_per_s"] = round(raw, 1)
            figures[f"{name}.raw_over_compiled"] = round(raw / compiled, 2)
        if on_postgres and name in POSTGRAPHILE_QUERIES:
            other = theirs.get(name)
            figures[f"{name}.postgraphile_per_s"] = None if other is None else round(other, 1)
            figures[f"{name}.compiled_over_postgraphile"] = (
                None if other is None else round(compiled / other, 2)
            )
    if on_postgres:
        figures["postgraphile"] = f"postgraphile@{POSTGRAPHILE_VERSION}: {why}"
    return figures


async def measure() -> dict[str, Any]:
    results: dict[str, Any] = {
        "clients": CLIENTS,
        "uows": UOWS,
        "history_rows": UOWS * HISTORY_PER_UOW,
    }
    with temporary_dir() as root:
        for key, value in (await _backend(fresh_sqlite(root))).items():
            results[f"sqlite.{key}"] = value
    url = postgres_server_url()
    if url is None:
        results["postgres"] = "no PostgreSQL: set CHAMELEON_BENCH_POSTGRES_URL"
    else:
        async with postgres_tiers(url) as urls:
            for key, value in (await _backend(urls)).items():
                results[f"postgres.{key}"] = value
    return results


if __name__ == "__main__":
    print(json.dumps(asyncio.run(measure()), indent=2))
