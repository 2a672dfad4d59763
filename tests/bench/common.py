"""Shared pieces of the benchmarks: fresh data dirs, a server process, timing helpers."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import httpx

from migrations import runner
from tests.processes import ServerProcess, running_server


@dataclass(frozen=True)
class Urls:
    template: str
    instance: str


def fresh_sqlite(root: Path) -> Urls:
    urls = Urls(
        f"sqlite+aiosqlite:///{root / 'templates.db'}",
        f"sqlite+aiosqlite:///{root / 'instances.db'}",
    )
    runner.upgrade_all(urls.template, urls.instance)
    return urls


@contextmanager
def temporary_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="chameleon-bench-") as path:
        yield Path(path)


@contextmanager
def server(urls: Urls, **settings: str) -> Iterator[ServerProcess]:
    """`chameleon serve` in its own process (one worker), as in production."""
    with running_server(urls, capture_output=False, **settings) as running:
        yield running


async def timed_clients(
    clients: list[Callable[[aiohttp.ClientSession], Awaitable[None]]], timeout_s: float
) -> float:
    """Runs the clients concurrently on one aiohttp session; answers the seconds they took.

    aiohttp rather than httpx: the load generator shares the machine with the server, and
    httpx spent more CPU per request than the server did (55-75 % of a core against
    aiohttp's 15 % at the same rate)."""
    connector = aiohttp.TCPConnector(limit=len(clients))
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http) for client in clients))
        return time.perf_counter() - started


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values)


def sql_statements(port: int) -> float:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    return sum(
        float(line.split()[-1])
        for line in text.splitlines()
        if line.startswith("chameleon_sql_statements_total")
    )
