"""transitionUows and group commit: every item and every concurrent writer gets exactly its
own outcome, and a refused one writes nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.client import GraphQLClient
from tests.scenario import build_scenario

BATCH = """mutation($items: [TransitionUowInput!]!) {
  transitionUows(input: {items: $items}) {
    results { uow { id status version } historyEntry { newStatus } errors { code path } }
    errors { code message path }
  }
}"""
ONE = """mutation($input: TransitionUowInput!) {
  transitionUow(input: $input) { uow { version } errors { code } }
}"""
STATE = """query($id: ID!) { uow(id: $id) {
  status version attributes { key value }
  history(first: 50) { totalCount }
} }"""


async def _state(client: GraphQLClient, uow_id: str) -> dict[str, Any]:
    return dict((await client.data(STATE, {"id": uow_id}))["uow"])


async def test_each_item_is_answered_alone_and_refused_items_write_nothing(
    client: GraphQLClient,
) -> None:
    scenario = await build_scenario(client, uows=4, steps=0)
    a, b, c, d = scenario.uow_ids
    before = {uow: await _state(client, uow) for uow in (b, c)}
    items = [
        {"uowId": a, "toStatus": "ACTIVE", "attributes": {"k": 1}, "expectedVersion": 1},
        {"uowId": b, "toStatus": "COMPLETED", "attributes": {"k": 2}},  # PENDING -> COMPLETED
        {"uowId": c, "toStatus": "ACTIVE", "attributes": {"k": 3}, "expectedVersion": 9},
        {"uowId": "not-a-uuid", "toStatus": "ACTIVE"},
        {"uowId": d, "toStatus": "PAUSED"},
    ]
    payload = (await client.data(BATCH, {"items": items}))["transitionUows"]
    assert payload["errors"] == []
    codes = [[e["code"] for e in r["errors"]] for r in payload["results"]]
    assert codes == [[], ["INVALID_TRANSITION"], ["STALE_STATE"], ["VALIDATION_FAILED"], []]
    assert payload["results"][2]["errors"][0]["path"] == ["input", "items", "2", "expectedVersion"]
    assert payload["results"][0]["uow"] == {"id": a, "status": "ACTIVE", "version": 2}
    assert payload["results"][4]["historyEntry"] == {"newStatus": "PAUSED"}
    for uow in (b, c):  # nothing of the refused items was written, not even attributes
        assert await _state(client, uow) == before[uow]
    assert {"key": "k", "value": 1} in (await _state(client, a))["attributes"]


async def test_batches_are_bounded(client: GraphQLClient) -> None:
    scenario = await build_scenario(client, uows=1, steps=0)
    items = [{"uowId": scenario.uow_ids[0], "toStatus": "ACTIVE"}] * 101
    payload = (await client.data(BATCH, {"items": items}))["transitionUows"]
    assert payload["results"] == []
    assert payload["errors"][0]["code"] == "VALIDATION_FAILED"
    assert (await _state(client, scenario.uow_ids[0]))["version"] == 1


@pytest.mark.parametrize("rounds", [3])
async def test_concurrent_writers_each_get_their_own_outcome(
    live_client: GraphQLClient, rounds: int
) -> None:
    """Many clients at once (on SQLite, group commits of several writers): per unit exactly
    one of the racing writers at a version wins, refused ones are STALE_STATE or
    INVALID_TRANSITION, and the history has one row per win."""
    scenario = await build_scenario(live_client, uows=6, steps=0)
    wins: dict[str, int] = dict.fromkeys(scenario.uow_ids, 0)
    for round_ in range(rounds):

        async def attempt(uow_id: str, n: int, round_: int = round_) -> tuple[str, str | None]:
            variables = {
                "input": {
                    "uowId": uow_id,
                    "toStatus": "ACTIVE" if round_ % 2 == 0 else "PENDING",
                    "expectedVersion": round_ + 1,
                    "attributes": {"writer": n, "round": round_},
                }
            }
            answer = (await live_client.data(ONE, variables))["transitionUow"]
            return uow_id, (answer["errors"][0]["code"] if answer["errors"] else None)

        answers = await asyncio.gather(
            *(attempt(uow, n) for uow in scenario.uow_ids for n in range(4))
        )
        for uow_id, code in answers:
            assert code in (None, "STALE_STATE", "INVALID_TRANSITION"), code
            wins[uow_id] += code is None
        assert all(count == round_ + 1 for count in wins.values()), wins
    for uow_id in scenario.uow_ids:
        state = await _state(live_client, uow_id)
        assert state["version"] == rounds + 1
        assert state["history"]["totalCount"] == rounds + 1  # genesis + one per round
