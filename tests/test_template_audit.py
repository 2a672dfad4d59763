"""The template audit (issue 13): every template write (import, create, retire, delete, the
command line's import) leaves exactly one Template_Audit row naming its caller, written with
the change; a refused or failed write leaves none; the table is append-only; admin callers
read it through `templateAudit`, every other caller is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from storage.engines import Tier
from storage.models import TemplateAuditRow
from tests.auth_world import EXAMPLE_YAML, client_of, secured_server, token
from tests.client import GraphQLClient
from tests.conftest import EXAMPLES
from tests.databases import TierUrls
from tests.processes import chameleon
from tests.scenario import IMPORT, TYPED_TEMPLATE

CHILD_YAML = (EXAMPLES / "receipt_audit.yaml").read_text()
PARENT_YAML = (EXAMPLES / "expense_review.yaml").read_text()
AUDIT = """query A($name: String, $first: Int, $after: String) {
  templateAudit(templateName: $name, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { auditId at caller action templateId templateName templateVersion outcome } }
  } }"""
CREATE = """mutation C($input: TemplateInput!) {
  createTemplate(input: $input) { template { id name version } errors { code } } }"""
RETIRE = """mutation R($id: ID!) {
  retireTemplate(input: {templateId: $id}) { template { id } errors { code } } }"""
DELETE = """mutation D($id: ID!) {
  deleteTemplate(input: {templateId: $id}) { deletedTemplateId errors { code } } }"""
SMALL = {**TYPED_TEMPLATE, "name": "Small"}


async def audit_count(urls: TierUrls) -> int:
    tier = Tier.open("template", urls.template)
    try:
        async with tier.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(TemplateAuditRow)))
    finally:
        await tier.dispose()


async def entries(client: GraphQLClient, name: str | None = None) -> list[dict[str, Any]]:
    data = await client.data(AUDIT, {"name": name, "first": 500})
    return [edge["node"] for edge in data["templateAudit"]["edges"]]


async def written(client: GraphQLClient, urls: TierUrls, document: str, variables: Any) -> Any:
    """Runs a template write that must succeed; answers its payload and its one new row."""
    before = await entries(client)
    data = await client.data(document, variables)
    (payload,) = data.values()
    assert payload["errors"] == [], payload
    after = await entries(client)
    assert after[: len(before)] == before
    (new,) = after[len(before) :]
    assert await audit_count(urls) == len(after)
    return payload, new


async def test_every_template_write_leaves_one_row_with_its_caller(db_urls: TierUrls) -> None:
    admin_token = token("admin", subject="root@example.com")
    async with secured_server(db_urls) as server, client_of(server, admin_token) as admin:
        child, row = await written(admin, db_urls, IMPORT, {"yaml": CHILD_YAML})
        template = child["template"]
        assert row["caller"] == "root@example.com"
        assert (row["action"], row["outcome"]) == ("import", "stored as version 1")
        assert row["templateId"] == template["id"]
        assert (row["templateName"], row["templateVersion"]) == ("Receipt_Audit", 1)

        _, row = await written(admin, db_urls, IMPORT, {"yaml": CHILD_YAML})
        assert row["outcome"] == "same content as stored version 1: nothing new stored"

        created, row = await written(admin, db_urls, CREATE, {"input": SMALL})
        assert (row["action"], row["templateName"]) == ("import", "Small")
        assert row["templateId"] == created["template"]["id"]

        parent, row = await written(admin, db_urls, IMPORT, {"yaml": PARENT_YAML})
        parent_id = parent["template"]["id"]
        _, row = await written(admin, db_urls, RETIRE, {"id": parent_id})
        assert (row["action"], row["outcome"]) == ("retire", "retired")
        _, row = await written(admin, db_urls, RETIRE, {"id": parent_id})
        assert row["outcome"].startswith("retired already (since ")
        _, row = await written(admin, db_urls, DELETE, {"id": parent_id})
        assert (row["action"], row["templateId"]) == ("delete", parent_id)
        assert row["templateName"] == "Expense_Review"

        rows = await entries(admin)
        assert [r["auditId"] for r in rows] == sorted(r["auditId"] for r in rows)
        assert {r["caller"] for r in rows} == {"root@example.com"}
        assert [r["templateName"] for r in await entries(admin, "Small")] == ["Small"]


async def test_refused_and_failed_writes_leave_no_row(db_urls: TierUrls) -> None:
    async with secured_server(db_urls) as server:
        async with client_of(server, token("admin")) as admin:
            child = (await admin.data(IMPORT, {"yaml": CHILD_YAML}))["importTemplate"]
            await admin.data(IMPORT, {"yaml": PARENT_YAML})
            child_id = child["template"]["id"]
            before = await audit_count(db_urls)
            refusals = [
                (IMPORT, {"yaml": "name: [unclosed"}, "VALIDATION_FAILED"),
                (IMPORT, {"yaml": CHILD_YAML.replace("version: 1", "version: 0")}, None),
                (RETIRE, {"id": "00000000-0000-4000-8000-000000000000"}, "NOT_FOUND"),
                (DELETE, {"id": child_id}, "CONFLICT"),  # the parent names it as a child
            ]
            for document, variables, code in refusals:
                (payload,) = (await admin.data(document, variables)).values()
                assert payload["errors"], payload
                if code is not None:
                    assert payload["errors"][0]["code"] == code
        scoped = token("instance:00000000-0000-4000-8000-000000000001", subject="ops")
        async with client_of(server, scoped) as ops:
            for document, variables in (
                (IMPORT, {"yaml": EXAMPLE_YAML.replace("Receipt_Audit", "Other", 1)}),
                (RETIRE, {"id": child_id}),
                (DELETE, {"id": child_id}),
                (CREATE, {"input": SMALL}),
            ):
                (payload,) = (await ops.data(document, variables)).values()
                assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]
            refused = await ops.post(AUDIT, {"first": 5})
            body = refused.json()
            assert body["data"] is None
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert await audit_count(db_urls) == before


async def test_the_caller_is_anonymous_without_auth_and_cli_on_the_command_line(
    db_urls: TierUrls, live_client: GraphQLClient, tmp_path: Path
) -> None:
    await live_client.data(IMPORT, {"yaml": CHILD_YAML})
    done = chameleon(db_urls, tmp_path, "import", str(EXAMPLES / "expense_review.yaml"))
    assert done.returncode == 0, done.stderr
    rows = await entries(live_client)
    assert [(r["caller"], r["templateName"]) for r in rows] == [
        ("anonymous", "Receipt_Audit"),
        ("cli", "Expense_Review"),
    ]


async def test_the_audit_is_append_only(db_urls: TierUrls, live_client: GraphQLClient) -> None:
    await live_client.data(IMPORT, {"yaml": CHILD_YAML})
    tier = Tier.open("template", db_urls.template)
    try:
        for statement in (
            "UPDATE \"Template_Audit\" SET caller = 'someone else'",
            'DELETE FROM "Template_Audit"',
        ):
            with pytest.raises(DBAPIError):
                async with tier.engine.begin() as connection:
                    await connection.execute(text(statement))
    finally:
        await tier.dispose()
    assert [r["caller"] for r in await entries(live_client)] == ["anonymous"]


@given(name=st.text(max_size=60))
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
async def test_the_name_filter_takes_any_text(live_client: GraphQLClient, name: str) -> None:
    """A client's name matches exactly or not at all (no error, no injection)."""
    data = await live_client.data(AUDIT, {"name": name, "first": 5})
    nodes = [edge["node"] for edge in data["templateAudit"]["edges"]]
    assert all(node["templateName"] == name for node in nodes)
