"""What the server logs about errors, over a real socket: the client's in one line, the
unexpected once in full under the error id the client receives (issue 12, item 9)."""

from __future__ import annotations

import logging
import uuid

import pytest

from tests.client import GraphQLClient
from tests.databases import TierUrls
from tests.raw_sql import RawConnection

CLIENT_MISTAKES = [
    ("{ templates { nope } }", None),  # validation
    ("query($n: Int) { templates(first: $n) { totalCount } }", {"n": "ten"}),  # bad variables
    ("query($id: ID!) { template(id: $id) { name } }", {"id": str(uuid.uuid4())}),  # unknown id
    ('{ instance(id: "not-a-uuid") { name } }', None),  # malformed id
    ('{ templates(after: "garbage") { totalCount } }', None),  # bad cursor
]


async def test_client_errors_are_one_line_each_without_traceback(
    live_client: GraphQLClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for query, variables in CLIENT_MISTAKES:
        caplog.clear()
        errors = await live_client.errors(query, variables)
        records = [r for r in caplog.records if r.name.startswith(("chameleon", "strawberry"))]
        assert len(records) == len(errors), [r.getMessage() for r in records]
        for record in records:
            assert record.levelno == logging.INFO
            assert record.exc_info is None
            assert "\n" not in record.getMessage()
            assert "client error" in record.getMessage()
        assert errors[0]["message"].split()[0] in records[0].getMessage()


async def test_an_unexpected_error_is_logged_once_under_the_id_the_client_gets(
    live_client: GraphQLClient, db_urls: TierUrls, caplog: pytest.LogCaptureFixture
) -> None:
    await live_client.data("{ schemaGuide(tier: INSTANCE) { columnName } }")
    async with RawConnection(db_urls) as raw:  # break the database under the running server
        await raw.execute("DROP VIEW v_ai_schema_guide")
    caplog.clear()
    response = await live_client.post("{ schemaGuide(tier: INSTANCE) { columnName } }")
    assert response.status_code == 200
    (error,) = response.json()["errors"]
    request_id, error_id = error["extensions"]["requestId"], error["extensions"]["errorId"]
    assert error["message"] == f"Internal error (request id {request_id})"
    assert error["extensions"]["code"] == "INTERNAL_ERROR"
    assert "v_ai_schema_guide" not in response.text
    with_traceback = [r for r in caplog.records if r.exc_info]
    assert len(with_traceback) == 1, [r.getMessage() for r in with_traceback]
    (record,) = with_traceback
    assert record.levelno == logging.ERROR
    assert error_id in record.getMessage()
    assert request_id in record.getMessage()
    assert "v_ai_schema_guide" in caplog.text  # the cause is in the log, in full
    assert sum(error_id in r.getMessage() for r in caplog.records) == 1
