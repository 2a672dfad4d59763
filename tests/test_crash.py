"""A server killed with SIGKILL in the middle of a write load loses nothing it acknowledged:
every answered transition is in the database after a restart, and `chameleon check` finds
every history chain, version and hash in agreement."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import httpx

from tests.client import GraphQLClient
from tests.databases import TierUrls
from tests.processes import chameleon, running_server
from tests.scenario import build_scenario

MOVE = """mutation($input: TransitionUowInput!) {
  transitionUow(input: $input) { uow { id version } errors { code } }
}"""
STATE = """query($id: ID!) { uow(id: $id) { version history(first: 1) { totalCount } } }"""


ENOUGH = 16 + 200  # acknowledged versions summed over the units: a few hundred commits in


async def _writer(
    client: GraphQLClient,
    uow_id: str,
    acknowledged: dict[str, int],
    stop: asyncio.Event,
    enough: asyncio.Event,
) -> None:
    """Moves one unit back and forth, each change guarded by the version it last saw."""
    version, status = 1, "ACTIVE"
    while not stop.is_set():
        variables = {
            "input": {
                "uowId": uow_id,
                "toStatus": status,
                "expectedVersion": version,
                "attributes": {"n": version, "note": "x" * 50},
            }
        }
        try:
            response = await client.post(MOVE, variables)
            payload: dict[str, Any] = response.json()["data"]["transitionUow"]
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            return  # the server died under us: this answer never came
        assert payload["errors"] == [], payload["errors"]
        version = payload["uow"]["version"]
        acknowledged[uow_id] = version
        if sum(acknowledged.values()) >= ENOUGH:
            enough.set()
        status = "PENDING" if status == "ACTIVE" else "ACTIVE"


async def test_sigkill_during_group_commits_loses_nothing_acknowledged(
    db_urls: TierUrls, tmp_path: Path
) -> None:
    acknowledged: dict[str, int] = {}
    with running_server(db_urls, capture_output=False) as server:
        url = f"http://127.0.0.1:{server.port}"
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            client = GraphQLClient(http)
            scenario = await build_scenario(client, uows=16, steps=0)
            stop, enough = asyncio.Event(), asyncio.Event()
            writers = [
                asyncio.create_task(_writer(client, uow, acknowledged, stop, enough))
                for uow in scenario.uow_ids
            ]
            await asyncio.wait_for(enough.wait(), timeout=120)
            server.process.send_signal(signal.SIGKILL)  # no drain, no goodbye
            server.process.wait(timeout=30)
            stop.set()
            await asyncio.gather(*writers)
    with running_server(db_urls, capture_output=False) as restarted:
        url = f"http://127.0.0.1:{restarted.port}"
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            client = GraphQLClient(http)
            for uow_id, version in acknowledged.items():
                state = (await client.data(STATE, {"id": uow_id}))["uow"]
                assert state["version"] >= version, (uow_id, state, version)
                # One history row per version (genesis included): no gap, nothing extra.
                assert state["history"]["totalCount"] == state["version"]
    checked = chameleon(db_urls, tmp_path, "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
