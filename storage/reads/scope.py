"""The caller's instances as a WHERE condition on any instance-tier row (SPEC 8).

The one place the compiled read path narrows rows to the caller's instances: every table it
reads is aliased through `visible`, so no nested field can reach another instance's rows.
The rule per table is the loaders' own (`storage.access.scope_condition`), so both read
paths see exactly the same rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import ColumnElement, FromClause, Table

from storage.access import Caller, CallerKind, scope_condition


def visible(
    table: Table, alias: FromClause, instance_ids: Collection[uuid.UUID] | None
) -> list[ColumnElement[bool]]:
    """Conditions keeping `alias` (of `table`) to the caller's instances; none for all."""
    if instance_ids is None:
        return []
    caller = Caller(CallerKind.INSTANCE, frozenset(instance_ids))
    condition = scope_condition(table, caller, alias)
    return [] if condition is None else [condition]
