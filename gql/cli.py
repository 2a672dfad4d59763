"""The `chameleon` command line (also `python -m gql`)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy.engine import make_url

from gql import demo as demo_data
from gql.settings import Settings
from migrations import runner
from schema.assemble import build_schema
from storage.engines import Tiers
from storage.errors import DomainError
from storage.runtime.check import CheckReport, check_units
from storage.templates.export import export_named, named_id, stored_spec
from storage.templates.graph import GraphFormat, graph_of_spec, render_graph
from storage.templates.importer import FileResult, ImportReport, import_template_files

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
    demo: bool = typer.Option(False, help="Load the demo data set first, unless it is there."),
    access_log: bool = typer.Option(
        None, help="Log a line per request (default: CHAMELEON_ACCESS_LOG, off)."
    ),
) -> None:
    """Serve the GraphQL API (with GraphiQL at /graphql in a browser)."""
    settings = Settings()
    if workers > 1 and settings.embedded:
        typer.echo("Several workers need PostgreSQL: SQLite has a single writer.", err=True)
        raise typer.Exit(2)
    prepare_databases(settings)
    if demo:
        asyncio.run(_load_demo(settings, only_once=True))
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
        access_log=settings.access_log if access_log is None else access_log,
        timeout_graceful_shutdown=10,
        ws_per_message_deflate=settings.ws_compression,
    )


@app.command("export-schema")
def export_schema() -> None:
    """Print the GraphQL schema (SDL); `gql/schema.graphql` is this output, committed."""
    typer.echo(str(build_schema()))


@app.command("export")
def export(
    name: str = typer.Argument(..., help="The template's name."),
    version: int = typer.Option(None, help="Which version (default: the newest)."),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Print a template as a document in the import format (canonical: re-importing it
    elsewhere yields the same template)."""
    text = asyncio.run(_export(Settings(), name, version))
    if text is None:
        shown = f"{name!r}" + (f" version {version}" if version is not None else "")
        typer.echo(f"No template {shown}.", err=True)
        raise typer.Exit(1)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text)
        typer.echo(f"Written to {output}.", err=True)


async def _export(settings: Settings, name: str, version: int | None) -> str | None:
    tiers = Tiers.open(settings.template_db_url, settings.instance_db_url)
    try:
        async with tiers.template.engine.connect() as connection:
            return await connection.run_sync(lambda sync: export_named(sync, name, version))
    finally:
        await tiers.dispose()


@app.command("graph")
def graph(
    name: str = typer.Argument(..., help="The template's name."),
    version: int = typer.Option(None, help="Which version (default: the newest)."),
    graph_format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="mermaid (a flowchart GitHub renders in a ```mermaid block) or dot "
            "(Graphviz: pipe it to `dot -Tsvg`).",
        ),
    ] = "mermaid",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Draw a template: roles and interactions as nodes, components as edges labelled
    with their guardians.

    Example: chameleon graph Loan_Application --format dot | dot -Tsvg > loan.svg"""
    formats = {member.value.lower(): member for member in GraphFormat}
    chosen = formats.get(graph_format.lower())
    if chosen is None:
        raise typer.BadParameter(
            f"{graph_format!r}: use one of {', '.join(formats)}", param_hint="--format"
        )
    text = asyncio.run(_graph(Settings(), name, version, chosen))
    if text is None:
        shown = f"{name!r}" + (f" version {version}" if version is not None else "")
        typer.echo(f"No template {shown}.", err=True)
        raise typer.Exit(1)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"Written to {output}.", err=True)


async def _graph(
    settings: Settings, name: str, version: int | None, graph_format: GraphFormat
) -> str | None:
    tiers = Tiers.open(settings.template_db_url, settings.instance_db_url)
    try:
        async with tiers.template.engine.connect() as connection:
            spec = await connection.run_sync(
                lambda sync: (
                    None
                    if (found := named_id(sync, name, version)) is None
                    else stored_spec(sync, found)
                )
            )
    finally:
        await tiers.dispose()
    return None if spec is None else render_graph(graph_of_spec(spec), graph_format)


@app.command("import")
def import_(
    files: Annotated[
        list[Path], typer.Argument(exists=True, dir_okay=False, help="Template files.")
    ],
) -> None:
    """Import template files (YAML); children are imported before the templates using them.

    A file without a version whose content differs from its template's newest version
    becomes the next version; a file whose content is stored already is left as it is.
    Each file is all or nothing; the exit code is 1 when any file was rejected."""
    settings = Settings()
    prepare_databases(settings)
    console = Console()
    report = asyncio.run(_import(settings, files))
    table = Table("file", "result", "details")
    for result in report.results:
        if result.ok and result.created:
            table.add_row(
                str(result.path), "[green]imported", f"{result.workflow} v{result.version}"
            )
        elif result.ok:
            table.add_row(
                str(result.path),
                "[green]unchanged",
                f"{result.workflow} v{result.version} has this content already",
            )
        else:
            details = "\n".join(f"{p.rule or p.code.value}: {p.message}" for p in result.problems)
            table.add_row(str(result.path), "[red]rejected", details)
    console.print(table)
    imported = sum(result.ok for result in report.results)
    console.print(f"{imported} of {len(report.results)} files imported")
    if not report.ok:
        raise typer.Exit(1)


async def _import(settings: Settings, files: list[Path]) -> ImportReport:
    tiers = Tiers.open(settings.template_db_url, settings.instance_db_url)
    try:
        with Progress(transient=True) as progress:
            task = progress.add_task("importing", total=len(files))

            def advance(result: FileResult) -> None:
                progress.advance(task)

            return await import_template_files(tiers.template, paths=files, on_progress=advance)
    finally:
        await tiers.dispose()


@app.command()
def demo(
    uows: int = typer.Option(300, min=1, help="How many loan applications to create."),
) -> None:
    """Load the demo data set: loan templates, one instance, actors and units of work."""
    settings = Settings()
    prepare_databases(settings)
    asyncio.run(_load_demo(settings, only_once=False, uow_count=uows))


async def _load_demo(settings: Settings, *, only_once: bool, uow_count: int = 300) -> None:
    tiers = Tiers.open(settings.template_db_url, settings.instance_db_url)
    try:
        if await demo_data.demo_exists(tiers):
            if not only_once:
                typer.echo(f"The demo instance {demo_data.INSTANCE!r} exists already.", err=True)
                raise typer.Exit(1)
            typer.echo(f"Demo data present (instance {demo_data.INSTANCE!r}).")
            return
        with Progress() as progress:
            task = progress.add_task("loading demo data", total=uow_count)
            instance_id = await demo_data.load_demo(
                tiers,
                uow_count=uow_count,
                progress=lambda done, total: progress.update(task, completed=done),
            )
        typer.echo(f"Demo instance {demo_data.INSTANCE!r}: {instance_id}")
    finally:
        await tiers.dispose()


PROGRESS_FROM = 2_000  # units; a shorter run finishes before a bar would be read


@app.command()
def check(
    instance: str | None = typer.Option(
        None, "--instance", help="Check the units of this instance (id) only; default: all."
    ),
) -> None:
    """Check that every unit of work agrees with its own records.

    Its history must be one chain from its genesis (each row's previous status, hash and
    interaction are the new ones of the row before); its row must match the last history
    row (status, interaction, content hash) with a version no lower than its changes; each
    attribute's versions must run 1..n; its content hash must be the hash of its newest
    attributes. Findings are listed in a table; the exit code is 1 when there is any, 0
    when there is none, 2 when the instance does not exist."""
    instance_id = None
    if instance is not None:
        try:
            instance_id = uuid.UUID(instance)
        except ValueError:
            raise typer.BadParameter(f"{instance!r} is not an instance id (a UUID)") from None
    settings = Settings()
    prepare_databases(settings)
    console = Console()
    try:
        report = asyncio.run(_check(settings, instance_id))
    except DomainError as error:
        typer.echo(error.problems[0].message, err=True)
        raise typer.Exit(2) from None
    if report.findings:
        table = Table("instance", "unit of work", "check", "finding")
        for finding in report.findings:
            table.add_row(
                str(finding.instance_id), str(finding.uow_id), finding.check, finding.message
            )
        console.print(table)
    units = {finding.uow_id for finding in report.findings}
    console.print(
        f"{report.units} units of work checked: {len(report.findings)} findings "
        f"in {len(units)} unit{'' if len(units) == 1 else 's'}"
    )
    if report.findings:
        raise typer.Exit(1)


async def _check(settings: Settings, instance_id: uuid.UUID | None) -> CheckReport:
    tiers = Tiers.open(settings.template_db_url, settings.instance_db_url)
    try:
        with Progress(transient=True) as progress:
            task = progress.add_task("checking units of work", total=None, visible=False)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total, visible=total >= PROGRESS_FROM)

            return await check_units(tiers.instance, instance_id=instance_id, on_progress=advance)
    finally:
        await tiers.dispose()
