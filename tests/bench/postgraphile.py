"""PostGraphile v4 as the compiled reads' outside baseline (issue 14), on the bench's own
PostgreSQL instance tier.

Nothing of PostGraphile is kept here: the bench runs `npx --yes postgraphile@VERSION` (one
Node process, the pinned version fetched from the npm registry on first use) against the
database the other columns read, with PostGraphile's default inflection (`allUnitsOfWorks`,
`localRolesByLocalWorkflowId`, `nodes`/`edges`). A role's units of work have no foreign key
of their own in Chameleon's schema (the units waiting at an interaction the role consumes,
or held by the role), so the bench gives PostGraphile that one link as a computed column
(`Local_Roles_uows`, a STABLE SQL function created in the bench database, dropped with it),
the way PostGraphile's documentation extends a schema. Its answers must hold the same units
of work and history rows, in the same order, as Chameleon's before any rate is kept; when
PostGraphile cannot be started, the reason is reported instead of a figure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from tests.processes import free_port

VERSION = "4.14.1"
START_SECONDS = 300.0  # the first `npx` run downloads PostGraphile and its dependencies

ROLE_UOWS = """CREATE OR REPLACE FUNCTION "Local_Roles_uows"(r "Local_Roles")
RETURNS SETOF "UnitsOfWork" LANGUAGE sql STABLE AS $$
  SELECT u.* FROM "UnitsOfWork" u
  WHERE u.current_role_id = r.role_id
     OR u.current_interaction_id IN (
       SELECT c.interaction_id FROM "Local_Components" c
       WHERE c.role_id = r.role_id AND c.direction = 'INBOUND')
  ORDER BY u.created_at, u.uow_id
$$"""

# The deep read and the 500-row page of tests/bench/compiled_reads.py in PostGraphile's naming.
DEEP = """query($id: UUID!) { instanceContextByInstanceId(instanceId: $id) { instanceId name
  localWorkflowsByInstanceId { nodes { localWorkflowId name
    localRolesByLocalWorkflowId { nodes { roleId name
      uows(first: 50) { totalCount edges { cursor node { uowId status
        unitsOfWorkHistoriesByUowId(first: 10,
            orderBy: [TRANSITION_TIMESTAMP_ASC, HISTORY_ID_ASC]) {
          nodes { historyId newStatus transitionTimestamp } } } } } } } } } } }"""
PAGE = """query($id: UUID!) { allUnitsOfWorks(condition: {instanceId: $id}, first: 500,
    orderBy: [CREATED_AT_ASC, UOW_ID_ASC]) { totalCount edges { node {
  uowId status childCount finishedChildCount contentHash version retryCount lastHeartbeatAt
  createdAt updatedAt } } } }"""
QUERIES = {"deep": DEEP, "uows_page": PAGE}


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def add_role_uows(instance_url: str) -> None:
    """The role → units of work link as a computed column PostGraphile exposes as `uows`."""
    connection = await asyncpg.connect(_libpq(instance_url))
    try:
        await connection.execute(ROLE_UOWS)
    finally:
        await connection.close()


@contextlib.contextmanager
def postgraphile(instance_url: str) -> Iterator[tuple[str | None, str]]:
    """(GraphQL URL, "") of a running PostGraphile, or (None, why it is not running)."""
    npx = shutil.which("npx")
    if npx is None:
        yield None, "not run: npx is not on PATH"
        return
    port = free_port()
    command = [
        npx,
        "--yes",
        f"postgraphile@{VERSION}",
        "--connection",
        _libpq(instance_url),
        "--schema",
        "public",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--disable-query-log",
    ]
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            command,
            env={**os.environ, "NODE_ENV": "production"},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # npx starts node as a child: stop the whole group
        )
        try:
            url = f"http://127.0.0.1:{port}/graphql"
            why = _wait_until_up(url, process, log)
            yield (url, "") if why is None else (None, why)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Any) -> str | None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            tail = " | ".join(log.read().strip().splitlines()[-5:])
            return f"not run: postgraphile@{VERSION} exited with {process.returncode}: {tail}"
        with contextlib.suppress(httpx.HTTPError):
            answer = httpx.post(url, json={"query": "{ __typename }"}, timeout=5)
            if answer.status_code == 200:
                return None
        time.sleep(0.5)
    return f"not run: postgraphile@{VERSION} did not answer within {START_SECONDS:.0f} s"


def chameleon_rows(name: str, answer: dict[str, Any]) -> Any:
    """The rows a Chameleon answer holds, in the order it holds them."""
    data = answer["data"]
    if name == "uows_page":
        page = data["uows"]
        return page["totalCount"], [(e["node"]["id"], e["node"]["status"]) for e in page["edges"]]
    roles = {
        role["id"]: (
            role["uows"]["totalCount"],
            [
                (
                    edge["node"]["id"],
                    edge["node"]["status"],
                    [h["node"]["id"] for h in edge["node"]["history"]["edges"]],
                )
                for edge in role["uows"]["edges"]
            ],
        )
        for workflow in data["instance"]["workflows"]
        for role in workflow["roles"]
    }
    return data["instance"]["id"], roles


def postgraphile_rows(name: str, answer: dict[str, Any]) -> Any:
    """The same view of a PostGraphile answer."""
    data = answer["data"]
    if name == "uows_page":
        page = data["allUnitsOfWorks"]
        return page["totalCount"], [
            (e["node"]["uowId"], e["node"]["status"]) for e in page["edges"]
        ]
    instance = data["instanceContextByInstanceId"]
    roles = {
        role["roleId"]: (
            role["uows"]["totalCount"],
            [
                (
                    edge["node"]["uowId"],
                    edge["node"]["status"],
                    [h["historyId"] for h in edge["node"]["unitsOfWorkHistoriesByUowId"]["nodes"]],
                )
                for edge in role["uows"]["edges"]
            ],
        )
        for workflow in instance["localWorkflowsByInstanceId"]["nodes"]
        for role in workflow["localRolesByLocalWorkflowId"]["nodes"]
    }
    return instance["instanceId"], roles
