"""The engine verbs over real HTTP: a loan runs from genesis to COMPLETED by several actors,
concurrent checkouts never share a unit of work, refusals write nothing."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.client import GraphQLClient
from tests.engine_client import CHECKOUT, LOAN, SET_STATUS, START, Engine, loan_instance
from tests.live_server import LiveServer
from tests.scenario import mutate
from tests.ws_client import subscribed

UNITS = """query($id: ID!) {
  uows(instanceId: $id, first: 500) { edges { node {
    id status parent { id } workflow { name }
    history(first: 50) { edges { node {
      previousStatus newStatus reasoning
      previousInteraction { name } newInteraction { name }
    } } }
  } } }
}"""
VERIFY = """mutation($id: ID!) { verifyUowState(input: {uowId: $id}) { intact errors { code } } }"""
COUNTS = """query($id: ID!) {
  instance(id: $id) { logs(first: 1) { totalCount } uows(first: 1) { totalCount } }
}"""
ROLES = {
    "splitter": ["Document_Splitter"],
    "gateway": ["Credit_Gateway"],
    "gateway2": ["Credit_Gateway"],
    "scorer": ["Credit_Check.Scorer"],
    "decider": ["Credit_Check.Decision"],
    "fixer": ["Credit_Check.Data_Fixer"],
    "remedy": ["Remediation"],
    "underwriter": ["Underwriter"],
}
CREDIT = "Credit_Check"


async def engines(clients: list[GraphQLClient], instance_id: str, n: int) -> list[Engine]:
    return [await Engine.of(client, instance_id) for client in clients[:n]]


async def test_a_loan_runs_from_genesis_to_completed(clients: list[GraphQLClient]) -> None:
    instance_id = await loan_instance(clients[0], ROLES)
    desk = dict(zip(ROLES, await engines(clients, instance_id, len(ROLES)), strict=True))
    started = await mutate(
        clients[0],
        START,
        {
            "input": {
                "instanceId": instance_id,
                "attributes": {"applicant": "Ada", "amount": 20_000, "flagged": False},
                "reasoning": "application received",
            }
        },
    )
    base = started["uow"]["id"]

    # BETA decomposition: one child per document; the flagged payslip will take the long way.
    taken = await desk["splitter"].take(f"{LOAN}.Document_Splitter", "splitter")
    assert taken["id"] == base
    assert taken["lockedBy"]["id"] == desk["splitter"].actors["splitter"]
    split = await desk["splitter"].hand_back(
        base,
        "splitter",
        decompose=[{"document": "id"}, {"document": "payslip", "flagged": True}],
        reasoning="one unit per document",
    )
    assert split["route"]["kind"] == "DECOMPOSED"
    assert split["route"]["interaction"]["name"] == "Credit_Results"
    assert [c["currentInteraction"]["name"] for c in split["children"]] == ["Documents"] * 2
    nothing = await desk["underwriter"].checkout(f"{LOAN}.Underwriter", "underwriter")
    assert nothing == {"uow": None, "historyEntry": None, "errors": []}

    # The children in parallel, by two gateway actors: each goes into the child workflow.
    async def through_gateway(actor: str) -> dict[str, Any]:
        doc = await desk[actor].take(f"{LOAN}.Credit_Gateway", actor)
        return await desk[actor].hand_back(doc["id"], actor, reasoning="credit check")

    handed = await asyncio.gather(through_gateway("gateway"), through_gateway("gateway2"))
    for payload in handed:
        assert payload["route"]["kind"] == "GATEWAY"
        assert payload["uow"]["status"] == "ACTIVE"
        assert payload["uow"]["lockedBy"] is None
        assert payload["children"][0]["currentInteraction"]["name"] == "To_Score"

    # In the child workflow one file fails and is repaired, then both are scored.
    scorer, fixer, decider = desk["scorer"], desk["fixer"], desk["decider"]
    first = await scorer.take(f"{CREDIT}.Scorer", "scorer")
    failed = await scorer.report_failure(first["id"], "scorer", error={"reason": "bureau down"})
    assert failed["errors"] == []
    assert failed["uow"]["status"] == "FAILED"
    assert failed["uow"]["retryCount"] == 1
    assert failed["uow"]["currentInteraction"]["name"] == "Bad_Data"
    repaired = await fixer.take(f"{CREDIT}.Data_Fixer", "fixer")
    assert repaired["id"] == first["id"]
    back = await fixer.hand_back(repaired["id"], "fixer", reasoning="bureau file re-pulled")
    assert back["route"]["interaction"]["name"] == "To_Score"
    for _ in range(2):
        file = await scorer.take(f"{CREDIT}.Scorer", "scorer")
        scored = await scorer.hand_back(file["id"], "scorer", attributes={"score": 720})
        assert scored["route"]["componentName"] == "Scorer_Out"
        assert scored["route"]["guardianName"] == "Score_Ready"
    # The child workflow's OMEGA completes each file; its parent document moves on by the
    # gateway's policy: the clean one back to the join, the flagged one to Exceptions.
    routes = []
    for _ in range(2):
        file = await decider.take(f"{CREDIT}.Decision", "decider")
        done = await decider.hand_back(file["id"], "decider")
        assert done["route"]["kind"] == "COMPLETED"
        routes.append(done)
    units = await _units(clients[0], instance_id)
    docs = [u for u in units.values() if u["parent"] and u["parent"]["id"] == base]
    where = sorted((u["status"], _last(u)["newInteraction"]["name"]) for u in docs)
    assert where == [("COMPLETED", "Credit_Results"), ("PENDING", "Exceptions")]

    # Not yet: one document is still out.
    nothing = await desk["underwriter"].checkout(f"{LOAN}.Underwriter", "underwriter")
    assert nothing["uow"] is None
    # EPSILON remediation: the reviewer clears the flag and sends it round again.
    remedy = desk["remedy"]
    flagged = await remedy.take(f"{LOAN}.Remediation", "remedy")
    again = await remedy.hand_back(flagged["id"], "remedy", attributes={"flagged": False})
    assert again["route"]["componentName"] == "Remediation_Out"
    doc = await desk["gateway"].take(f"{LOAN}.Credit_Gateway", "gateway")
    await desk["gateway"].hand_back(doc["id"], "gateway")
    file = await scorer.take(f"{CREDIT}.Scorer", "scorer")
    await scorer.hand_back(file["id"], "scorer", attributes={"score": 610})
    file = await decider.take(f"{CREDIT}.Decision", "decider")
    await decider.hand_back(file["id"], "decider")

    # The Cerberus join lets the application through; OMEGA completes it.
    final = await desk["underwriter"].take(f"{LOAN}.Underwriter", "underwriter")
    assert final["id"] == base
    assert final["currentRole"]["name"] == "Underwriter"
    done = await desk["underwriter"].hand_back(base, "underwriter", attributes={"ok": True})
    assert done["uow"]["status"] == "COMPLETED"
    assert done["route"]["kind"] == "COMPLETED"

    units = await _units(clients[0], instance_id)
    assert _story(units[base]) == [
        (None, "PENDING", "Applications"),
        ("PENDING", "ACTIVE", "Applications"),
        ("ACTIVE", "PENDING", "Credit_Results"),
        ("PENDING", "ACTIVE", "Credit_Results"),
        ("ACTIVE", "COMPLETED", "Credit_Results"),
    ]
    flagged_doc = next(u for u in docs if _last(u)["newInteraction"]["name"] == "Exceptions")
    assert [s[2] for s in _story(units[flagged_doc["id"]])] == [
        "Applications",  # created where its parent was
        "Documents",  # routed out of the splitter
        "Documents",  # checked out by the gateway
        "Documents",  # waiting for Credit_Check
        "Exceptions",  # Needs_Review: flagged
        "Exceptions",  # remediation
        "Documents",  # Remediation_Out
        "Documents",
        "Documents",
        "Credit_Results",  # back at the join: COMPLETED
    ]
    assert all(u["status"] == "COMPLETED" for u in units.values())
    for uow_id in units:
        verified = (await clients[0].data(VERIFY, {"id": uow_id}))["verifyUowState"]
        assert verified == {"intact": True, "errors": []}


def _last(unit: dict[str, Any]) -> dict[str, Any]:
    return dict(unit["history"]["edges"][-1]["node"])


def _story(unit: dict[str, Any]) -> list[tuple[str | None, str, str]]:
    return [
        (e["node"]["previousStatus"], e["node"]["newStatus"], e["node"]["newInteraction"]["name"])
        for e in unit["history"]["edges"]
    ]


async def _units(client: GraphQLClient, instance_id: str) -> dict[str, Any]:
    data = await client.data(UNITS, {"id": instance_id})
    return {e["node"]["id"]: e["node"] for e in data["uows"]["edges"]}


async def test_twenty_actors_share_ten_units_without_a_double(
    clients: list[GraphQLClient],
) -> None:
    crowd = {f"a{n:02d}": ["Document_Splitter"] for n in range(20)}
    instance_id = await loan_instance(clients[0], crowd)
    for n in range(10):
        await mutate(
            clients[0], START, {"input": {"instanceId": instance_id, "attributes": {"n": n}}}
        )
    desks = await engines(clients, instance_id, 20)
    answers = await asyncio.gather(
        *(
            desk.checkout(f"{LOAN}.Document_Splitter", actor)
            for desk, actor in zip(desks, crowd, strict=True)
        )
    )
    assert all(a["errors"] == [] for a in answers)
    won = [a["uow"] for a in answers if a["uow"] is not None]
    assert len(won) == 10
    assert sum(a["uow"] is None for a in answers) == 10
    assert len({w["id"] for w in won}) == 10
    assert len({w["lockedBy"]["id"] for w in won}) == 10
    units = await _units(clients[0], instance_id)
    assert all(u["status"] == "ACTIVE" for u in units.values())
    assert all(len(u["history"]["edges"]) == 2 for u in units.values())


async def test_refusals_are_payload_errors_and_write_nothing(
    clients: list[GraphQLClient],
) -> None:
    actors = {"splitter": ["Document_Splitter"], "other": ["Document_Splitter"], "idle": []}
    instance_id = await loan_instance(clients[0], actors)
    desk = await Engine.of(clients[0], instance_id)
    start = {"instanceId": instance_id, "attributes": {"amount": 5}}
    uow_id = (await mutate(clients[0], START, {"input": start}))["uow"]["id"]
    splitter = f"{LOAN}.Document_Splitter"

    async def refused(code: str, call: Any) -> dict[str, Any]:
        before = await clients[0].data(COUNTS, {"id": instance_id})
        payload = await call
        assert payload["uow"] is None
        assert [e["code"] for e in payload["errors"]] == [code], payload["errors"]
        assert await clients[0].data(COUNTS, {"id": instance_id}) == before
        return payload

    answer = await refused("FORBIDDEN", desk.checkout(splitter, "idle"))
    assert answer["errors"][0]["path"] == ["input", "actorId"]
    await refused("INVALID_TRANSITION", desk.submit(uow_id, "splitter"))
    stranger = {"roleId": desk.roles[splitter], "actorId": "00000000-0000-4000-8000-000000000000"}
    await refused("NOT_FOUND", desk.call(CHECKOUT, **stranger))
    taken = await desk.take(splitter, "splitter")
    await refused("FORBIDDEN", desk.submit(uow_id, "other"))
    await refused("STALE_STATE", desk.submit(uow_id, "splitter", expectedVersion=1))
    await refused(
        "VALIDATION_FAILED", desk.submit(uow_id, "splitter", attributes=["not", "an", "object"])
    )
    await refused("FORBIDDEN", desk.report_failure(uow_id, "other", error={"x": 1}))
    await mutate(clients[0], SET_STATUS, {"input": {"instanceId": instance_id, "status": "PAUSED"}})
    await refused(
        "INSTANCE_NOT_ACTIVE",
        desk.submit(uow_id, "splitter", expectedVersion=taken["version"]),
    )
    await refused("INSTANCE_NOT_ACTIVE", desk.checkout(splitter, "other"))


QUEUE = """query($instance: ID!, $actor: ID!) {
  instance(id: $instance) {
    workflows { roles { id name inbox(first: 2) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { id } }
    } } }
  }
  actor(id: $actor) { work { id status } }
}"""
MOVE = """mutation($input: TransitionUowInput!) {
  transitionUow(input: $input) { uow { id } errors { code message } }
}"""
DECISIONS = """subscription($id: ID!) {
  telemetry(instanceId: $id, logTypes: [GUARDIAN_DECISION, STATE_TRANSITION]) {
    logType uowId details transition { previousStatus newStatus }
  }
}"""


def _inbox(data: dict[str, Any], role: str) -> dict[str, Any]:
    roles = [r for w in data["instance"]["workflows"] for r in w["roles"]]
    return dict(next(r["inbox"] for r in roles if r["name"] == role))


async def test_inbox_shows_what_checkout_would_take_and_work_what_is_held(
    clients: list[GraphQLClient],
) -> None:
    instance_id = await loan_instance(clients[0], {"splitter": ["Document_Splitter"]})
    desk = await Engine.of(clients[0], instance_id)
    started = [
        (await mutate(clients[0], START, {"input": {"instanceId": instance_id}}))["uow"]["id"]
        for _ in range(3)
    ]
    ask = {"instance": instance_id, "actor": desk.actors["splitter"]}
    data = await clients[0].data(QUEUE, ask)
    inbox = _inbox(data, "Document_Splitter")
    assert inbox["totalCount"] == 3
    assert [e["node"]["id"] for e in inbox["edges"]] == started[:2]  # oldest first
    assert inbox["pageInfo"]["hasNextPage"] is True
    assert data["actor"]["work"] == []
    taken = await desk.take(f"{LOAN}.Document_Splitter", "splitter")
    assert taken["id"] == started[0]  # checkout takes the head of the inbox
    data = await clients[0].data(QUEUE, ask)
    assert _inbox(data, "Document_Splitter")["totalCount"] == 2
    assert data["actor"]["work"] == [{"id": started[0], "status": "ACTIVE"}]


async def test_guardian_decisions_reach_subscribers_with_the_move(
    live: LiveServer, clients: list[GraphQLClient]
) -> None:
    instance_id = await loan_instance(clients[0], {"remedy": ["Remediation"]})
    desk = await Engine.of(clients[0], instance_id)
    uow_id = (await mutate(clients[0], START, {"input": {"instanceId": instance_id}}))["uow"]["id"]
    # The low-level verb places an unheld unit where the EPSILON role looks for work.
    exceptions = desk.interactions[f"{LOAN}.Exceptions"]
    await mutate(clients[0], MOVE, {"input": {"uowId": uow_id, "toInteractionId": exceptions}})
    async with subscribed(live, DECISIONS, {"id": instance_id}) as ws:
        taken = await desk.take(f"{LOAN}.Remediation", "remedy")
        first = (await ws.next())["payload"]["data"]["telemetry"]
        second = (await ws.next())["payload"]["data"]["telemetry"]
    assert taken["id"] == uow_id
    assert first["logType"] == "GUARDIAN_DECISION"
    assert first["uowId"] == uow_id
    assert first["details"]["guardian"] == "Review_Gate"
    assert first["details"]["verdict"] == "PASS"
    assert second["logType"] == "STATE_TRANSITION"
    assert second["transition"] == {"previousStatus": "PENDING", "newStatus": "ACTIVE"}


DECOMPOSE = """mutation($input: DecomposeInput!) {
  decompose(input: $input) { parent { id } children { id } errors { code path } }
}"""


async def test_decompose_refuses_children_that_are_not_objects(
    clients: list[GraphQLClient],
) -> None:
    instance_id = await loan_instance(clients[0], {"splitter": ["Document_Splitter"]})
    desk = await Engine.of(clients[0], instance_id)
    uow_id = (await mutate(clients[0], START, {"input": {"instanceId": instance_id}}))["uow"]["id"]
    await desk.take(f"{LOAN}.Document_Splitter", "splitter")
    before = await clients[0].data(COUNTS, {"id": instance_id})
    bad = {"parentId": uow_id, "actorId": desk.actors["splitter"], "children": [{}, 1, "x"]}
    answer = (await clients[0].data(DECOMPOSE, {"input": bad}))["decompose"]
    assert answer["children"] == []
    assert answer["errors"] == [{"code": "VALIDATION_FAILED", "path": ["input", "children[1]"]}]
    assert await clients[0].data(COUNTS, {"id": instance_id}) == before
