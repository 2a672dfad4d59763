"""The per-caller rate limit on mutations (issue 13): a token bucket per caller; a
mutation finding none is answered 429 with a GraphQL error (RATE_LIMITED, Retry-After) and
nothing of it runs. Reads are not limited."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gql.rate_limit import RateLimiter
from tests.conftest import EXAMPLES
from tests.databases import TierUrls
from tests.live_server import LiveServer, app_on, serve
from tests.ws_client import TRANSPORT_WS, Subscriber

BURST = 3
REGISTER = """mutation($i: RegisterActorInput!) {
  registerActor(input: $i) { actor { id } errors { code } } }"""
ACTORS = """query($id: ID!) { instance(id: $id) { actors { name } } }"""
INSTANTIATE = """mutation($i: InstantiateInput!) {
  instantiate(input: $i) { instance { id } errors { code message } } }"""
IMPORT = """mutation($y: String!) {
  importTemplate(input: {yaml: $y}) { template { id } errors { code } } }"""
YAML = (EXAMPLES / "receipt_audit.yaml").read_text()


@pytest.fixture
async def live(db_urls: TierUrls) -> AsyncIterator[LiveServer]:
    application = app_on(
        db_urls,
        # One token a minute: the bucket does not refill during the test.
        rate_limit_per_s=1 / 60,
        rate_limit_burst=BURST,
    )
    async with serve(application) as server:
        yield server


def client_from(address: str) -> httpx.AsyncClient:
    """A client whose connections leave from `address` (another caller, as the server sees it)."""
    return httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(local_address=address))


async def test_mutations_over_the_burst_are_answered_429(live: LiveServer) -> None:
    async with client_from("127.0.0.1") as http, client_from("127.0.0.2") as other:
        url = live.http_url
        imported = await http.post(url, json={"query": IMPORT, "variables": {"y": YAML}})
        assert imported.json()["data"]["importTemplate"]["errors"] == [], imported.text
        new = {"templateName": "Receipt_Audit", "name": "I"}
        made = await http.post(url, json={"query": INSTANTIATE, "variables": {"i": new}})
        instance_id = made.json()["data"]["instantiate"]["instance"]["id"]
        actor = {"instanceId": instance_id, "identityKey": "k", "type": "HUMAN"}
        third = {"query": REGISTER, "variables": {"i": {**actor, "name": "third"}}}
        assert (await http.post(url, json=third)).json()["data"]["registerActor"]["errors"] == []
        other_actor = {**actor, "name": "refused", "identityKey": "r"}
        refused = {"query": REGISTER, "variables": {"i": other_actor}}
        response = await http.post(url, json=refused)
        assert response.status_code == 429
        assert 1 <= int(response.headers["retry-after"]) <= 60
        (error,) = response.json()["errors"]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert "data" not in response.json()
        # Reads are not limited, and the refused mutation wrote nothing.
        actors = await http.post(url, json={"query": ACTORS, "variables": {"id": instance_id}})
        assert actors.status_code == 200
        assert [a["name"] for a in actors.json()["data"]["instance"]["actors"]] == ["third"]
        # Another caller has a bucket of its own.
        other_answer = await other.post(url, json=refused)
        assert other_answer.status_code == 200
        assert other_answer.json()["data"]["registerActor"]["errors"] == []


async def test_over_websockets_a_refusal_is_a_graphql_error(live: LiveServer) -> None:
    async with Subscriber(live.ws_url, TRANSPORT_WS) as ws:
        for n in range(BURST + 1):
            await ws.subscribe(IMPORT, {"y": "not: [a template"})
            message = await ws.next()
            while message["type"] == "complete":
                message = await ws.next()
            if n < BURST:
                assert message["payload"]["data"]["importTemplate"]["errors"], message
            else:  # refused before execution: an `error` message, as for a bad document
                assert message["type"] == "error", message
                (error,) = message["payload"]
                assert error["extensions"]["code"] == "RATE_LIMITED"


@settings(max_examples=200, deadline=None)
@given(
    rate=st.floats(0.1, 100),
    burst=st.integers(1, 50),
    gaps=st.lists(st.floats(0, 5), min_size=1, max_size=60),
)
def test_the_bucket_grants_what_it_has(rate: float, burst: int, gaps: list[float]) -> None:
    """Against a count written apart: never more than the burst plus what the elapsed time
    refilled, and a refusal names a positive wait."""
    now = [0.0]
    limiter = RateLimiter(rate, burst, clock=lambda: now[0])
    granted = 0
    for gap in gaps:
        now[0] += gap
        wait = limiter.take("caller")
        if wait == 0:
            granted += 1
        else:
            assert wait > 0
        assert granted <= burst + now[0] * rate + 1e-9


def test_off_when_the_rate_is_zero() -> None:
    limiter = RateLimiter(0, 1)
    assert not limiter.enabled
    assert all(limiter.take("caller") == 0 for _ in range(1_000))
