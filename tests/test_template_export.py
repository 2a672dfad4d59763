"""Templates come back out as documents: canonical text, and importing that text into
another database yields the same template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from gql.demo import TEMPLATE_FILES, TEMPLATES
from storage.engines import Tiers
from storage.templates.export import export_named
from storage.templates.importer import import_template_yaml
from tests.client import GraphQLClient
from tests.conftest import EXAMPLES
from tests.databases import PostgresFactory, SqliteFactory
from tests.processes import chameleon
from tests.scenario import build_scenario

SOURCES = [
    [EXAMPLES / "receipt_audit.yaml", EXAMPLES / "expense_review.yaml"],
    [TEMPLATES / name for name in TEMPLATE_FILES],
]


async def _export(tiers: Tiers, name: str) -> str:
    async with tiers.template.engine.connect() as connection:
        text = await connection.run_sync(lambda sync: export_named(sync, name, None))
    assert text is not None
    return text


async def test_an_exported_template_imports_as_the_same_template(
    db_factory: SqliteFactory | PostgresFactory, tiers: Tiers
) -> None:
    elsewhere_urls = await db_factory.create()
    elsewhere = Tiers.open(elsewhere_urls.template, elsewhere_urls.instance)
    try:
        for files in SOURCES:
            originals = {}
            for path in files:  # children first
                imported = await import_template_yaml(tiers.template, text=path.read_text())
                originals[imported.name] = yaml.safe_load(path.read_text())["workflow"]
            for name, original in originals.items():
                document = await _export(tiers, name)
                await import_template_yaml(elsewhere.template, text=document)
                again = await _export(elsewhere, name)
                assert again == document  # canonical: the same text from the copy
                _same_template(yaml.safe_load(document)["workflow"], original)
    finally:
        await elsewhere.dispose()
        await db_factory.drop(elsewhere_urls)


def _same_template(exported: dict[str, Any], original: dict[str, Any]) -> None:
    """Every role, interaction, component and guardian (with its config) of the original
    document is in the export, whatever spelling the original used (`type` for
    `role_type`, one `guardian` for `guardians`)."""

    def names(section: str, document: dict[str, Any]) -> set[str]:
        return {item["name"] for item in document.get(section, [])}

    for section in ("roles", "interactions", "components"):
        assert names(section, exported) == names(section, original), section

    def guardians(document: dict[str, Any]) -> dict[str, Any]:
        found = {}
        for component in document["components"]:
            listed = component.get("guardians") or (
                [component["guardian"]] if "guardian" in component else []
            )
            for guardian in listed:
                found[guardian["name"]] = (guardian["type"], guardian.get("config") or {})
        return found

    assert guardians(exported) == guardians(original)


async def test_chameleon_export_prints_a_template(
    db_factory: SqliteFactory | PostgresFactory, tiers: Tiers, tmp_path: Path
) -> None:
    urls = await db_factory.create()
    try:
        imported = Tiers.open(urls.template, urls.instance)
        for path in SOURCES[0]:
            await import_template_yaml(imported.template, text=path.read_text())
        await imported.dispose()
        printed = chameleon(urls, tmp_path, "export", "Expense_Review")
        assert printed.returncode == 0, printed.stderr
        assert yaml.safe_load(printed.stdout)["workflow"]["name"] == "Expense_Review"
        assert "child_workflow_version: 1" in printed.stdout
        missing = chameleon(urls, tmp_path, "export", "Nope")
        assert missing.returncode == 1
        assert "No template 'Nope'" in missing.stderr
    finally:
        await db_factory.drop(urls)


async def test_the_document_field_answers_the_same_text(client: GraphQLClient) -> None:
    scenario = await build_scenario(client, uows=0, steps=0)
    assert scenario.template_ids
    data = await client.data('{ templateByName(name: "Expense_Review") { name document } }')
    document = yaml.safe_load(data["templateByName"]["document"])
    assert document["workflow"]["name"] == "Expense_Review"
    roles = {role["name"]: role for role in document["workflow"]["roles"]}
    assert roles["Line_Checker"]["child_workflow"] == "Receipt_Audit"
