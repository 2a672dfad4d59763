"""/metrics on a port of its own (CHAMELEON_METRICS_PORT), off the public listener.

In production the main port faces clients; request counts, latencies and buffer depths are
for the operator's scraper only. A second small uvicorn server in the same event loop serves
/metrics alone, on `metrics_host` (loopback by default). Its socket is opened with
SO_REUSEPORT so that every worker process of `--workers N` can listen on it: a scrape
reaches one of them, as the main port's /metrics did.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def metrics_app(handler: Callable[[Request], Awaitable[Response]]) -> Starlette:
    """An app with the one /metrics route (the handler shared with the main app)."""
    return Starlette(routes=[Route("/metrics", handler)])


def _socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if hasattr(socket, "SO_REUSEPORT"):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


@contextlib.asynccontextmanager
async def serving(app: Starlette, host: str, port: int) -> AsyncIterator[None]:
    """Serves `app` on host:port while the block runs (inside the main app's lifespan).

    The server's steps are run one by one rather than through `Server.serve`, which would
    take over SIGTERM/SIGINT from the main server and its graceful stop (`gql.shutdown`)."""
    sock = _socket(host, port)
    config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
    config.load()
    server = uvicorn.Server(config)
    server.lifespan = config.lifespan_class(config)
    try:
        await server.startup(sockets=[sock])
        yield
    finally:
        await server.shutdown(sockets=[sock])
        sock.close()
