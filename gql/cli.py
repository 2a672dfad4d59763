"""The `chameleon` command line (also `python -m gql`)."""

from __future__ import annotations

import typer
from sqlalchemy.engine import make_url

from gql.settings import Settings
from migrations import runner

app = typer.Typer(
    help="Chameleon GraphQL: the API server of the Chameleon workflow engine.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def main() -> None:
    """Chameleon GraphQL: the API server of the Chameleon workflow engine."""


@app.command()
def migrate() -> None:
    """Upgrade both tiers (templates, instances) to the newest schema; safe to repeat."""
    settings = Settings()
    for tier, url in (
        ("template", settings.template_db_url),
        ("instance", settings.instance_db_url),
    ):
        runner.upgrade(tier, url)
        typer.echo(f"{tier} tier is at the newest schema ({_redact(url)})")


def _redact(url: str) -> str:
    """The URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)
