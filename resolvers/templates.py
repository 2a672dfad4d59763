"""Template fields whose answer is computed, not a row: the document of a blueprint."""

from __future__ import annotations

import uuid

from resolvers.context import RequestContext
from storage.templates.export import export_document


async def document(ctx: RequestContext, workflow_id: uuid.UUID) -> str:
    text = await ctx.reader("template").run_sync(
        lambda connection: export_document(connection, workflow_id)
    )
    if text is None:  # the row was read in this request: it cannot have gone
        raise LookupError(f"template {workflow_id} vanished")
    return text
