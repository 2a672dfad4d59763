"""Engine cycles per second over HTTP: 16 actors, each in a loop of `checkout` then `submit`
(three attributes, `expectedVersion`, reasoning; the submit's route chosen by a policy
guardian), one server process; SQLite and (when reachable) PostgreSQL.

Half the actors work in role Reviewer (queue Inbox -> Checked, by policy), half in role
Returner (Checked -> Inbox), so every unit of work keeps circulating and no actor waits
for lack of work. After each round the history rows are counted: two per cycle, or the
figure is refused.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import aiohttp
from sqlalchemy import func, select

from storage.engines import Tiers
from storage.enums import ActorType
from storage.models import ActorRow, LocalRoleRow, UowHistoryRow
from storage.runtime import uows
from storage.runtime.instantiation import ActorSpec, instantiate
from storage.templates.importer import import_template_yaml
from tests.bench.common import Urls, fresh_sqlite, median, server, temporary_dir, timed_clients
from tests.bench.transitions import postgres_figures

ROUNDS = 3
CYCLES_PER_ROUND = 1_500
CLIENTS = 16
UNITS = 400
TEMPLATE = """
workflow:
  name: Bench_Loop
  roles:
    - {name: Intake, role_type: ALPHA}
    - {name: Reviewer, role_type: BETA, strategy: HOMOGENEOUS}
    - {name: Returner, role_type: BETA, strategy: HOMOGENEOUS}
    - {name: Archive, role_type: OMEGA}
    - {name: Fixer, role_type: EPSILON}
    - {name: Clock, role_type: TAU}
  interactions:
    - {name: Inbox, stale_token_limit_seconds: 86400}
    - {name: Checked}
    - {name: Done}
    - {name: Broken}
  components:
    - {name: Intake_Out, role: Intake, interaction: Inbox, direction: OUTBOUND}
    - name: Reviewer_In
      role: Reviewer
      interaction: Inbox
      direction: INBOUND
      guardian: {name: Fresh, type: TTL_CHECK}
    - name: Reviewer_To_Checked
      role: Reviewer
      interaction: Checked
      direction: OUTBOUND
      guardian: {name: Keep_Going, type: DIRECTIONAL_FILTER,
                 config: {interaction_policy: "lap < 1000000 and score >= 0"}}
    - name: Reviewer_To_Done
      role: Reviewer
      interaction: Done
      direction: OUTBOUND
      guardian: {name: Finished, type: DIRECTIONAL_FILTER,
                 config: {interaction_policy: "lap >= 1000000"}}
    - {name: Returner_In, role: Returner, interaction: Checked, direction: INBOUND}
    - {name: Returner_Out, role: Returner, interaction: Inbox, direction: OUTBOUND}
    - name: Archive_In
      role: Archive
      interaction: Done
      direction: INBOUND
      guardian: {name: Synced, type: CERBERUS}
    - name: Fixer_In
      role: Fixer
      interaction: Broken
      direction: INBOUND
      guardian: {name: Retry_Gate, type: CRITERIA_GATE, config: {criteria: "retry_count < 3"}}
    - {name: Fixer_Out, role: Fixer, interaction: Inbox, direction: OUTBOUND}
    - {name: Clock_In, role: Clock, interaction: Inbox, direction: INBOUND}
    - {name: Clock_Out, role: Clock, interaction: Broken, direction: OUTBOUND}
"""
CHECKOUT = """mutation($role: ID!, $actor: ID!) {
  checkout(input: {roleId: $role, actorId: $actor}) { uow { id version } errors { code } }
}"""
SUBMIT = """mutation($id: ID!, $actor: ID!, $version: Int!, $attributes: JSON!) {
  submit(input: {uowId: $id, actorId: $actor, expectedVersion: $version,
                 attributes: $attributes, reasoning: "reviewed"}) {
    uow { version } route { kind } errors { code message }
  }
}"""


async def _prepare(urls: Urls) -> list[tuple[str, str]]:
    """The loop template, one instance, 16 actors, UNITS units waiting in Inbox; returns
    (role id, actor id) per client."""
    tiers = Tiers.open(urls.template, urls.instance)
    try:
        await import_template_yaml(tiers.template, text=TEMPLATE)
        specs = [
            ActorSpec(
                f"actor {n:02d}",
                f"bench-{n}",
                ActorType.AI_AGENT,
                roles=["Reviewer" if n % 2 == 0 else "Returner"],
            )
            for n in range(CLIENTS)
        ]
        instance = await instantiate(tiers, template_name="Bench_Loop", name="Bench", actors=specs)
        for n in range(UNITS):
            await uows.start_work(
                tiers.instance,
                instance_id=instance.instance_id,
                attributes={"lap": 0, "score": n % 100, "owner": f"customer {n}"},
            )
        async with tiers.instance.sessions() as session:
            roles = dict(
                (await session.execute(select(LocalRoleRow.name, LocalRoleRow.role_id))).all()
            )
            actors = (
                await session.execute(
                    select(ActorRow.name, ActorRow.actor_id).order_by(ActorRow.name)
                )
            ).all()
        return [
            (str(roles["Reviewer" if n % 2 == 0 else "Returner"]), str(actor_id))
            for n, (_, actor_id) in enumerate(actors)
        ]
    finally:
        await tiers.dispose()


async def _history_rows(urls: Urls) -> int:
    tiers = Tiers.open(urls.template, urls.instance)
    try:
        async with tiers.instance.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(UowHistoryRow)) or 0)
    finally:
        await tiers.dispose()


async def _round(url: str, desks: list[tuple[str, str]]) -> tuple[float, int]:
    """(cycles per second, cycles done): every client checks out and submits until the
    round's cycles are done."""
    done = 0
    idle = 0

    async def post(http: aiohttp.ClientSession, query: str, variables: dict[str, Any]) -> Any:
        async with http.post(url, json={"query": query, "variables": variables}) as response:
            body = await response.json()
        assert "errors" not in body, body
        (payload,) = body["data"].values()
        assert payload["errors"] == [], payload["errors"]
        return payload

    async def client(http: aiohttp.ClientSession, role: str, actor: str) -> None:
        nonlocal done, idle
        lap = 0
        while done < CYCLES_PER_ROUND:
            taken = await post(http, CHECKOUT, {"role": role, "actor": actor})
            if taken["uow"] is None:
                idle += 1
                await asyncio.sleep(0.002)
                continue
            lap += 1
            attributes = {"lap": lap, "score": lap % 97, "note": f"seen by {actor[:8]}"}
            variables = {
                "id": taken["uow"]["id"],
                "actor": actor,
                "version": taken["uow"]["version"],
                "attributes": attributes,
            }
            submitted = await post(http, SUBMIT, variables)
            assert submitted["route"]["kind"] == "ROUTED", submitted
            done += 1

    elapsed = await timed_clients(
        [functools.partial(client, role=role, actor=actor) for role, actor in desks],
        timeout_s=120,
    )
    return done / elapsed, done


async def _rate(urls: Urls) -> dict[str, Any]:
    desks = await _prepare(urls)
    before = await _history_rows(urls)
    rates, cycles = [], 0
    with server(urls) as running:
        for _ in range(ROUNDS):
            rate, done = await _round(running.http_url, desks)
            rates.append(rate)
            cycles += done
    written = await _history_rows(urls) - before
    # Each cycle is two moves (PENDING -> ACTIVE, ACTIVE -> PENDING): the work was done.
    assert written == 2 * cycles, (written, cycles)
    return {"cycles_per_s": round(median(rates), 1), "cycles": cycles}


async def measure() -> dict[str, Any]:
    with temporary_dir() as root:
        sqlite = await _rate(fresh_sqlite(root))
    result: dict[str, Any] = {
        "sqlite": sqlite["cycles_per_s"],
        "postgres": None,
        "clients": CLIENTS,
        "rounds": ROUNDS,
        "cycles_per_round": CYCLES_PER_ROUND,
    }

    async def on_postgres(urls: Urls) -> dict[str, Any]:
        return {"postgres": (await _rate(urls))["cycles_per_s"]}

    result |= await postgres_figures(on_postgres)
    return result


if __name__ == "__main__":
    print(asyncio.run(measure()))
