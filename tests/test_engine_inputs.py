"""The engine verbs' client JSON goes through the same normalisation as every other write
(issue 12): `submit`'s metadata and reasoning, `reportFailure`'s error and reasoning.
What the strictest database would refuse is VALIDATION_FAILED with its path and nothing
written; everything else is accepted, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.client import GraphQLClient
from tests.engine_client import LOAN, REPORT_FAILURE, START, SUBMIT, Engine, loan_instance
from tests.hypothesis_settings import examples_sharing_fixtures
from tests.json_values import (
    JSON_VALUES,
    TEXT,
    as_sent,
    assert_refused,
    call,
    storable,
    storable_text,
)
from tests.scenario import mutate

# One instance serves every example of a test: each takes a fresh unit of work.
EXAMPLES = examples_sharing_fixtures(30)
SPLITTER = f"{LOAN}.Document_Splitter"
COUNTS = """query($id: ID!, $uow: ID!) {
  instance(id: $id) { logs(first: 1) { totalCount } }
  uow(id: $uow) { version status history(first: 1) { totalCount } } }"""
SERIAL = itertools.count()


@pytest.fixture
async def desk(client: GraphQLClient) -> Engine:
    instance_id = await loan_instance(client, {"splitter": ["Document_Splitter"]})
    return await Engine.of(client, instance_id)


async def _held_unit(desk: Engine) -> tuple[str, int]:
    """A fresh unit of work, checked out by the splitter: (id, version)."""
    start = {"instanceId": desk.instance_id, "attributes": {"amount": 5, "n": next(SERIAL)}}
    uow_id = (await mutate(desk.client, START, {"input": start}))["uow"]["id"]
    taken = await desk.checkout(SPLITTER, "splitter", uowId=uow_id)
    assert taken["errors"] == [], taken["errors"]
    return uow_id, int(taken["uow"]["version"])


async def _verb(
    desk: Engine, document: str, values: dict[str, Any], bad_path: list[str] | None
) -> None:
    """`document` on a fresh held unit with `values` (and its id, actor and version): accepted
    and the unit moved on, or, with a `bad_path`, refused there with nothing written."""
    uow_id, version = await _held_unit(desk)
    before = await desk.client.data(COUNTS, {"id": desk.instance_id, "uow": uow_id})
    variables = {
        "input": {
            "uowId": uow_id,
            "actorId": desk.actors["splitter"],
            "expectedVersion": version,
            **values,
        }
    }
    payload = await call(desk.client, document, variables)
    after = await desk.client.data(COUNTS, {"id": desk.instance_id, "uow": uow_id})
    if bad_path is None:
        assert payload["errors"] == [], payload["errors"]
        assert after["uow"]["version"] > before["uow"]["version"]
    else:
        assert_refused(payload, *bad_path)
        assert payload["uow"] is None
        assert after == before


def _first_refused(**storable_fields: bool) -> list[str] | None:
    """The path the service names: the first field (in its order of checks) it refuses."""
    for name, ok in storable_fields.items():
        if not ok:
            return ["input", name]
    return None


def _storable_reasoning(reasoning: str | None) -> bool:
    return reasoning is None or storable_text(as_sent(reasoning))


@EXAMPLES
@given(metadata=JSON_VALUES, reasoning=st.none() | TEXT)
async def test_submit_metadata_and_reasoning_are_checked(
    desk: Engine, metadata: Any, reasoning: str | None
) -> None:
    bad = _first_refused(
        reasoning=_storable_reasoning(reasoning), metadata=storable(as_sent(metadata))
    )
    await _verb(desk, SUBMIT, {"metadata": metadata, "reasoning": reasoning}, bad)


@EXAMPLES
@given(error=JSON_VALUES, reasoning=st.none() | TEXT)
async def test_report_failure_error_and_reasoning_are_checked(
    desk: Engine, error: Any, reasoning: str | None
) -> None:
    bad = _first_refused(error=storable(as_sent(error)), reasoning=_storable_reasoning(reasoning))
    await _verb(desk, REPORT_FAILURE, {"error": {"cause": error}, "reasoning": reasoning}, bad)


@pytest.mark.parametrize(
    ("field", "value"),
    [("metadata", {"s": "a\x00b"}), ("metadata", [1, "\ud800"]), ("metadata", {"x": float("nan")})],
)
async def test_submit_refuses_what_postgresql_would(desk: Engine, field: str, value: Any) -> None:
    await _verb(desk, SUBMIT, {field: value}, ["input", field])
