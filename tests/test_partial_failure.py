"""A failing field is a field error; the fields beside it still resolve (real app, real socket).

When one field fails, graphql-core cancels its unfinished siblings. A sibling that waited
for a loader result shared with another branch used to cancel that shared result, so the
other branch got a `CancelledError` and the request died as an HTTP 500 in plain text.
"""

from __future__ import annotations

from resolvers.pagination import encode_cursor
from tests.client import GraphQLClient
from tests.scenario import build_scenario

UNKNOWN_LOG = encode_cursor(987_654)  # well formed, points at no log: fails inside the loader

# `a` and `b` are the same unit of work (an InteractionLog's nullable `uow`). In `a`, `logs`
# fails; graphql-core then cancels `a.history`, which waits for the very loader result
# `b.history` waits for. `b` has two fields so that its loads are issued after `a`'s: the
# shared history batch is still queued behind the failing one when `a` is cancelled.
QUERY = """query($id: ID!, $after: String!) {
  instance(id: $id) {
    logs(first: 5) { edges { node {
      logId
      a: uow { logs(after: $after) { totalCount } history { totalCount } }
      b: uow { history { totalCount } attributes { key } }
    } } }
  }
}"""


async def test_a_failing_branch_leaves_its_siblings_resolved(live_client: GraphQLClient) -> None:
    scenario = await build_scenario(live_client, uows=2, steps=2)
    for _ in range(5):  # the cancellation depended on timing: try it a few times
        response = await live_client.post(QUERY, {"id": scenario.instance_id, "after": UNKNOWN_LOG})
        assert response.status_code == 200, response.text
        payload = response.json()
        nodes = [edge["node"] for edge in payload["data"]["instance"]["logs"]["edges"]]
        assert nodes
        for node in nodes:
            assert node["a"] is None
            assert node["b"]["history"]["totalCount"] >= 1
            assert {"key": "amount"} in node["b"]["attributes"]
        assert {error["extensions"]["code"] for error in payload["errors"]} == {"BAD_USER_INPUT"}
        assert all("unknown cursor" in error["message"] for error in payload["errors"])
        assert all(error["path"][-2:] == ["a", "logs"] for error in payload["errors"])
