"""Template versions, diffs, retirement and deletion over the API (issue 17): every refusal
is a payload error with a code and a path, and leaves every row as it was."""

from __future__ import annotations

import asyncio
from typing import Any

from storage.engines import Tiers
from storage.templates.importer import import_template_yaml
from tests.client import GraphQLClient
from tests.conftest import EXAMPLES
from tests.databases import TierUrls
from tests.raw_sql import RawConnection
from tests.scenario import IMPORT, INSTANTIATE, START, mutate

CHILD = (EXAMPLES / "receipt_audit.yaml").read_text(encoding="utf-8")
PARENT = (EXAMPLES / "expense_review.yaml").read_text(encoding="utf-8")
UNVERSIONED = CHILD.replace("  version: 1\n", "")
VERSIONS = "query($name: String!) { templateVersions(name: $name) { id version retiredAt } }"
DIFF = """query($a: ID!, $b: ID!) {
  templateDiff(fromId: $a, toId: $b) {
    from { version } to { version } identical
    changes { kind name change fields { field before after } before after }
  }
}"""
RETIRE = """mutation($id: ID!) {
  retireTemplate(input: {templateId: $id}) {
    template { id name version retiredAt } errors { code message path }
  }
}"""
MAKE = """mutation($input: InstantiateInput!) {
  instantiate(input: $input) { instance { id } errors { code message path } }
}"""
DELETE = """mutation($id: ID!) {
  deleteTemplate(input: {templateId: $id}) {
    deletedTemplateId name version errors { code message path }
  }
}"""
TABLES = (
    "Template_Workflows",
    "Template_Roles",
    "Template_Interactions",
    "Template_Components",
    "Template_Guardians",
)


async def _rows(urls: TierUrls) -> dict[str, Any]:
    """Every template-tier row, table by table, as a client would read them."""
    async with RawConnection(urls, "template") as raw:
        return {
            table: sorted(map(repr, await raw.fetch(f'SELECT * FROM "{table}"')))
            for table in TABLES
        }


async def _import(client: GraphQLClient, text: str) -> dict[str, Any]:
    data = await client.data(IMPORT, {"yaml": text})
    payload: dict[str, Any] = data["importTemplate"]
    return payload


async def _payload(client: GraphQLClient, document: str, **variables: Any) -> dict[str, Any]:
    (payload,) = (await client.data(document, variables)).values()
    assert isinstance(payload, dict)
    return payload


async def test_a_changed_document_without_a_version_becomes_the_next_version(
    client: GraphQLClient, db_urls: TierUrls
) -> None:
    first = await _import(client, CHILD)
    assert first["template"]["version"] == 1
    before = await _rows(db_urls)
    for text in (CHILD, UNVERSIONED):  # the same content, with and without its version
        same = await _import(client, text)
        assert same["errors"] == []
        assert same["template"]["id"] == first["template"]["id"]
    assert await _rows(db_urls) == before  # nothing written

    changed = UNVERSIONED.replace("Match a receipt", "Match one receipt")
    second = await _import(client, changed)
    assert second["errors"] == []
    assert second["template"]["version"] == 2
    assert (await _import(client, changed))["template"]["id"] == second["template"]["id"]
    third = await _import(client, UNVERSIONED)  # back to v1's content: a new version
    assert third["template"]["version"] == 3
    versions = (await client.data(VERSIONS, {"name": "Receipt_Audit"}))["templateVersions"]
    assert [v["version"] for v in versions] == [1, 2, 3]
    assert (await client.data(VERSIONS, {"name": "Nothing"}))["templateVersions"] == []


async def test_concurrent_imports_without_a_version_take_consecutive_versions(
    tiers: Tiers,
) -> None:
    await import_template_yaml(tiers.template, text=CHILD)
    texts = [UNVERSIONED.replace("Match a receipt", f"Match receipt {n}") for n in range(4)]
    rows = await asyncio.gather(*(import_template_yaml(tiers.template, text=t) for t in texts))
    assert sorted(row.version for row in rows) == [2, 3, 4, 5]


async def test_an_existing_version_with_other_content_is_a_conflict(
    client: GraphQLClient, db_urls: TierUrls
) -> None:
    await _import(client, CHILD)
    before = await _rows(db_urls)
    changed = CHILD.replace("stale_token_limit_seconds: 600", "stale_token_limit_seconds: 601")
    refused = await _import(client, changed)
    assert refused["template"] is None
    (error,) = refused["errors"]
    assert error["code"] == "CONFLICT"
    assert "'Receipt_Audit' version 1 already exists with other content" in error["message"]
    typed = await client.data(
        """mutation { createTemplate(input: {name: "Receipt_Audit", version: 1,
          roles: [{name: "A", roleType: ALPHA}]}) { template { id } errors { code rule } } }"""
    )
    assert typed["createTemplate"]["template"] is None  # invalid and a clash: both reported
    assert "CONFLICT" in {e["code"] for e in typed["createTemplate"]["errors"]}
    assert await _rows(db_urls) == before


async def test_the_diff_names_every_change_field_by_field(client: GraphQLClient) -> None:
    v1 = (await _import(client, CHILD))["template"]["id"]
    changed = (
        UNVERSIONED.replace(
            "    - {name: Mismatch}\n", "    - {name: Mismatch}\n    - {name: Spare}\n"
        )
        .replace(
            "{name: Clock_Out, role: Audit_Clock, interaction: Mismatch, direction: OUTBOUND}",
            "{name: Clock_Out, role: Audit_Clock, interaction: Spare, direction: OUTBOUND}\n"
            "    - {name: Spare_In, role: Audit_Clock, interaction: Spare, direction: INBOUND}\n"
            "    - {name: Spare_Out, role: Audit_Clock, interaction: Mismatch, "
            "direction: OUTBOUND}",
        )
        .replace('config: {criteria: "retry_count < 3"}', 'config: {criteria: "retry_count < 5"}')
        .replace(
            "{name: Matcher, type: BETA, strategy: HOMOGENEOUS}",
            "{name: Matcher, type: BETA, strategy: HETEROGENEOUS}",
        )
    )
    v2_payload = await _import(client, changed)
    assert v2_payload["errors"] == [], v2_payload["errors"]
    v2 = v2_payload["template"]["id"]
    diff = (await client.data(DIFF, {"a": v1, "b": v2}))["templateDiff"]
    assert diff["from"] == {"version": 1}
    assert diff["to"] == {"version": 2}
    assert not diff["identical"]
    changes = {(c["kind"], c["name"]): c for c in diff["changes"]}
    assert list(changes) == [
        ("ROLE", "Matcher"),
        ("INTERACTION", "Spare"),
        ("COMPONENT", "Clock_Out"),
        ("COMPONENT", "Spare_In"),
        ("COMPONENT", "Spare_Out"),
        ("GUARDIAN", "Fix_Gate"),
    ]
    matcher = changes[("ROLE", "Matcher")]
    assert matcher["change"] == "CHANGED"
    assert matcher["fields"] == [
        {"field": "strategy", "before": "HOMOGENEOUS", "after": "HETEROGENEOUS"}
    ]
    assert changes[("INTERACTION", "Spare")]["change"] == "ADDED"
    assert changes[("INTERACTION", "Spare")]["before"] is None
    assert changes[("INTERACTION", "Spare")]["after"] == {"name": "Spare"}
    assert changes[("COMPONENT", "Clock_Out")]["fields"] == [
        {"field": "interaction", "before": "Mismatch", "after": "Spare"}
    ]
    added = changes[("COMPONENT", "Spare_In")]
    assert added["change"] == "ADDED"
    assert {f["field"]: f["after"] for f in added["fields"]} == {
        "role": "Audit_Clock",
        "interaction": "Spare",
        "direction": "INBOUND",
    }
    assert changes[("GUARDIAN", "Fix_Gate")]["fields"] == [
        {
            "field": "config",
            "before": {"criteria": "retry_count < 3"},
            "after": {"criteria": "retry_count < 5"},
        }
    ]
    backwards = (await client.data(DIFF, {"a": v2, "b": v1}))["templateDiff"]["changes"]
    assert {c["change"] for c in backwards if c["kind"] == "INTERACTION"} == {"REMOVED"}
    same = (await client.data(DIFF, {"a": v1, "b": v1}))["templateDiff"]
    assert same["identical"]
    assert same["changes"] == []

    unknown = await client.errors(DIFF, {"a": v1, "b": "00000000-0000-4000-8000-000000000000"})
    assert unknown[0]["extensions"]["code"] == "NOT_FOUND"
    assert "toId" in unknown[0]["message"]
    malformed = await client.errors(DIFF, {"a": "nope", "b": v1})
    assert "fromId" in malformed[0]["message"]


async def test_a_retired_template_makes_no_new_instances(
    client: GraphQLClient, db_urls: TierUrls
) -> None:
    template_id = (await _import(client, CHILD))["template"]["id"]
    made = await mutate(client, INSTANTIATE, {"input": {"templateId": template_id, "name": "old"}})
    retired = await _payload(client, RETIRE, id=template_id)
    assert retired["errors"] == []
    retired_at = retired["template"]["retiredAt"]
    assert retired_at is not None
    again = await _payload(client, RETIRE, id=template_id)
    assert again["template"]["retiredAt"] == retired_at  # the first retirement is kept

    for source in ({"templateId": template_id}, {"templateName": "Receipt_Audit"}):
        refused = await _payload(client, MAKE, input={**source, "name": "new"})
        assert refused["instance"] is None
        (error,) = refused["errors"]
        assert error["code"] == "CONFLICT"
        assert "'Receipt_Audit' version 1 is retired" in error["message"]
        assert error["path"] == ["input", next(iter(source))]
    counts = await client.data("{ instances { totalCount } }")
    assert counts["instances"]["totalCount"] == 1

    # The instance made before keeps working on its own copy.
    started = await mutate(client, START, {"input": {"instanceId": made["instance"]["id"]}})
    assert started["uow"]["id"]

    # A newer version is not retired by its predecessor's retirement.
    newer = await _import(client, UNVERSIONED.replace("Match a receipt", "Match receipts"))
    assert newer["template"]["version"] == 2
    by_name = await mutate(
        client, INSTANTIATE, {"input": {"templateName": "Receipt_Audit", "name": "new"}}
    )
    assert by_name["instance"]["id"]

    before = await _rows(db_urls)
    missing = await _payload(client, RETIRE, id="00000000-0000-4000-8000-000000000000")
    assert [(e["code"], e["path"]) for e in missing["errors"]] == [
        ("NOT_FOUND", ["input", "templateId"])
    ]
    malformed = await _payload(client, RETIRE, id="not-a-uuid")
    assert [(e["code"], e["path"]) for e in malformed["errors"]] == [
        ("VALIDATION_FAILED", ["input", "templateId"])
    ]
    assert await _rows(db_urls) == before


async def test_delete_refuses_a_referenced_child_then_deletes_every_row(
    client: GraphQLClient, db_urls: TierUrls
) -> None:
    child = (await _import(client, CHILD))["template"]["id"]
    parent = (await _import(client, PARENT))["template"]["id"]
    instance = await mutate(client, INSTANTIATE, {"input": {"templateId": parent, "name": "run"}})
    before = await _rows(db_urls)

    refused = await _payload(client, DELETE, id=child)
    assert refused["deletedTemplateId"] is None
    (error,) = refused["errors"]
    assert error["code"] == "CONFLICT"
    assert error["path"] == ["input", "templateId"]
    assert "Expense_Review v1 (role Line_Checker)" in error["message"]
    assert await _rows(db_urls) == before

    deleted = await _payload(client, DELETE, id=parent)
    assert deleted["errors"] == []
    assert (deleted["deletedTemplateId"], deleted["name"], deleted["version"]) == (
        parent,
        "Expense_Review",
        1,
    )
    deleted_child = await _payload(client, DELETE, id=child)
    assert deleted_child["errors"] == []
    assert all(rows == [] for rows in (await _rows(db_urls)).values())

    gone = await _payload(client, DELETE, id=parent)
    assert [(e["code"], e["path"]) for e in gone["errors"]] == [
        ("NOT_FOUND", ["input", "templateId"])
    ]
    # The instance is untouched: it holds its own copies of both templates.
    workflows = await client.data(
        "query($id: ID!) { instance(id: $id) { workflows { name roles { name } } } }",
        {"id": instance["instance"]["id"]},
    )
    assert {w["name"] for w in workflows["instance"]["workflows"]} == {
        "Expense_Review",
        "Receipt_Audit",
    }
