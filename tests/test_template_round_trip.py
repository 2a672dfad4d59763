"""Templates survive the trip out and back in (issue 17), on both databases:
`import(export(t))` is `t`, and `export(import(export(t)))` is `export(t)` byte for byte.

The example templates go through the API (importTemplate, then the `document` field);
the 1,000 generated families go through the storage services (the same code the
mutations call), into one database and out again into a second one, which keeps the run
to about a minute per backend.
"""

from __future__ import annotations

import dataclasses
import itertools
import uuid
from collections.abc import AsyncIterator

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from gql.demo import TEMPLATE_FILES, TEMPLATES
from storage.engines import Tiers
from storage.templates.canonical import canonical_spec, comparable
from storage.templates.document import parse_template_yaml
from storage.templates.export import render_document, stored_spec
from storage.templates.importer import import_spec
from storage.templates.rules import validate_template
from storage.templates.specs import TemplateSpec
from tests.client import GraphQLClient
from tests.conftest import EXAMPLES
from tests.databases import PostgresFactory, SqliteFactory
from tests.scenario import IMPORT
from tests.template_strategies import families, with_prefix

EXAMPLE_FILES = [
    EXAMPLES / "receipt_audit.yaml",  # children first
    EXAMPLES / "expense_review.yaml",
    *(TEMPLATES / name for name in TEMPLATE_FILES),
]
PREFIXES = itertools.count()
ROUND_TRIPS = settings(
    max_examples=1000,
    deadline=None,
    # Both databases are shared by the examples of the test on purpose: each family is
    # stored under a prefix of its own, so the examples never meet.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


@pytest.fixture
async def elsewhere(db_factory: SqliteFactory | PostgresFactory) -> AsyncIterator[Tiers]:
    """A second pair of databases of the same backend: where exported documents go."""
    urls = await db_factory.create()
    tiers = Tiers.open(urls.template, urls.instance)
    try:
        yield tiers
    finally:
        await tiers.dispose()
        await db_factory.drop(urls)


async def _stored(tiers: Tiers, workflow_id: uuid.UUID) -> TemplateSpec:
    async with tiers.template.engine.connect() as connection:
        spec = await connection.run_sync(lambda sync: stored_spec(sync, workflow_id))
    assert spec is not None
    return spec


def _expected(spec: TemplateSpec, version: int, versions: dict[str, int]) -> TemplateSpec:
    """What storing `spec` must keep: its content, the version it got, and each child
    named by the version it links to (the newest of that name when none was given)."""
    roles = tuple(
        dataclasses.replace(
            role,
            child_workflow_version=role.child_workflow_version or versions[role.child_workflow],
        )
        if role.child_workflow is not None
        else role
        for role in spec.roles
    )
    return canonical_spec(dataclasses.replace(spec, version=version, roles=roles))


async def _round_trip(here: Tiers, there: Tiers, family: list[TemplateSpec]) -> None:
    versions: dict[str, int] = {}
    for spec in family:
        assert validate_template(spec) == []
        stored = await import_spec(here.template, spec=spec)
        assert stored.created
        row = stored.workflow
        versions[row.name] = row.version
        expected = _expected(spec, row.version, versions)
        original = await _stored(here, row.workflow_id)
        assert comparable(original) == comparable(expected)
        document = render_document(original)  # export(t)

        copied = await import_spec(there.template, spec=parse_template_yaml(document))
        assert copied.created
        assert copied.workflow.version == row.version
        copy = await _stored(there, copied.workflow.workflow_id)
        assert comparable(copy) == comparable(expected)  # import(export(t)) == t
        assert render_document(copy) == document  # export(import(export(t))) == export(t)


async def _reimport_writes_nothing(here: Tiers, family: list[TemplateSpec]) -> None:
    for spec in family:
        stored = (await import_spec(here.template, spec=spec)).workflow
        document = render_document(await _stored(here, stored.workflow_id))
        again = await import_spec(here.template, spec=parse_template_yaml(document))
        assert not again.created  # the same content: the stored template, nothing written
        assert again.workflow.workflow_id == stored.workflow_id


@ROUND_TRIPS
@given(family=families())
async def test_generated_templates_round_trip(
    tiers: Tiers, elsewhere: Tiers, family: list[TemplateSpec]
) -> None:
    await _round_trip(tiers, elsewhere, with_prefix(family, f"{next(PREFIXES)}/"))


@settings(ROUND_TRIPS, max_examples=100)
@given(family=families())
async def test_importing_an_export_again_writes_nothing(
    tiers: Tiers, family: list[TemplateSpec]
) -> None:
    await _reimport_writes_nothing(tiers, with_prefix(family, f"{next(PREFIXES)}/"))


async def test_example_templates_round_trip_through_the_api(
    client: GraphQLClient, elsewhere: Tiers
) -> None:
    for path in EXAMPLE_FILES:
        imported = await client.data(IMPORT, {"yaml": path.read_text(encoding="utf-8")})
        payload = imported["importTemplate"]
        assert payload["errors"] == [], payload["errors"]
        template_id = payload["template"]["id"]
        data = await client.data(
            "query($id: ID!) { template(id: $id) { document } }", {"id": template_id}
        )
        document = data["template"]["document"]
        original = parse_template_yaml(path.read_text(encoding="utf-8"))
        copied = await import_spec(elsewhere.template, spec=parse_template_yaml(document))
        copy = await _stored(elsewhere, copied.workflow.workflow_id)
        children = {
            role.child_workflow: role.child_workflow_version
            for role in copy.roles
            if role.child_workflow is not None
        }
        expected = _expected(original, 1, {k: v or 1 for k, v in children.items()})
        assert comparable(copy) == comparable(expected), path.name
        assert render_document(copy) == document, path.name
        assert yaml.safe_load(document)["workflow"]["name"] == original.name
