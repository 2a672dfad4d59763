"""Server processes: graceful SIGTERM, and events across processes through PostgreSQL."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import websockets
from sqlalchemy import func, select

from storage.engines import Tiers
from storage.enums import LogType
from storage.models import InteractionLogRow
from tests.client import GraphQLClient
from tests.conftest import BACKENDS
from tests.databases import TierUrls
from tests.processes import running_server, two_on_the_postgres_bus, wait_for_subscribers
from tests.scenario import TRANSITION, build_scenario, mutate
from tests.ws_client import TRANSPORT_WS, Subscriber

RECORD = """mutation($input: RecordTelemetryInput!) {
  recordTelemetry(input: $input) { accepted errors { code message } }
}"""
WATCH = """subscription($id: ID!) {
  telemetry(instanceId: $id) { logType uowId transition { newStatus transitionMetadata } }
}"""


async def _count(tiers: Tiers, kind: LogType) -> int:
    async with tiers.instance.sessions() as session:
        return (
            await session.scalar(
                select(func.count())
                .select_from(InteractionLogRow)
                .where(InteractionLogRow.log_type == kind)
            )
            or 0
        )


async def test_sigterm_drains_telemetry_and_closes_subscriptions(
    db_urls: TierUrls, tiers: Tiers
) -> None:
    # A flush interval far longer than the test: only the shutdown can write the entries.
    with running_server(
        db_urls, telemetry_flush_interval_s="600", telemetry_batch_size="100000"
    ) as server:
        async with httpx.AsyncClient() as http:
            client = GraphQLClient(http)
            client.http.base_url = f"http://127.0.0.1:{server.port}"
            scenario = await build_scenario(client, uows=1, steps=0)
            accepted = 0
            for n in range(150):
                payload = (
                    await client.data(
                        RECORD,
                        {
                            "input": {
                                "instanceId": scenario.instance_id,
                                "logType": "TELEMETRY",
                                "details": {"n": n},
                            }
                        },
                    )
                )["recordTelemetry"]
                accepted += payload["accepted"]
        assert accepted == 150
        assert await _count(tiers, LogType.TELEMETRY) == 0
        async with Subscriber(server.ws_url, TRANSPORT_WS) as ws:
            await ws.subscribe(WATCH, {"id": scenario.instance_id})
            await wait_for_subscribers(server.port)
            exit_code = await asyncio.to_thread(server.terminate)
            messages = []
            try:
                while True:
                    messages.append(await ws.next(wait_s=5))
            except websockets.ConnectionClosed as closed:  # the server closed the socket
                close_code = closed.rcvd.code if closed.rcvd else None
    # uvicorn re-raises the signal after its graceful shutdown, so the exit status says SIGTERM.
    assert exit_code in (0, -15)
    assert "Application shutdown complete" in (server.process.stdout.read() or "")
    assert {"id": "1", "type": "complete"} in messages
    assert close_code == 1001
    async with tiers.instance.sessions() as session:
        details = list(
            await session.scalars(
                select(InteractionLogRow.event_details).where(
                    InteractionLogRow.log_type == LogType.TELEMETRY
                )
            )
        )
    assert sorted(d["n"] for d in details) == list(range(150))  # each exactly once


@pytest.mark.parametrize("db_factory", [p for p in BACKENDS if p.id == "postgresql"], indirect=True)
async def test_events_cross_server_processes(db_urls: TierUrls) -> None:
    async with two_on_the_postgres_bus(db_urls) as (one, client):
        scenario = await build_scenario(client, uows=1, steps=0)
        async with Subscriber(one.ws_url, TRANSPORT_WS) as ws:
            await ws.subscribe(WATCH, {"id": scenario.instance_id})
            await wait_for_subscribers(one.port)
            big = {"notes": "x" * 12_000}  # over NOTIFY's limit: sent by reference
            await mutate(
                client,
                TRANSITION,
                {
                    "input": {
                        "uowId": scenario.uow_ids[0],
                        "toStatus": "ACTIVE",
                        "metadata": big,
                    }
                },
            )
            await mutate(
                client,
                TRANSITION,
                {
                    "input": {
                        "uowId": scenario.uow_ids[0],
                        "toStatus": "COMPLETED",
                    }
                },
            )
            events = [(await ws.next())["payload"]["data"]["telemetry"] for _ in range(2)]
    assert [e["transition"]["newStatus"] for e in events] == ["ACTIVE", "COMPLETED"]
    assert events[0]["transition"]["transitionMetadata"] == big


@pytest.mark.parametrize(("setting", "negotiated"), [(None, False), ("true", True)])
async def test_websocket_compression_is_off_unless_asked_for(
    db_urls: TierUrls, setting: str | None, negotiated: bool
) -> None:
    """Frames are small JSON sent once per subscriber: compressing each costs more than it saves."""
    settings = {} if setting is None else {"ws_compression": setting}
    with running_server(db_urls, **settings) as server:
        # The client offers permessage-deflate; the server's answer decides.
        async with websockets.connect(
            server.ws_url, subprotocols=[TRANSPORT_WS], compression="deflate"
        ) as ws:
            extensions = ws.response.headers.get("Sec-WebSocket-Extensions") or ""
    assert ("permessage-deflate" in extensions) is negotiated
