"""The deep read of SPEC 7 over HTTP, against the same rows fetched with SQLAlchemy Core.

The ratio only means something if both fetched the same rows: before anything is reported,
both answers must hold the same workflows, roles, page totals, units of work (with their
cursors and statuses) and history rows."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import defaultdict
from typing import Any

import httpx
from sqlalchemy import func, select, union

from resolvers.pagination import encode_cursor
from storage.engines import Tiers
from storage.enums import ComponentDirection
from storage.models import (
    InstanceRow,
    LocalComponentRow,
    LocalRoleRow,
    LocalWorkflowRow,
    UnitOfWorkRow,
    UowHistoryRow,
)
from tests.bench.common import Urls, fresh_sqlite, median, server, sql_statements, temporary_dir
from tests.bench.data import bulk_uows, example_instance

UOWS = 2_000
HISTORY_PER_UOW = 5
RUNS = 25
QUERY = """query($id: ID!) { instance(id: $id) { id name workflows { id name roles { id name
  uows(first: 50) { totalCount edges { cursor node { id status
    history(first: 10) { edges { node { id newStatus transitionTimestamp } } } } } } } } } }"""


async def raw_read(tiers: Tiers, instance_id: uuid.UUID) -> bytes:
    """The same rows with Core and the same windowed statements, encoded as JSON."""
    async with tiers.instance.engine.connect() as conn:
        instance = (
            await conn.execute(
                select(InstanceRow.instance_id, InstanceRow.name).where(
                    InstanceRow.instance_id == instance_id
                )
            )
        ).one()
        workflows = (
            await conn.execute(
                select(LocalWorkflowRow.local_workflow_id, LocalWorkflowRow.name).where(
                    LocalWorkflowRow.instance_id == instance_id
                )
            )
        ).all()
        roles = (
            await conn.execute(
                select(
                    LocalRoleRow.role_id, LocalRoleRow.name, LocalRoleRow.local_workflow_id
                ).where(LocalRoleRow.local_workflow_id.in_([w[0] for w in workflows]))
            )
        ).all()
        role_ids = [r[0] for r in roles]
        u, c = UnitOfWorkRow.__table__, LocalComponentRow.__table__
        queued = (
            select(u.c.uow_id, u.c.status, u.c.created_at, c.c.role_id.label("key"))
            .join(c, c.c.interaction_id == u.c.current_interaction_id)
            .where(c.c.role_id.in_(role_ids), c.c.direction == ComponentDirection.INBOUND)
        )
        held = select(
            u.c.uow_id, u.c.status, u.c.created_at, u.c.current_role_id.label("key")
        ).where(u.c.current_role_id.in_(role_ids))
        both = union(queued, held).subquery()
        ranked = select(
            both,
            func.row_number()
            .over(partition_by=both.c.key, order_by=(both.c.created_at, both.c.uow_id))
            .label("rn"),
            func.count().over(partition_by=both.c.key).label("total"),
        ).subquery()
        uows = (await conn.execute(select(ranked).where(ranked.c.rn <= 50))).all()
        h = UowHistoryRow.__table__
        hranked = (
            select(
                h.c.history_id,
                h.c.uow_id,
                h.c.new_status,
                h.c.transition_timestamp,
                func.row_number()
                .over(partition_by=h.c.uow_id, order_by=(h.c.transition_timestamp, h.c.history_id))
                .label("rn"),
            )
            .where(h.c.uow_id.in_({row.uow_id for row in uows}))
            .subquery()
        )
        history = (await conn.execute(select(hranked).where(hranked.c.rn <= 10))).all()
    history_of: dict[Any, list[Any]] = defaultdict(list)
    for row in history:
        history_of[row.uow_id].append(
            {
                "id": str(row.history_id),
                "newStatus": row.new_status.value,
                "transitionTimestamp": row.transition_timestamp.isoformat(),
            }
        )
    uows_of: dict[Any, list[Any]] = defaultdict(list)
    totals: dict[Any, int] = {}
    for row in uows:
        totals[row.key] = row.total
        uows_of[row.key].append(
            {
                "cursor": encode_cursor(row.uow_id),
                "node": {
                    "id": str(row.uow_id),
                    "status": row.status.value,
                    "history": {"edges": [{"node": n} for n in history_of[row.uow_id]]},
                },
            }
        )
    document = {
        "instance": {
            "id": str(instance.instance_id),
            "name": instance.name,
            "workflows": [
                {
                    "id": str(w[0]),
                    "name": w[1],
                    "roles": [
                        {
                            "id": str(r[0]),
                            "name": r[1],
                            "uows": {"totalCount": totals.get(r[0], 0), "edges": uows_of[r[0]]},
                        }
                        for r in roles
                        if r[2] == w[0]
                    ],
                }
                for w in workflows
            ],
        }
    }
    return json.dumps({"data": document}).encode()


def rows_of(answer: dict[str, Any]) -> dict[str, list[Any]]:
    """What a nested-read answer holds, level by level, in a comparable order."""
    workflows = answer["data"]["instance"]["workflows"]
    roles = [role for workflow in workflows for role in workflow["roles"]]
    edges = [(role["id"], edge) for role in roles for edge in role["uows"]["edges"]]
    return {
        "workflows": sorted(workflow["id"] for workflow in workflows),
        "roles": sorted(role["id"] for role in roles),
        "page_totals": sorted((role["id"], role["uows"]["totalCount"]) for role in roles),
        "units": sorted(
            (role, edge["cursor"], edge["node"]["id"], edge["node"]["status"])
            for role, edge in edges
        ),
        "history": sorted(
            (edge["node"]["id"], entry["node"]["id"], entry["node"]["newStatus"])
            for _, edge in edges
            for entry in edge["node"]["history"]["edges"]
        ),
    }


async def measure() -> dict[str, Any]:
    with temporary_dir() as root:
        urls: Urls = fresh_sqlite(root)
        tiers = Tiers.open(urls.template, urls.instance)
        try:
            instance_id = await example_instance(tiers)
            await bulk_uows(tiers, instance_id, uows=UOWS, history_per_uow=HISTORY_PER_UOW)
            raw_ms = []
            for _ in range(RUNS):
                started = time.perf_counter()
                raw_answer = await raw_read(tiers, instance_id)
                raw_ms.append((time.perf_counter() - started) * 1000)
        finally:
            await tiers.dispose()
        with server(urls) as running:
            async with httpx.AsyncClient(timeout=60) as http:
                body = {"query": QUERY, "variables": {"id": str(instance_id)}}
                response = await http.post(running.http_url, json=body)
                assert "errors" not in response.json(), response.text
                before = sql_statements(running.port)
                await http.post(running.http_url, json=body)
                statements = sql_statements(running.port) - before
                graphql_ms = []
                for _ in range(RUNS):
                    started = time.perf_counter()
                    response = await http.post(running.http_url, json=body)
                    response.raise_for_status()
                    graphql_ms.append((time.perf_counter() - started) * 1000)
    fetched = rows_of(response.json())
    assert fetched == rows_of(json.loads(raw_answer)), "GraphQL and raw SQL fetched other rows"
    assert fetched["units"], "the read fetched no units of work"
    assert fetched["history"], "the read fetched no history"
    graphql, raw = median(graphql_ms), median(raw_ms)
    return {
        "uows": UOWS,
        "history_rows": UOWS * HISTORY_PER_UOW,
        "units_fetched": len(fetched["units"]),
        "history_fetched": len(fetched["history"]),
        "sql_statements": int(statements),
        "graphql_ms_p50": round(graphql, 2),
        "raw_sql_ms_p50": round(raw, 2),
        "ratio_to_raw_sql": round(graphql / raw, 2),
    }


if __name__ == "__main__":
    print(asyncio.run(measure()))
