"""The ids of a recorded entry are checked against what the server remembers (`KnownIds`):
remembering must never let through an id the database would refuse."""

from __future__ import annotations

import uuid

from starlette.applications import Starlette

from storage.engines import Tiers
from storage.enums import InstanceStatus
from storage.runtime import actors
from storage.telemetry.known_ids import KnownIds
from tests.client import GraphQLClient
from tests.factories import SeededUow, seed_uow

RECORD = """mutation($input: RecordTelemetryInput!) {
  recordTelemetry(input: $input) { accepted errors { code } } }"""
SET_STATUS = """mutation($input: SetInstanceStatusInput!) {
  setInstanceStatus(input: $input) { errors { code } } }"""


async def _record(client: GraphQLClient, instance_id: object, **ids: object) -> list[str]:
    """The error codes of one recordTelemetry; [] when it was accepted."""
    entry = {"instanceId": str(instance_id), "logType": "TELEMETRY", "details": {"n": 1}}
    entry |= {field: str(key) for field, key in ids.items()}
    payload = (await client.data(RECORD, {"input": entry}))["recordTelemetry"]
    codes = [error["code"] for error in payload["errors"]]
    assert payload["accepted"] is (codes == [])
    return codes


def _known(app: Starlette) -> KnownIds:
    known = app.state.tiers.instance.known_ids
    assert isinstance(known, KnownIds)  # the lifespan gave the instance tier its memory
    return known


async def _remembered(client: GraphQLClient, seeded: SeededUow) -> None:
    ids = {"uowId": seeded.uow_id, "interactionId": seeded.interaction_id}
    assert await _record(client, seeded.instance_id, **ids) == []


async def test_remembered_owners_still_refuse_foreign_ids(
    app: Starlette, client: GraphQLClient, tiers: Tiers
) -> None:
    ours, theirs = await seed_uow(tiers, "ours"), await seed_uow(tiers, "theirs")
    await _remembered(client, ours)
    await _remembered(client, theirs)
    known = _known(app)
    assert known.owner("uowId", theirs.uow_id) == theirs.instance_id
    assert known.status(ours.instance_id) == InstanceStatus.ACTIVE

    assert await _record(client, ours.instance_id, uowId=theirs.uow_id) == ["NOT_FOUND"]
    foreign = {"uowId": ours.uow_id, "interactionId": theirs.interaction_id}
    assert await _record(client, ours.instance_id, **foreign) == ["NOT_FOUND"]
    assert await _record(client, ours.instance_id, uowId=uuid.uuid4()) == ["NOT_FOUND"]
    assert await _record(client, uuid.uuid4(), uowId=ours.uow_id) == ["NOT_FOUND"]
    # Refusals are not remembered as facts: the unknown id stays unknown.
    assert len(known) == 4


async def test_archiving_through_the_api_is_seen_at_once(
    app: Starlette, client: GraphQLClient, tiers: Tiers
) -> None:
    seeded = await seed_uow(tiers)
    await _remembered(client, seeded)
    assert _known(app).status(seeded.instance_id) == InstanceStatus.ACTIVE
    archive = {"instanceId": str(seeded.instance_id), "status": "ARCHIVED"}
    changed = await client.data(SET_STATUS, {"input": archive})
    assert changed["setInstanceStatus"]["errors"] == []
    assert await _record(client, seeded.instance_id, uowId=seeded.uow_id) == ["INSTANCE_NOT_ACTIVE"]


async def test_a_status_changed_elsewhere_is_seen_once_the_ttl_has_passed(
    app: Starlette, client: GraphQLClient, tiers: Tiers
) -> None:
    """Another process (here: another engine on the same database) cannot tell this one's
    memory; the status is remembered for one TTL at most."""
    now = [0.0]
    app.state.tiers.instance.known_ids = KnownIds(status_ttl_s=1.0, clock=lambda: now[0])
    seeded = await seed_uow(tiers)
    await _remembered(client, seeded)
    await actors.set_instance_status(
        tiers.instance, instance_id=seeded.instance_id, status=InstanceStatus.ARCHIVED
    )
    now[0] = 0.5  # within the TTL, the remembered ACTIVE still answers
    assert await _record(client, seeded.instance_id) == []
    now[0] = 1.0
    assert await _record(client, seeded.instance_id) == ["INSTANCE_NOT_ACTIVE"]


def test_owners_are_bounded_least_recently_used_first() -> None:
    known = KnownIds(max_ids=2)
    instance = uuid.uuid4()
    first, second, third = (uuid.uuid4() for _ in range(3))
    known.remember_owner("uowId", first, instance)
    known.remember_owner("uowId", second, instance)
    assert known.owner("uowId", first) == instance  # now the most recently used
    known.remember_owner("uowId", third, instance)
    assert known.owner("uowId", second) is None
    assert known.owner("uowId", first) == known.owner("uowId", third) == instance
    assert len(known) == 2


def test_a_status_read_before_a_change_is_not_remembered_after_it() -> None:
    known = KnownIds()
    instance = uuid.uuid4()
    epoch = known.epoch  # a check starts reading the status...
    known.forget_status(instance)  # ...a change commits meanwhile...
    known.remember_status(instance, InstanceStatus.ACTIVE, epoch)  # ...then the read returns
    assert known.status(instance) is None
