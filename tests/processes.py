"""`chameleon serve` in a child process, as an operator would run it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.client import GraphQLClient
from tests.live_server import LocalEndpoint


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ServerProcess(LocalEndpoint):
    process: subprocess.Popen[str]
    port: int

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM, then wait for a graceful exit; returns the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


def wait_until_up(port: int, process: subprocess.Popen[Any], timeout: float = 60) -> None:
    """Polls /health until the server answers; fails with its output if it died."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            output = process.stdout.read() if process.stdout else ""
            raise AssertionError(f"server did not start:\n{output}")
        time.sleep(0.05)


@contextmanager
def running_server(
    urls: Any, *, capture_output: bool = True, args: Sequence[str] = (), **settings: str
) -> Iterator[ServerProcess]:
    """`chameleon serve` on a free port with the given tiers and CHAMELEON_* settings
    (and `args`: more options of `serve`).

    `capture_output=False` sends the server's log to /dev/null: a long benchmark would
    otherwise fill the pipe and stall the server."""
    port = free_port()
    env = {
        **os.environ,
        "CHAMELEON_TEMPLATE_DB_URL": urls.template,
        "CHAMELEON_INSTANCE_DB_URL": urls.instance,
        **{f"CHAMELEON_{key.upper()}": value for key, value in settings.items()},
    }
    output = subprocess.PIPE if capture_output else subprocess.DEVNULL
    process = subprocess.Popen(
        [sys.executable, "-m", "gql", "serve", "--port", str(port), *args],
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
    )
    server = ServerProcess(process, port)
    try:
        wait_until_up(port, process)
        yield server
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@asynccontextmanager
async def two_on_the_postgres_bus(urls: Any) -> AsyncIterator[tuple[ServerProcess, GraphQLClient]]:
    """Two server processes sharing the PostgreSQL event bus: the first (to subscribe to)
    and a client of the second (to write through), so that events cross processes."""
    settings = {"event_bus": "postgres"}
    with running_server(urls, **settings) as one, running_server(urls, **settings) as two:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{two.port}") as http:
            yield one, GraphQLClient(http)


async def wait_for_subscribers(port: int, count: int = 1) -> None:
    """Waits until the server process reports `count` open subscriptions in /metrics."""
    async with httpx.AsyncClient() as http:
        for _ in range(300):
            metrics = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
            line = next(x for x in metrics.splitlines() if x.startswith("chameleon_subscribers "))
            if float(line.split()[1]) >= count:
                return
            await asyncio.sleep(0.02)
    raise AssertionError("subscription never registered")


def chameleon(urls: Any, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The `chameleon` command on the given tiers (`urls`; None: the embedded SQLite files
    under `tmp_path`), as an operator runs it."""
    env = {**os.environ, "CHAMELEON_DATA_DIR": str(tmp_path), "COLUMNS": "250"}
    env.pop("CHAMELEON_TEMPLATE_DB_URL", None)
    env.pop("CHAMELEON_INSTANCE_DB_URL", None)
    if urls is not None:
        env["CHAMELEON_TEMPLATE_DB_URL"] = urls.template
        env["CHAMELEON_INSTANCE_DB_URL"] = urls.instance
    return subprocess.run(
        [sys.executable, "-m", "gql", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )
