"""The `chameleon` command line (also `python -m gql`).

Cold start (issue 18): importing this module costs only typer, so `chameleon --help` is
quick, and each command imports what it runs inside its own body: the server does not load
rich or the demo's engine services, a CLI command does not load the GraphQL schema, and the
SQLite tiers never load asyncpg. These function-level imports are for start-up time, not
to dodge import cycles.
"""

from __future__ import annotations

import asyncio
import gc
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gql import token_cli

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from gql.settings import Settings
    from storage.runtime.check import CheckReport
    from storage.templates.graph import GraphFormat
    from storage.templates.importer import ImportReport

app = typer.Typer(
    help="Chameleon GraphQL: the API server of the Chameleon workflow engine.",
    no_args_is_help=True,
    add_completion=False,
    # Plain click help: typer's rich help pulls in rich and pygments (~0.2 s) for --help.
    rich_markup_mode=None,
)
app.add_typer(token_cli.app, name="token")


@app.callback()
def main() -> None:
    """Chameleon GraphQL: the API server of the Chameleon workflow engine."""


def _redact(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _tier_urls(settings: Settings) -> tuple[tuple[str, str], ...]:
    return (("template", settings.template_db_url), ("instance", settings.instance_db_url))


@app.command()
def migrate() -> None:
    """Upgrade both tiers (templates, instances) to the newest schema; safe to repeat."""
    from gql.settings import Settings
    from migrations import fresh

    settings = Settings()
    for tier, url in _tier_urls(settings):
        asyncio.run(fresh.prepare_tier(tier, url))
        typer.echo(f"{tier} tier is at the newest schema ({_redact(url)})")


def prepare_databases(settings: Settings) -> None:
    """Embedded SQLite tiers are migrated automatically; other databases must already be.

    An empty tier is created from the models and a current one recognised from its version
    table, without loading Alembic (`migrations.fresh`); only an older one is upgraded."""
    from migrations import fresh

    if settings.embedded:

        async def prepare_both() -> None:
            for tier, url in _tier_urls(settings):
                await fresh.prepare_tier(tier, url)

        asyncio.run(prepare_both())
        return
    for tier, url in _tier_urls(settings):
        if not asyncio.run(fresh.is_current(tier, url)):
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
    insecure_anonymous: bool = typer.Option(
        False,
        "--insecure-anonymous",
        help="Serve anonymous full access on a non-loopback address without auth "
        "(also CHAMELEON_INSECURE_ANONYMOUS); warned at every start.",
    ),
) -> None:
    """Serve the GraphQL API (with GraphiQL at /graphql in a browser)."""
    # Start-up creates objects that all live as long as the server (modules, classes, the
    # schema): the cyclic collector's passes over them while they are being made cost about
    # 0.1 s of CPU. It runs again, with them frozen out of its way, once the app is built
    # (`serving_app`). With --reload or --workers this process only supervises the servers
    # it starts, so it keeps its collector.
    single = not reload and workers == 1
    if single:
        gc.disable()
    import uvicorn

    from gql import exposure
    from gql.settings import Settings

    settings = Settings()
    if insecure_anonymous:
        settings.insecure_anonymous = True
    bind_host = host or settings.host
    bind_port = port or settings.port
    refused = exposure.refusal(settings, bind_host)
    if refused is not None:
        typer.echo(refused, err=True)
        raise typer.Exit(2)
    warned = exposure.warning(settings, bind_host)
    if warned is not None:
        typer.secho(warned, err=True, fg="yellow")
    if workers > 1 and settings.embedded:
        typer.echo("Several workers need PostgreSQL: SQLite has a single writer.", err=True)
        raise typer.Exit(2)
    prepare_databases(settings)
    if demo:
        gc.enable()
        asyncio.run(_load_demo(settings, only_once=True))
        if single:
            gc.disable()
    shown = "GraphiQL" if settings.graphiql else "GraphQL"
    typer.echo(f"{shown}: http://{bind_host}:{bind_port}/graphql")
    uvicorn.run(
        "gql.cli:serving_app",
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


def serving_app() -> Starlette:
    """The server's app (uvicorn's factory): built, then everything made so far is frozen
    out of the cyclic collector's generations (`gc.freeze`: it lives as long as the process)
    and the collector, paused by `serve`, runs again."""
    from gql.app import create_app

    built = create_app()
    gc.freeze()
    gc.enable()
    return built


@app.command("export-schema")
def export_schema() -> None:
    """Print the GraphQL schema (SDL); `gql/schema.graphql` is this output, committed."""
    from schema.assemble import build_schema

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
    from gql.settings import Settings

    _emit(asyncio.run(_export(Settings(), name, version)), name, version, output)


def _emit(text: str | None, name: str, version: int | None, output: Path | None) -> None:
    """A template's text to stdout or `output`; exit 1 when there is no such template."""
    if text is None:
        shown = f"{name!r}" + (f" version {version}" if version is not None else "")
        typer.echo(f"No template {shown}.", err=True)
        raise typer.Exit(1)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"Written to {output}.", err=True)


async def _export(settings: Settings, name: str, version: int | None) -> str | None:
    from storage.engines import Tiers
    from storage.templates.export import export_named

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
    from gql.settings import Settings
    from storage.templates.graph import GraphFormat

    formats = {member.value.lower(): member for member in GraphFormat}
    chosen = formats.get(graph_format.lower())
    if chosen is None:
        raise typer.BadParameter(
            f"{graph_format!r}: use one of {', '.join(formats)}", param_hint="--format"
        )
    _emit(asyncio.run(_graph(Settings(), name, version, chosen)), name, version, output)


async def _graph(
    settings: Settings, name: str, version: int | None, graph_format: GraphFormat
) -> str | None:
    from storage.engines import Tiers
    from storage.templates.export import named_id, stored_spec
    from storage.templates.graph import graph_of_spec, render_graph

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
    Each file is all or nothing; the exit code is 1 when any file was refused."""
    from rich.console import Console
    from rich.table import Table

    from gql.settings import Settings

    settings = Settings()
    prepare_databases(settings)
    console = Console()
    report = asyncio.run(_import(settings, files))
    table = Table("file", "result", "details")
    for result in report.results:
        template = f"{result.workflow} v{result.version}"
        if result.same_as is not None:
            table.add_row(str(result.path), "unchanged", f"same file as {result.same_as}")
        elif result.unchanged:
            table.add_row(str(result.path), "unchanged", f"{template} is stored already")
        elif result.ok:
            table.add_row(str(result.path), "[green]imported", template)
        else:
            details = "\n".join(f"{p.rule or p.code.value}: {p.message}" for p in result.problems)
            table.add_row(str(result.path), "[red]refused", details)
    console.print(table)
    given = len(report.results)
    console.print(
        f"{given} file{'' if given == 1 else 's'}: {report.count('imported')} imported, "
        f"{report.count('unchanged')} unchanged, {report.count('refused')} refused"
    )
    if not report.ok:
        raise typer.Exit(1)


async def _import(settings: Settings, files: list[Path]) -> ImportReport:
    from rich.progress import Progress

    from storage.access import acting_as
    from storage.engines import Tiers
    from storage.templates.importer import FileResult, import_template_files

    tiers = Tiers.open(settings.template_db_url, settings.instance_db_url)
    try:
        with Progress(transient=True) as progress:
            task = progress.add_task("importing", total=len(files))

            def advance(result: FileResult) -> None:
                progress.advance(task)

            with acting_as("cli"):  # the caller recorded in Template_Audit
                return await import_template_files(tiers.template, paths=files, on_progress=advance)
    finally:
        await tiers.dispose()


@app.command()
def demo(
    uows: int = typer.Option(300, min=1, help="How many loan applications to create."),
) -> None:
    """Load the demo data set: loan templates, one instance, actors and units of work."""
    from gql.settings import Settings

    settings = Settings()
    prepare_databases(settings)
    asyncio.run(_load_demo(settings, only_once=False, uow_count=uows))


async def _load_demo(settings: Settings, *, only_once: bool, uow_count: int = 300) -> None:
    from rich.progress import Progress

    from gql import demo as demo_data
    from storage.access import acting_as
    from storage.engines import Tiers

    tiers = Tiers.open(settings.template_db_url, settings.instance_db_url)
    try:
        if await demo_data.demo_exists(tiers):
            if not only_once:
                typer.echo(f"The demo instance {demo_data.INSTANCE!r} exists already.", err=True)
                raise typer.Exit(1)
            typer.echo(f"Demo data present (instance {demo_data.INSTANCE!r}).")
            return
        with Progress() as progress, acting_as("cli"):
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
    from rich.console import Console
    from rich.table import Table

    from gql.settings import Settings
    from storage.errors import DomainError

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
    from rich.progress import Progress

    from storage.engines import Tiers
    from storage.runtime.check import check_units

    tiers = Tiers.open(settings.template_db_url, settings.instance_db_url)
    try:
        with Progress(transient=True) as progress:
            task = progress.add_task("checking units of work", total=None, visible=False)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total, visible=total >= PROGRESS_FROM)

            return await check_units(tiers.instance, instance_id=instance_id, on_progress=advance)
    finally:
        await tiers.dispose()
