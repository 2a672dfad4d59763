"""Root-level reads that are not relationship loads: lookups by name, the schema guide."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text

from resolvers.context import RequestContext
from resolvers.errors import ClientError
from storage.models import TemplateWorkflowRow


async def template_by_name(ctx: RequestContext, name: str, version: int | None) -> Any:
    """The blueprint `name` at `version`, or its newest version when none is given."""
    table = TemplateWorkflowRow.__table__
    statement = select(table).where(table.c.name == name)
    if version is None:
        statement = statement.order_by(table.c.version.desc()).limit(1)
    else:
        statement = statement.where(table.c.version == version)
    return (await ctx.reader("template").execute(statement)).first()


async def schema_guide(ctx: RequestContext, tier: str, table: str | None) -> list[Any]:
    statement = text(
        "SELECT table_name, column_name, data_type, is_primary_key, foreign_key_target,"
        " description FROM v_ai_schema_guide"
        + (" WHERE table_name = :table" if table is not None else "")
        + " ORDER BY table_name, column_name"
    )
    params = {"table": table} if table is not None else {}
    rows = list(await ctx.reader(tier).execute(statement.bindparams(**params)))
    if table is not None and not rows:
        raise ClientError(f"table: no table named {table!r} in the {tier} tier", "NOT_FOUND")
    return rows
