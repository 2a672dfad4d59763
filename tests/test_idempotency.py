"""Idempotency keys over real HTTP: a retry replays the first answer and writes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gql.app import create_app
from gql.settings import Settings
from tests.client import GraphQLClient
from tests.databases import TierUrls
from tests.engine_client import CHECKOUT, LOAN, REPORT_FAILURE, SUBMIT, Engine, loan_instance
from tests.live_server import serve
from tests.raw_sql import RawConnection
from tests.scenario import build_scenario

KEYS = 'SELECT idempotency_key FROM "Idempotency_Keys" ORDER BY idempotency_key'
HISTORY = 'SELECT count(*) FROM "UnitsOfWorkHistory"'
START = """mutation($input: StartWorkInput!) {
  startWork(input: $input) { uow { id version } errors { code message path } }
}"""
TRANSITION = """mutation($input: TransitionUowInput!) {
  transitionUow(input: $input) {
    uow { id status version contentHash updatedAt attributes { key value version } }
    historyEntry { id previousStatus newStatus reasoning transitionMetadata transitionTimestamp }
    errors { code message path }
  }
}"""
BATCH = """mutation($input: TransitionUowsInput!) {
  transitionUows(input: $input) {
    results { uow { id status version } historyEntry { id newStatus } errors { code path } }
    errors { code message path }
  }
}"""
REGISTER = """mutation($input: RegisterActorInput!) {
  registerActor(input: $input) { actor { id name } errors { code message path } }
}"""
STATUS = """mutation($input: SetInstanceStatusInput!) {
  setInstanceStatus(input: $input) { instance { id status } errors { code message path } }
}"""
INSTANTIATE = """mutation($input: InstantiateInput!) {
  instantiate(input: $input) { instance { id name } errors { code message path } }
}"""
DECOMPOSE = """mutation($input: DecomposeInput!) {
  decompose(input: $input) { parent { id childCount } children { id } errors { code message } }
}"""
HEARTBEAT = """mutation($input: HeartbeatInput!) {
  heartbeat(input: $input) { uow { id lastHeartbeatAt } errors { code } }
}"""
VERIFY = """mutation($input: VerifyUowStateInput!) {
  verifyUowState(input: $input) { uow { id } intact errors { code } }
}"""


async def send(client: GraphQLClient, document: str, values: dict[str, Any]) -> dict[str, Any]:
    """The whole response body (no GraphQL errors), to compare a retry with the first."""
    response = await client.post(document, {"input": values})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body


def payload(body: dict[str, Any]) -> dict[str, Any]:
    (only,) = body["data"].values()
    return dict(only)


async def fetch(urls: TierUrls, sql: str) -> list[Any]:
    async with RawConnection(urls) as raw:
        return [row[0] for row in await raw.fetch(sql)]


async def test_a_retried_transition_replays_its_first_answer(
    live_client: GraphQLClient, db_urls: TierUrls
) -> None:
    scenario = await build_scenario(live_client, uows=1, steps=0)
    move = {
        "uowId": scenario.uow_ids[0],
        "toStatus": "ACTIVE",
        "expectedVersion": 1,
        "attributes": {"b": 1, "a": {"z": 1}},
        "metadata": {"z": 1, "a": [1, {"$uuid": "not a tag", "y": None}]},
        "idempotencyKey": "move-1",
    }
    history = (await fetch(db_urls, HISTORY))[0]
    first = await send(live_client, TRANSITION, move)
    assert payload(first)["errors"] == []
    assert await send(live_client, TRANSITION, move) == first
    assert (await fetch(db_urls, HISTORY))[0] == history + 1
    assert await fetch(db_urls, KEYS) == ["move-1"]

    # Another key is another request: refused as it would be without keys.
    again = payload(await send(live_client, TRANSITION, {**move, "idempotencyKey": "move-2"}))
    assert [e["code"] for e in again["errors"]] == ["STALE_STATE"]
    unguarded = {k: v for k, v in move.items() if k not in ("expectedVersion", "attributes")}
    again = payload(await send(live_client, TRANSITION, {**unguarded, "idempotencyKey": "m-3"}))
    assert [e["code"] for e in again["errors"]] == ["INVALID_TRANSITION"]
    assert (await fetch(db_urls, HISTORY))[0] == history + 1
    assert await fetch(db_urls, KEYS) == ["move-1"]


async def test_a_key_reused_elsewhere_is_a_conflict(live_client: GraphQLClient) -> None:
    scenario = await build_scenario(live_client, uows=1, steps=0)
    move = {"uowId": scenario.uow_ids[0], "toStatus": "ACTIVE", "idempotencyKey": "k"}
    assert payload(await send(live_client, TRANSITION, move))["errors"] == []
    other_input = payload(await send(live_client, TRANSITION, {**move, "reasoning": "x"}))
    start = {"instanceId": scenario.instance_id, "idempotencyKey": "k"}
    other_mutation = payload(await send(live_client, START, start))
    for refused in (other_input, other_mutation):
        assert refused["uow"] is None
        assert [(e["code"], e["path"]) for e in refused["errors"]] == [
            ("CONFLICT", ["input", "idempotencyKey"])
        ]
    assert "transitionUow" in other_mutation["errors"][0]["message"]
    blank = payload(await send(live_client, START, {**start, "idempotencyKey": " "}))
    assert [e["code"] for e in blank["errors"]] == ["VALIDATION_FAILED"]


async def test_a_refused_mutation_keeps_no_key(
    live_client: GraphQLClient, db_urls: TierUrls
) -> None:
    scenario = await build_scenario(live_client, uows=1, steps=0)
    move = {"uowId": scenario.uow_ids[0], "toStatus": "ACTIVE", "idempotencyKey": "fix-me"}
    stale = payload(await send(live_client, TRANSITION, {**move, "expectedVersion": 7}))
    assert [e["code"] for e in stale["errors"]] == ["STALE_STATE"]
    assert await fetch(db_urls, KEYS) == []
    corrected = await send(live_client, TRANSITION, {**move, "expectedVersion": 1})
    assert payload(corrected)["uow"]["status"] == "ACTIVE"
    assert await send(live_client, TRANSITION, {**move, "expectedVersion": 1}) == corrected


async def test_concurrent_retries_write_once(
    clients: list[GraphQLClient], db_urls: TierUrls
) -> None:
    scenario = await build_scenario(clients[0], uows=1, steps=0)
    move = {"uowId": scenario.uow_ids[0], "toStatus": "ACTIVE", "idempotencyKey": "race"}
    history = (await fetch(db_urls, HISTORY))[0]
    bodies = await asyncio.gather(*(send(c, TRANSITION, move) for c in clients[:8]))
    assert all(body == bodies[0] for body in bodies), bodies
    assert payload(bodies[0])["errors"] == []
    assert (await fetch(db_urls, HISTORY))[0] == history + 1


async def test_a_batch_takes_one_key(live_client: GraphQLClient, db_urls: TierUrls) -> None:
    scenario = await build_scenario(live_client, uows=2, steps=0)
    first, second = scenario.uow_ids
    refused_only = {
        "items": [{"uowId": first, "toStatus": "ACTIVE", "expectedVersion": 9}],
        "idempotencyKey": "batch",
    }
    answer = payload(await send(live_client, BATCH, refused_only))
    assert [e["code"] for e in answer["results"][0]["errors"]] == ["STALE_STATE"]
    assert await fetch(db_urls, KEYS) == []  # nothing written: no key

    batch = {
        "items": [
            {"uowId": first, "toStatus": "ACTIVE"},
            {"uowId": second, "toStatus": "ACTIVE", "expectedVersion": 9},
            {"uowId": second, "toStatus": "ACTIVE", "idempotencyKey": "item"},
        ],
        "idempotencyKey": "batch",
    }
    history = (await fetch(db_urls, HISTORY))[0]
    body = await send(live_client, BATCH, batch)
    results = payload(body)["results"]
    assert results[0]["errors"] == []
    assert [e["code"] for e in results[1]["errors"]] == ["STALE_STATE"]
    assert [e["path"] for e in results[2]["errors"]] == [["input", "items", "2", "idempotencyKey"]]
    assert await send(live_client, BATCH, batch) == body
    assert (await fetch(db_urls, HISTORY))[0] == history + 1


async def test_instance_and_actor_mutations_replay(
    live_client: GraphQLClient, db_urls: TierUrls
) -> None:
    scenario = await build_scenario(live_client, uows=1, steps=0)
    actor = {
        "instanceId": scenario.instance_id,
        "name": "Bot",
        "identityKey": "bot",
        "type": "AI_AGENT",
        "idempotencyKey": "actor",
    }
    registered = await send(live_client, REGISTER, actor)
    assert payload(registered)["errors"] == []
    assert await send(live_client, REGISTER, actor) == registered  # not a name CONFLICT

    copy = {"templateName": "Expense_Review", "name": "Copy", "idempotencyKey": "copy"}
    instantiated = await send(live_client, INSTANTIATE, copy)
    assert payload(instantiated)["errors"] == []
    assert await send(live_client, INSTANTIATE, copy) == instantiated

    pause = {"instanceId": scenario.instance_id, "status": "PAUSED", "idempotencyKey": "pause"}
    paused = await send(live_client, STATUS, pause)
    assert payload(paused)["instance"]["status"] == "PAUSED"
    assert await send(live_client, STATUS, pause) == paused
    resume = {**pause, "status": "ACTIVE", "idempotencyKey": "resume"}
    assert payload(await send(live_client, STATUS, resume))["errors"] == []

    uow = scenario.uow_ids[0]
    check = {"uowId": uow, "idempotencyKey": "check"}
    verified = await send(live_client, VERIFY, check)
    assert payload(verified)["intact"] is True
    assert await send(live_client, VERIFY, check) == verified
    counts = await fetch(db_urls, 'SELECT count(*) FROM "Local_Actors"')
    assert counts == [2]  # Ada and Bot, once
    instances = await fetch(db_urls, 'SELECT count(*) FROM "Instance_Context"')
    assert instances == [2]


@pytest.fixture
async def brief_client(db_urls: TierUrls) -> AsyncIterator[GraphQLClient]:
    """A live server whose keys replay for a fifth of a second."""
    settings = Settings(
        template_db_url=db_urls.template,
        instance_db_url=db_urls.instance,
        idempotency_retention_s=0.2,
    )
    async with (
        serve(create_app(settings)) as server,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as http,
    ):
        yield GraphQLClient(http)


async def test_an_expired_key_no_longer_replays(
    brief_client: GraphQLClient, db_urls: TierUrls
) -> None:
    scenario = await build_scenario(brief_client, uows=0)
    start = {"instanceId": scenario.instance_id, "idempotencyKey": "genesis"}
    first = payload(await send(brief_client, START, start))
    await asyncio.sleep(0.3)
    later = payload(await send(brief_client, START, start))
    assert later["errors"] == []
    assert later["uow"]["id"] != first["uow"]["id"]  # run again: a second unit of work
    assert await fetch(db_urls, KEYS) == ["genesis"]  # the expired row gave way
    other = {"instanceId": scenario.instance_id, "idempotencyKey": "other"}
    await send(brief_client, START, other)
    await asyncio.sleep(0.3)
    await send(brief_client, START, {**other, "idempotencyKey": "sweeper"})
    assert await fetch(db_urls, KEYS) == ["sweeper"]  # expired keys swept by a later write


async def test_engine_verbs_replay(live_client: GraphQLClient, db_urls: TierUrls) -> None:
    instance_id = await loan_instance(live_client, {"splitter": ["Document_Splitter"]})
    desk = await Engine.of(live_client, instance_id)
    splitter = desk.actors["splitter"]
    role = desk.roles[f"{LOAN}.Document_Splitter"]
    units = [payload(await send(live_client, START, {"instanceId": instance_id}))["uow"]["id"]]
    units.append(payload(await send(live_client, START, {"instanceId": instance_id}))["uow"]["id"])
    units.append(payload(await send(live_client, START, {"instanceId": instance_id}))["uow"]["id"])

    async def twice(document: str, values: dict[str, Any]) -> dict[str, Any]:
        first = await send(live_client, document, values)
        assert payload(first)["errors"] == [], first
        written = await fetch(db_urls, HISTORY)
        assert await send(live_client, document, values) == first
        assert await fetch(db_urls, HISTORY) == written  # the retry wrote nothing
        return payload(first)

    for n, uow in enumerate(units):
        take = {"roleId": role, "actorId": splitter, "uowId": uow, "idempotencyKey": f"take{n}"}
        assert (await twice(CHECKOUT, take))["uow"]["id"] == uow
    beat = {"uowId": units[0], "actorId": splitter, "idempotencyKey": "beat"}
    await twice(HEARTBEAT, beat)
    handed = {
        "uowId": units[0],
        "actorId": splitter,
        "decompose": [{"document": "id"}, {"document": "payslip"}],
        "idempotencyKey": "hand",
    }
    submitted = await twice(SUBMIT, handed)
    assert len(submitted["children"]) == 2
    split = {
        "parentId": units[1],
        "actorId": splitter,
        "children": [{"document": "id"}],
        "idempotencyKey": "split",
    }
    assert len((await twice(DECOMPOSE, split))["children"]) == 1
    failed = {"uowId": units[2], "actorId": splitter, "error": {"why": "x"}, "idempotencyKey": "f"}
    assert (await twice(REPORT_FAILURE, failed))["uow"]["status"] == "FAILED"
    assert await fetch(db_urls, KEYS) == sorted(
        ["take0", "take1", "take2", "beat", "hand", "split", "f"]
    )
