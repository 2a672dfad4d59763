"""`recordTelemetry` per second over HTTP: what a client can record, not what the buffer takes.

Each request goes the whole API path (HTTP, GraphQL execution, the id checks, the buffer,
the publication to the event bus) against `chameleon serve` on SQLite. The figure counts
accepted entries only, and the benchmark fails unless every accepted entry is in
Interaction_Logs once the server has stopped (SIGTERM drains the buffer).

The load comes from wrk (Debian's `wrk`, installed by `scripts/install-system-packages`),
16 connections on 2 threads, each request a different entry (unit, actor and step vary).
A Python client at 5,000 requests/s would take most of a core from the server on a 2-core
machine and measure itself; wrk takes a few percent.

Its baseline, in the same run on the same server with the same load generator, is the
cheapest mutation there is (`mutation { __typename }`): the floor of GraphQL over HTTP in
one process, so the difference between the two is what recording itself costs.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from storage.engines import Tiers
from storage.enums import ActorType, LogType
from storage.models import InteractionLogRow
from storage.runtime.actors import register_actor
from tests.bench.common import Urls, fresh_sqlite, median, server, temporary_dir
from tests.bench.data import bulk_uows, example_instance

ROUNDS = 3
ROUND_S = 5
WARM_UP_S = 1
CLIENTS = 16
THREADS = 2
UOWS = 64
ACTORS = 4
RECORD = """mutation($input: RecordTelemetryInput!) {
  recordTelemetry(input: $input) { accepted errors { code } } }"""
FLOOR = "mutation { __typename }"

# wrk's Lua side: one body per request, each answer classified, the counts of every thread
# summed and printed as one JSON line at the end.
_COUNTING = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) accepted = 0; refused = 0; other = 0; sample = "" end
function response(status, headers, body)
  if status == 200 and string.find(body, ACCEPTED, 1, true) then accepted = accepted + 1
  elseif status == 200 and string.find(body, '"BACKPRESSURE"', 1, true) then refused = refused + 1
  else other = other + 1; sample = status .. " " .. body end
end
function done(summary, latency, requests)
  local a, r, o, sample = 0, 0, 0, ""
  for _, t in ipairs(threads) do
    a = a + t:get("accepted"); r = r + t:get("refused"); o = o + t:get("other")
    if t:get("sample") ~= "" then sample = t:get("sample") end
  end
  local e = summary.errors
  io.write(string.format(
    '{"seconds": %f, "accepted": %d, "refused": %d, "other": %d, ' ..
    '"socket_errors": %d, "p99_ms": %f, "sample": %q}\n',
    summary.duration / 1e6, a, r, o, e.connect + e.read + e.write + e.timeout,
    latency:percentile(99) / 1000, sample))
end
"""


def _format_string(text: str) -> str:
    """`text` as a Lua format string: its own % doubled, the placeholders kept."""
    return text.replace("%", "%%").replace("%%s", "%s").replace("%%d", "%d")


def _lua_string(text: str) -> str:
    return "[==[" + text + "]==]"


def _record_script(
    instance_id: uuid.UUID, uow_ids: list[uuid.UUID], actor_ids: list[uuid.UUID]
) -> str:
    """What an agent reports while it works: which unit, who, and a few measurements."""
    body = json.dumps(
        {
            "query": RECORD,
            "variables": {
                "input": {
                    "instanceId": str(instance_id),
                    "uowId": "UOW",
                    "actorId": "ACTOR",
                    "logType": "TELEMETRY",
                    "details": {"step": 0, "tool": "ocr", "latencyMs": 12.5, "tokens": 431},
                }
            },
        }
    )
    template = (
        body.replace('"UOW"', '"%s"').replace('"ACTOR"', '"%s"').replace('"step": 0', '"step": %d')
    )
    return f"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
ACCEPTED = '"accepted":true'
local units = {{{", ".join(f'"{u}"' for u in uow_ids)}}}
local actors = {{{", ".join(f'"{a}"' for a in actor_ids)}}}
local template = {_lua_string(_format_string(template))}
local n = 0
function request()
  n = n + 1
  return wrk.format(nil, nil, nil,
    string.format(template, units[n % #units + 1], actors[n % #actors + 1], n))
end
{_COUNTING}"""


def _floor_script() -> str:
    return f"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = {_lua_string(json.dumps({"query": FLOOR}))}
ACCEPTED = '"__typename":"Mutation"'
{_COUNTING}"""


async def _population(urls: Urls) -> tuple[uuid.UUID, list[uuid.UUID], list[uuid.UUID]]:
    tiers = Tiers.open(urls.template, urls.instance)
    try:
        instance_id = await example_instance(tiers)
        uow_ids = await bulk_uows(tiers, instance_id, uows=UOWS, history_per_uow=1)
        actor_ids = [
            (
                await register_actor(
                    tiers.instance,
                    instance_id=instance_id,
                    name=f"agent-{n}",
                    identity_key=f"bench-agent-{n}",
                    type=ActorType.AI_AGENT,
                )
            ).actor_id
            for n in range(ACTORS)
        ]
    finally:
        await tiers.dispose()
    return instance_id, uow_ids, actor_ids


def _wrk(url: str, script: Path, seconds: int) -> dict[str, Any]:
    """One wrk run; its counts, checked: every answer was an acceptance or a refusal."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise SystemExit("wrk is missing: run scripts/install-system-packages (Debian's wrk)")
    command = [wrk, f"-t{THREADS}", f"-c{CLIENTS}", f"-d{seconds}s", "-s", str(script), url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    counts: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    assert counts["other"] == 0, counts
    assert counts["socket_errors"] == 0, counts
    return counts


async def _logged(urls: Urls, log_type: LogType) -> int:
    tiers = Tiers.open(urls.template, urls.instance)
    try:
        async with tiers.instance.sessions() as session:
            count = await session.scalar(
                select(func.count()).where(InteractionLogRow.log_type == log_type)
            )
    finally:
        await tiers.dispose()
    return int(count or 0)


async def measure() -> dict[str, Any]:
    with temporary_dir() as root:
        urls = fresh_sqlite(root)
        instance_id, uow_ids, actor_ids = await _population(urls)
        record, floor = root / "record.lua", root / "floor.lua"
        record.write_text(_record_script(instance_id, uow_ids, actor_ids))
        floor.write_text(_floor_script())
        before = await _logged(urls, LogType.TELEMETRY)
        rates, floors, p99s, accepted, refused = [], [], [], 0, 0
        with server(urls) as running:
            warm = _wrk(running.http_url, record, WARM_UP_S)
            accepted, refused = warm["accepted"], warm["refused"]
            # The median of a few rounds, each beside its floor: a shared machine is noisy.
            for _ in range(ROUNDS):
                counts = _wrk(running.http_url, record, ROUND_S)
                rates.append(counts["accepted"] / counts["seconds"])
                p99s.append(counts["p99_ms"])
                accepted, refused = accepted + counts["accepted"], refused + counts["refused"]
                floor_counts = _wrk(running.http_url, floor, ROUND_S)
                assert floor_counts["refused"] == 0, floor_counts
                floors.append(floor_counts["accepted"] / floor_counts["seconds"])
        # The server has stopped (SIGTERM drains the buffer): every accepted entry is a row.
        flushed = await _logged(urls, LogType.TELEMETRY) - before
    # wrk stops at its deadline without reading the answers still in flight (at most one
    # per connection per run): those entries may be stored too, unannounced to wrk.
    in_flight = CLIENTS * (ROUNDS + 1)
    assert accepted <= flushed <= accepted + in_flight, f"{accepted} accepted, {flushed} stored"
    return {
        "api_record_per_s": round(median(rates)),
        "api_record_p99_ms": round(median(p99s), 1),
        "api_floor_typename_mutation_per_s": round(median(floors)),
        "api_accepted": accepted,
        "api_refused_backpressure": refused,
        "api_rows_flushed": flushed,
        "api_clients": CLIENTS,
    }


if __name__ == "__main__":
    print(asyncio.run(measure()))
