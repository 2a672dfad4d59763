"""The `chameleon` command line (also `python -m gql`)."""

from __future__ import annotations

import asyncio

import typer
import uvicorn
from sqlalchemy.engine import make_url

from gql.settings import Settings
from migrations import runner
from schema.assemble import build_schema

app = typer.Typer(
    help="Chameleon GraphQL: the API server of the Chameleon workflow engine.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def main() -> None:
    """Chameleon GraphQL: the API server of the Chameleon workflow engine."""


def _redact(url: str) -> str:
    """The URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def _tier_urls(settings: Settings) -> tuple[tuple[str, str], ...]:
    return (("template", settings.template_db_url), ("instance", settings.instance_db_url))


@app.command()
def migrate() -> None:
    """Upgrade both tiers (templates, instances) to the newest schema; safe to repeat."""
    settings = Settings()
    for tier, url in _tier_urls(settings):
        runner.upgrade(tier, url)
        typer.echo(f"{tier} tier is at the newest schema ({_redact(url)})")


def prepare_databases(settings: Settings) -> None:
    """Embedded SQLite tiers are migrated automatically; other databases must already be."""
    if settings.embedded:
        runner.upgrade_all(settings.template_db_url, settings.instance_db_url)
        return
    for tier, url in _tier_urls(settings):
        if not asyncio.run(runner.is_current(tier, url)):
            typer.echo(
                f"The {tier} tier ({_redact(url)}) is not at the newest schema.\n"
                "Run `chameleon migrate` (or `alembic -n {tier} upgrade head`) first.",
                err=True,
            )
            raise typer.Exit(2)


@app.command()
def serve(
    host: str = typer.Option(None, help="Interface to bind (default 127.0.0.1)."),
    port: int = typer.Option(None, help="Port to listen on (default 8000)."),
    reload: bool = typer.Option(False, help="Restart when the code changes (development)."),
    workers: int = typer.Option(1, min=1, help="Server processes; more than one needs PostgreSQL."),
) -> None:
    """Serve the GraphQL API (with GraphiQL at /graphql in a browser)."""
    settings = Settings()
    if workers > 1 and settings.embedded:
        typer.echo("Several workers need PostgreSQL: SQLite has a single writer.", err=True)
        raise typer.Exit(2)
    prepare_databases(settings)
    bind_host = host or settings.host
    bind_port = port or settings.port
    typer.echo(f"GraphiQL: http://{bind_host}:{bind_port}/graphql")
    uvicorn.run(
        "gql.app:create_app",
        factory=True,
        host=bind_host,
        port=bind_port,
        reload=reload,
        workers=workers,
        log_level="info",
        timeout_graceful_shutdown=10,
    )


@app.command("export-schema")
def export_schema() -> None:
    """Print the GraphQL schema (SDL); `gql/schema.graphql` is this output, committed."""
    typer.echo(str(build_schema()))
