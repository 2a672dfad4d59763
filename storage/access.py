"""Who is acting and what they may reach (SPEC 8): the caller, the read filter every loader
applies, and the subject recorded beside every change.

The caller is resolved once per request (HTTP) or connection (WebSocket) by `gql.auth`;
storage knows nothing of tokens. A caller reaches a set of instances (`None`: every one);
every instance-tier row belongs to exactly one instance, directly (`instance_id`), through
its workflow copy (`local_workflow_id`) or through its actor (assignments), so one condition
per table keeps every read inside the caller's instances, whatever path led to it.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, FromClause, Table, false, select

from storage.models import ActorRow, LocalWorkflowRow, TemplateBase


class CallerKind(enum.Enum):
    """How the caller was identified (the `scope` claim of its token, or none)."""

    ANONYMOUS = "anonymous"  # auth is off: full access, as before tokens existed
    ADMIN = "admin"
    INSTANCE = "instance"
    ACTOR = "actor"
    NOBODY = "nobody"  # auth is on and no token was verified yet (a WebSocket before init)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking, and what they may reach.

    `instance_ids` None means every instance (anonymous with auth off, admin); an actor-bound
    caller reaches the one instance its actor belongs to (empty when the actor is unknown).
    """

    kind: CallerKind = CallerKind.ANONYMOUS
    instance_ids: frozenset[uuid.UUID] | None = None
    actor_id: uuid.UUID | None = None
    subject: str | None = None

    @property
    def writes_templates(self) -> bool:
        """Template writes, new instances and the template audit: admin (or anonymous while
        auth is off)."""
        return self.kind in (CallerKind.ANONYMOUS, CallerKind.ADMIN)

    def reaches(self, instance_id: uuid.UUID | None) -> bool:
        return self.instance_ids is None or (
            instance_id is not None and instance_id in self.instance_ids
        )


ANONYMOUS = Caller()
NOBODY = Caller(CallerKind.NOBODY, frozenset())


def scope_condition(
    table: Table, caller: Caller, on: FromClause | None = None
) -> ColumnElement[bool] | None:
    """The WHERE condition that keeps `table`'s rows (read through `on`, an alias of it, when
    given) inside the caller's instances (None: no filter needed). Both read paths use it,
    the loaders and the compiled reads. A new instance-tier table without a rule here fails
    loudly, not open."""
    ids = caller.instance_ids
    if ids is None or table.metadata is TemplateBase.metadata:
        return None
    if not ids:
        return false()
    columns: Any = (table if on is None else on).c
    if "instance_id" in columns:
        return cast(ColumnElement[bool], columns.instance_id.in_(ids))
    if "local_workflow_id" in columns:
        workflows = select(LocalWorkflowRow.local_workflow_id).where(
            LocalWorkflowRow.instance_id.in_(ids)
        )
        return cast(ColumnElement[bool], columns.local_workflow_id.in_(workflows))
    if "actor_id" in columns:  # assignments: the actor's instance
        actors = select(ActorRow.actor_id).where(ActorRow.instance_id.in_(ids))
        return cast(ColumnElement[bool], columns.actor_id.in_(actors))
    raise LookupError(f"no caller scope rule for table {table.name}")


# The subject (token `sub`) of the request being served: services record it beside every
# change they write. A context variable rather than an argument of every service, because
# it travels with the request into the SQLite writer thread (`storage.sqlite_writer` runs
# each body in the caller's context) and is read where the history and log rows are built.
_acting_subject: ContextVar[str | None] = ContextVar("acting_subject", default=None)


def acting_subject() -> str | None:
    return _acting_subject.get()


@contextmanager
def acting_as(subject: str | None) -> Iterator[None]:
    """Records `subject` on the changes written inside the block."""
    token = _acting_subject.set(subject)
    try:
        yield
    finally:
        _acting_subject.reset(token)


def with_caller(value: Any, subject: str | None) -> Any:
    """A client's JSON object with `subject` under `caller` (a client's own `caller` key is
    replaced: the recorded one is the token's); nothing becomes `{"caller": subject}`, and a
    value that is not an object is kept as it is."""
    if subject is None:
        return value
    if value is None:
        return {"caller": subject}
    if isinstance(value, dict):
        return {**value, "caller": subject}
    return value


def audited_metadata(metadata: Any) -> Any:
    """A transition's history metadata with the acting subject (see `with_caller`); the
    transition's log row carries the subject either way."""
    return with_caller(metadata, acting_subject())


def audited_details(details: dict[str, Any]) -> dict[str, Any]:
    """Log details with the acting subject under `caller`, when there is one."""
    subject = acting_subject()
    return details if subject is None else {**details, "caller": subject}
