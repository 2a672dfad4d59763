"""A subscription outlives the database connections under it: when PostgreSQL ends the
server's backends, the next event still arrives (its read connection is replaced)."""

from __future__ import annotations

import pytest

from tests.client import GraphQLClient
from tests.conftest import BACKENDS
from tests.databases import TierUrls, terminate_backends
from tests.live_server import LiveServer
from tests.scenario import TRANSITION, build_scenario, mutate
from tests.ws_client import subscribed

WATCH = """subscription($id: ID!) {
  telemetry(instanceId: $id) { logType transition { newStatus uow { id status } } }
}"""


@pytest.mark.parametrize("db_factory", [p for p in BACKENDS if p.id == "postgresql"], indirect=True)
async def test_a_subscription_survives_its_read_connection(
    live: LiveServer, live_client: GraphQLClient, db_urls: TierUrls
) -> None:
    scenario = await build_scenario(live_client, uows=2, steps=0)
    first, second = scenario.uow_ids
    async with subscribed(live, WATCH, {"id": scenario.instance_id}) as ws:
        for uow_id in (first, second):
            # The connections the subscription read with so far die, before each event.
            await terminate_backends(db_urls)
            await mutate(
                live_client, TRANSITION, {"input": {"uowId": uow_id, "toStatus": "ACTIVE"}}
            )
            message = await ws.next(wait_s=20)
            assert message["type"] == "next", message
            heard = message["payload"]["data"]["telemetry"]["transition"]["uow"]
            assert heard == {"id": uow_id, "status": "ACTIVE"}
