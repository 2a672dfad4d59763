"""Shared pieces of the benchmarks: fresh data dirs, a server process, timing helpers."""

from __future__ import annotations

import statistics
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

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
