"""A graceful stop that starts before the server's own.

On SIGTERM uvicorn stops accepting and closes open WebSockets with 1012 straight away, so
subscribers would get no `complete`. This hook runs first: it ends every subscription
(each gets its `complete`), closes the sockets with 1001 (going away), and only then hands
the signal to uvicorn, which finishes in-flight requests and runs the lifespan shutdown
(telemetry drained, engines disposed).
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import Any

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def install(before_stop: Callable[[], Awaitable[None]]) -> Callable[[], None]:
    """Chain `before_stop` in front of the current SIGTERM/SIGINT handlers; returns undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    previous: dict[int, Any] = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    tasks: set[asyncio.Task[None]] = set()

    async def stop(signum: int, frame: FrameType | None) -> None:
        try:
            await asyncio.wait_for(before_stop(), timeout=10)
        finally:
            handler = previous[signum]
            if callable(handler):
                handler(signum, frame)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        task = loop.create_task(stop(signum, frame))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    for sig in STOP_SIGNALS:
        if callable(previous[sig]):
            signal.signal(
                sig, lambda signum, frame: loop.call_soon_threadsafe(on_signal, signum, frame)
            )

    def undo() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return undo
