"""The engine verbs as the API runs them: ids parsed, one service call, every row the verb
wrote published after the commit, expected failures as problems."""

from __future__ import annotations

import uuid

from resolvers.context import RequestContext
from resolvers.mutations import json_object, mutation_publishing
from resolvers.pagination import Page, PageArgs, slice_page
from storage.engine import checkout as checkouts
from storage.engine import submit as submits
from storage.engine.journal import EngineResult
from storage.telemetry.events import Event


def _written(result: EngineResult) -> list[Event]:
    """Every row the verb wrote, in the order written (a guardian's decision before the
    move it caused); transitions carry their history entries."""
    events = [Event.of_log(move.log, move.history) for move in result.transitions]
    events += [Event.of_log(log) for log in result.logs]
    return sorted(events, key=lambda e: e.log_id or 0)


async def inbox(ctx: RequestContext, role_id: uuid.UUID, args: PageArgs) -> Page:
    """A role's work queue, paginated over the eligible units in their checkout order."""
    tier = ctx.tiers.instance
    rows = await ctx.reader("instance").run_sync(
        lambda session: checkouts.eligible_units(tier, session, role_id)
    )
    return slice_page(rows, [str(row.uow_id) for row in rows], args, "this inbox")


# Each verb once per idempotency key; a replayed answer publishes nothing again.
checkout = mutation_publishing("checkout", checkouts.checkout, _written)
submit = mutation_publishing("submit", submits.submit, _written, attributes=json_object)
report_failure = mutation_publishing("reportFailure", submits.report_failure, _written)
