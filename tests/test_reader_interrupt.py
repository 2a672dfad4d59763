"""A request's read connection stops its running statement when the request times out
(`TierReader.interrupt`), on both dialects: the connection is then closed, not left busy
with the statement, and the database runs nothing of it any more.

The slow statements are sent on purpose, through the reader itself: a recursive count to a
billion on SQLite, `pg_sleep` on PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from resolvers.context import RequestContext, TierReader
from storage.engines import Tiers

SLOW = {
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
    "WHERE x < 1000000000) SELECT count(*) FROM c",
    "postgresql": "SELECT pg_sleep(120)",
}
HANG_GUARD_S = 30  # a bound on a hang, not a speed figure: the statements run for minutes


async def test_interrupt_stops_the_running_statement(tiers: Tiers) -> None:
    tier = tiers.instance
    reader = TierReader(tier)
    await reader.execute(text("SELECT 1"))  # the connection is open
    slow = asyncio.create_task(reader.execute(text(SLOW[tier.dialect])))
    for _ in range(3_000):
        if reader.busy:
            break
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.3)  # the statement has reached the database (it runs for minutes)
    assert not slow.done()
    await reader.interrupt()
    with pytest.raises((asyncio.CancelledError, DBAPIError)):
        await asyncio.wait_for(slow, HANG_GUARD_S)
    await asyncio.wait_for(reader.close(), HANG_GUARD_S)
    if tier.dialect == "postgresql":
        async with tier.engine.connect() as connection:
            running = await connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%' "
                    "AND state = 'active' AND pid <> pg_backend_pid()"
                )
            )
            assert running.scalar_one() == 0
    # The reader serves the next statement on a working connection.
    assert (await reader.execute(text("SELECT 2"))).scalar_one() == 2
    await reader.close()


async def test_interrupt_without_a_statement_does_nothing(tiers: Tiers) -> None:
    reader = TierReader(tiers.instance)
    await reader.interrupt()
    assert (await reader.execute(text("SELECT 3"))).scalar_one() == 3
    await reader.interrupt()  # nothing running now either
    assert (await reader.execute(text("SELECT 4"))).scalar_one() == 4
    await reader.close()


async def test_an_end_cancelled_midway_still_returns_every_connection(tiers: Tiers) -> None:
    """A request reading both tiers ends while its task is cancelled (a timeout, a stop):
    both connections go back to their pools, not the second one to the garbage collector."""
    pools = [tier.engine.sync_engine.pool for tier in (tiers.template, tiers.instance)]
    before = [pool.checkedout() for pool in pools]  # type: ignore[attr-defined]
    for delay in (1, 2, 3, 5, 8, 13):
        context = RequestContext(tiers=tiers, events=None, telemetry=None)  # type: ignore[arg-type]
        for name in ("template", "instance"):
            await context.reader(name).execute(text("SELECT 1"))
        ending = asyncio.create_task(context.end())
        for _ in range(delay):
            await asyncio.sleep(0)  # the end has started; cancelled at another point each time
        ending.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ending
        for _ in range(HANG_GUARD_S * 100):
            if [pool.checkedout() for pool in pools] == before:  # type: ignore[attr-defined]
                break
            await asyncio.sleep(0.01)
        after = [pool.checkedout() for pool in pools]  # type: ignore[attr-defined]
        assert after == before, f"cancelled after {delay} steps"
