"""The committed SDL is what the code builds: regenerate with `chameleon export-schema`."""

from pathlib import Path

from schema.assemble import build_schema

SDL = Path(__file__).resolve().parents[1] / "gql" / "schema.graphql"


def test_committed_schema_is_current() -> None:
    assert SDL.read_text() == str(build_schema()) + "\n", (
        "gql/schema.graphql is stale: run `chameleon export-schema > gql/schema.graphql`"
    )


def test_connections_have_the_names_of_the_spec() -> None:
    sdl = str(build_schema())
    for name in (
        "TemplateWorkflowConnection",
        "InstanceConnection",
        "UnitOfWorkConnection",
        "UowHistoryConnection",
    ):
        assert f"type {name} " in sdl, name
