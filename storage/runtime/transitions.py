"""The one service that changes a unit of work's status or location (SPEC 4.5).

Every change runs the same steps in one transaction. It starts by bumping the row's version
with a conditional UPDATE: that write both claims the row (a concurrent writer waits or
finds the version moved on and gets STALE_STATE) and, on SQLite, takes the write lock
before anything is read, so no reader snapshot can go stale underneath the change.

The steps are synchronous Core on one connection, run by `Tier.write` (one hop to the
SQLite writer thread, or `run_sync` on PostgreSQL); `uows.py` reuses them inside its own
transactions through `AsyncSession.run_sync`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    FromClause,
    Select,
    Table,
    bindparam,
    exists,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError

from storage.access import audited_details, audited_metadata
from storage.engines import Tier
from storage.enums import (
    AssignmentStatus,
    ComponentDirection,
    InstanceStatus,
    LogType,
    UowStatus,
)
from storage.errors import DomainError, ErrorCode
from storage.ids import new_id
from storage.models import (
    ActorRow,
    AssignmentRow,
    InstanceRow,
    InteractionLogRow,
    LocalComponentRow,
    LocalInteractionRow,
    UnitOfWorkRow,
    UowHistoryRow,
)
from storage.prepared import Prepared, PreparedInsert
from storage.runtime.attributes import (
    Executor,
    append_attributes,
    check_record,
    checked_attributes,
    newest_of,
)
from storage.runtime.hashing import state_hash
from storage.types import utcnow

S = UowStatus
ALLOWED: dict[UowStatus, frozenset[UowStatus]] = {
    S.PENDING: frozenset({S.ACTIVE, S.PAUSED, S.ZOMBIED_SOFT, S.FAILED}),
    S.ACTIVE: frozenset(
        {S.COMPLETED, S.FAILED, S.PENDING, S.PENDING_PILOT_APPROVAL, S.ZOMBIED_SOFT, S.PAUSED}
    ),
    S.PENDING_PILOT_APPROVAL: frozenset({S.ACTIVE, S.FAILED, S.PAUSED}),
    S.ZOMBIED_SOFT: frozenset({S.ACTIVE, S.PENDING, S.ZOMBIED_DEAD}),
    S.ZOMBIED_DEAD: frozenset({S.FAILED, S.ARCHIVED}),
    S.PAUSED: frozenset(),  # back to the status it had before the pause, only
    S.FAILED: frozenset({S.ACTIVE, S.ARCHIVED}),
    S.COMPLETED: frozenset({S.ARCHIVED}),
    S.FAILED_SECURITY_BREACH: frozenset({S.ARCHIVED}),
    S.ARCHIVED: frozenset(),
}
FINISHED = frozenset({S.COMPLETED, S.FAILED})
TERMINAL = frozenset({S.COMPLETED, S.ARCHIVED, S.FAILED_SECURITY_BREACH})


UOW = cast(Table, UnitOfWorkRow.__table__)
HISTORY = cast(Table, UowHistoryRow.__table__)
LOGS = cast(Table, InteractionLogRow.__table__)
INSTANCES = cast(Table, InstanceRow.__table__)
COMPONENTS = cast(Table, LocalComponentRow.__table__)
INTERACTIONS = cast(Table, LocalInteractionRow.__table__)
ASSIGNMENTS = cast(Table, AssignmentRow.__table__)
ACTORS = cast(Table, ActorRow.__table__)

# The statements of every transition are built once, with bound parameters, and run as
# `Prepared` statements: building a statement, and executing it through Core, cost more
# than SQLite's work on it.
_CLAIM_STATEMENT = (
    update(UOW)
    .where(
        UOW.c.uow_id == bindparam("b_uow_id"),
        exists().where(
            INSTANCES.c.instance_id == UOW.c.instance_id,
            INSTANCES.c.status == InstanceStatus.ACTIVE,
        ),
    )
    .values(version=UOW.c.version + 1)
    .returning(*UOW.c)
)
_CLAIM = Prepared(_CLAIM_STATEMENT)
_CLAIM_AT_VERSION = Prepared(
    _CLAIM_STATEMENT.where(UOW.c.version == bindparam("b_expected_version"))
)
_SET_COLUMNS = (
    "status",
    "current_interaction_id",
    "content_hash",
    "updated_at",
    "locked_by_actor_id",
    "current_role_id",
    "last_heartbeat_at",
    "retry_count",
)
_SET_UOW = Prepared(
    update(UOW)
    .where(UOW.c.uow_id == bindparam("b_uow_id"))
    .values({name: bindparam(f"v_{name}", type_=UOW.c[name].type) for name in _SET_COLUMNS})
)
_TAKE_STATEMENT = (
    update(UOW)
    .where(UOW.c.uow_id == bindparam("b_uow_id"), UOW.c.version == bindparam("b_version"))
    .values(
        version=UOW.c.version + 1,
        **{
            name: bindparam(f"v_{name}", type_=UOW.c[name].type)
            for name in _SET_COLUMNS
            if name not in ("current_interaction_id", "content_hash")
        },
    )
    .returning(*UOW.c)
)
_TAKE = Prepared(_TAKE_STATEMENT)
_PROBE = UOW.alias("probe")
_TAKE_SKIPPING_LOCKED = Prepared(
    _TAKE_STATEMENT.where(
        UOW.c.uow_id.in_(
            select(_PROBE.c.uow_id)
            .where(_PROBE.c.uow_id == bindparam("b_uow_id"))
            .with_for_update(skip_locked=True)
        )
    )
)
_WORKFLOW_OF_INTERACTION = select(INTERACTIONS.c.local_workflow_id).where(
    INTERACTIONS.c.interaction_id == bindparam("b_id")
)
# The newest history row that entered a status (not one that changed attributes in it).
_SUSPENDED_BY = (
    select(HISTORY.c.previous_status, HISTORY.c.actor_id)
    .where(
        HISTORY.c.uow_id == bindparam("b_uow_id"),
        HISTORY.c.new_status == bindparam("b_status"),
        HISTORY.c.previous_status != bindparam("b_status"),
    )
    .order_by(HISTORY.c.transition_timestamp.desc())
    .limit(1)
)


def _insert_all(table: Table) -> Any:
    """An INSERT of every column but an autoincrement key, each a bound parameter."""
    columns = [c for c in table.c if not (c.primary_key and c.autoincrement is True)]
    return insert(table).values({c.name: bindparam(c.name, type_=c.type) for c in columns})


_INSERT_HISTORY = Prepared(_insert_all(HISTORY))
_INSERT_LOGS = PreparedInsert(
    LOGS, [c.name for c in LOGS.c if c.name != "log_id"], returning="log_id"
)
_INSERT_LOG = Prepared(
    insert(LOGS)
    .values({c.name: bindparam(c.name, type_=c.type) for c in LOGS.c if c.name != "log_id"})
    .returning(LOGS.c.log_id)
)


def _inbound(assigned: ColumnElement[bool], actor_id: BindParameter[Any] | None) -> Select[Any]:
    """Consumers of an interaction, each marked when the actor is assigned to its role."""
    join: FromClause = COMPONENTS
    if actor_id is not None:
        join = COMPONENTS.outerjoin(
            ASSIGNMENTS,
            (ASSIGNMENTS.c.role_id == COMPONENTS.c.role_id)
            & (ASSIGNMENTS.c.actor_id == actor_id)
            & (ASSIGNMENTS.c.status == AssignmentStatus.ACTIVE),
        )
    return (
        select(COMPONENTS.c.role_id, assigned.label("assigned"))
        .select_from(join)
        .where(
            COMPONENTS.c.interaction_id == bindparam("b_interaction_id"),
            COMPONENTS.c.direction == ComponentDirection.INBOUND,
        )
    )


_CONSUMERS = Prepared(_inbound(literal(False), None))
_CONSUMERS_FOR_ACTOR = Prepared(
    _inbound(
        ASSIGNMENTS.c.assignment_id.is_not(None),
        bindparam("b_actor_id", type_=ASSIGNMENTS.c.actor_id.type),
    )
)
_ACTOR_INSTANCE = Prepared(
    select(ACTORS.c.instance_id).where(
        ACTORS.c.actor_id == bindparam("b_actor_id", type_=ACTORS.c.actor_id.type)
    )
)


@dataclass(frozen=True, slots=True)
class TransitionResult:
    """What one committed change wrote, as row-like records (attribute names = columns); the
    caller publishes it after the commit."""

    uow: Any
    history: Any
    log: Any


def _stale(message: str) -> DomainError:
    return DomainError.single(ErrorCode.STALE_STATE, message, ("input", "expectedVersion"))


def _refused(message: str) -> DomainError:
    return DomainError.single(ErrorCode.INVALID_TRANSITION, message, ("input", "toStatus"))


@dataclass(frozen=True, slots=True)
class TransitionSpec:
    """One requested change of a unit of work (the arguments of `transitionUow`)."""

    uow_id: uuid.UUID
    to_status: UowStatus | None = None
    to_interaction_id: uuid.UUID | None = None
    actor_id: uuid.UUID | None = None
    reasoning: str | None = None
    metadata: Any = None
    attributes: Any = None
    expected_version: int | None = None
    expected_state_hash: str | None = None


async def transition_uow(tier: Tier, **arguments: Any) -> TransitionResult:
    """Move a unit of work (status and/or interaction, with attribute changes)."""
    return await transition(tier, TransitionSpec(**arguments))


async def transition(tier: Tier, spec: TransitionSpec) -> TransitionResult:
    """`transition_uow` for a change already gathered in a spec (as the API reads one)."""
    change = _change_of(spec)
    try:
        return await tier.write(change)
    except DBAPIError as error:
        raise _classified(error, spec.uow_id) from error


async def transition_many(
    tier: Tier, specs: list[TransitionSpec]
) -> list[TransitionResult | DomainError]:
    """Several changes in one transaction, each atomic on its own (a SAVEPOINT each): the
    answer for each is its result or the DomainError that refused it, in order."""
    changes: list[Callable[[Connection], TransitionResult] | DomainError] = []
    for spec in specs:
        try:
            changes.append(_change_of(spec))
        except DomainError as refused:
            changes.append(refused)

    def apply_all(connection: Connection) -> list[TransitionResult | DomainError]:
        outcomes: list[TransitionResult | DomainError] = []
        for spec, change in zip(specs, changes, strict=True):
            if isinstance(change, DomainError):
                outcomes.append(change)
                continue
            try:
                with connection.begin_nested():
                    outcomes.append(change(connection))
            except DomainError as refused:
                outcomes.append(refused)
            except DBAPIError as error:
                meaning = _classified(error, spec.uow_id)
                if not isinstance(meaning, DomainError):
                    raise
                outcomes.append(meaning)
        return outcomes

    return await tier.write(apply_all)


def _change_of(spec: TransitionSpec) -> Callable[[Connection], TransitionResult]:
    """The body of one change, after the checks that need no database."""
    changes = checked_attributes(spec.attributes)
    check_record(reasoning=spec.reasoning, metadata=spec.metadata)
    if spec.to_status is None and spec.to_interaction_id is None and not changes:
        raise DomainError.single(
            ErrorCode.VALIDATION_FAILED,
            "nothing to change: give toStatus, toInteractionId or attributes",
            ("input",),
        )
    if spec.to_status == S.FAILED_SECURITY_BREACH:
        raise _refused("FAILED_SECURITY_BREACH is reached only through verifyUowState")

    def change(connection: Connection) -> TransitionResult:
        uow = claim(connection, spec.uow_id, spec.expected_version)
        if spec.expected_state_hash is not None and spec.expected_state_hash != uow.content_hash:
            raise DomainError.single(
                ErrorCode.STALE_STATE,
                f"unit of work {spec.uow_id} has state hash {uow.content_hash}, "
                f"not the expected {spec.expected_state_hash}",
                ("input", "expectedStateHash"),
            )
        check_holder(uow, spec.actor_id)
        if spec.to_status is not None:
            check_move(connection, uow, spec.to_status)
        elif uow.status in TERMINAL:
            raise _refused(f"a {uow.status.value} unit of work cannot change any more")
        return apply_change(
            connection,
            uow,
            to_status=spec.to_status or uow.status,
            to_interaction_id=spec.to_interaction_id,
            actor_id=spec.actor_id,
            reasoning=spec.reasoning,
            metadata=spec.metadata,
            changes=changes,
        )

    return change


# SQLite's extended result codes and PostgreSQL's SQLSTATEs of the failures a client can
# cause; anything else is not the client's doing and stays an unexpected error.
_SQLITE_BUSY = {5, 6, 261, 262, 517}  # BUSY, LOCKED and their extended codes
_SQLITE_UNIQUE = {1555, 2067}  # PRIMARYKEY, UNIQUE
_SQLITE_FOREIGN_KEY = {787}


def _classified(error: DBAPIError, uow_id: uuid.UUID) -> Exception:
    """What a database refusal during a change means for the client, told by its error
    code, never by its message."""
    origin = error.orig
    code = getattr(origin, "sqlite_errorcode", None)
    state = getattr(origin, "sqlstate", None) or getattr(origin, "pgcode", None)
    if code in _SQLITE_UNIQUE or state == "23505" or code in _SQLITE_BUSY:
        return _stale(f"unit of work {uow_id} was changed concurrently; read it again")
    if code in _SQLITE_FOREIGN_KEY or state == "23503":
        return DomainError.single(
            ErrorCode.NOT_FOUND,
            "actorId: no such actor in this database",
            ("input", "actorId"),
        )
    return error


def claim(session: Executor, uow_id: uuid.UUID, expected_version: int | None) -> Any:
    """Bump the row's version first (see the module docstring) and return the row as it was,
    with its new version. One statement on the normal path: the instance must be ACTIVE."""
    if expected_version is None:
        claimed = _CLAIM.first(_connection(session), {"b_uow_id": uow_id})
    else:
        params = {"b_uow_id": uow_id, "b_expected_version": expected_version}
        claimed = _CLAIM_AT_VERSION.first(_connection(session), params)
    if claimed is not None:
        return claimed
    found = (
        session.execute(
            select(UOW.c.version, INSTANCES.c.status)
            .join(INSTANCES, INSTANCES.c.instance_id == UOW.c.instance_id)
            .where(UOW.c.uow_id == uow_id)
        )
    ).first()
    if found is None:
        raise DomainError.single(
            ErrorCode.NOT_FOUND, f"no unit of work with id {uow_id}", ("input", "uowId")
        )
    if found.status != InstanceStatus.ACTIVE:
        raise DomainError.single(
            ErrorCode.INSTANCE_NOT_ACTIVE,
            f"the instance of unit of work {uow_id} is {found.status.value}; "
            "its units of work cannot change",
            ("input", "uowId"),
        )
    raise _stale(f"unit of work {uow_id} is at version {found.version}, not {expected_version}")


def check_holder(uow: Any, actor_id: uuid.UUID | None) -> None:
    """A unit of work held by an actor changes only by that actor, whatever the verb."""
    if uow.locked_by_actor_id is not None and uow.locked_by_actor_id != actor_id:
        who = f"actor {actor_id}" if actor_id else "a request without actorId"
        raise DomainError.single(
            ErrorCode.FORBIDDEN,
            f"unit of work {uow.uow_id} is held by actor {uow.locked_by_actor_id}; "
            f"{who} cannot change it",
            ("input", "actorId"),
        )


def check_move(session: Executor, uow: Any, to_status: UowStatus) -> None:
    """INVALID_TRANSITION unless the lifecycle table allows the move."""
    if uow.status == S.PAUSED:
        entered = session.execute(_SUSPENDED_BY, {"b_uow_id": uow.uow_id, "b_status": S.PAUSED})
        row = entered.first()
        before = None if row is None else row.previous_status
        if to_status != before:
            back = before.value if before else "its previous status"
            raise _refused(f"a PAUSED unit of work returns to {back} only, not {to_status.value}")
        return
    if to_status not in ALLOWED[uow.status]:
        raise _refused(f"{uow.status.value} -> {to_status.value} is not an allowed transition")


def _holding_role(
    session: Executor, interaction_id: uuid.UUID, actor_id: uuid.UUID | None
) -> uuid.UUID | None:
    """The role an ACTIVE unit of work is checked out under: the consumer of its interaction
    that the actor is assigned to, or the only consumer when there is one (one statement)."""
    connection = _connection(session)
    if actor_id is None:
        rows = _CONSUMERS.run(connection, {"b_interaction_id": interaction_id})
    else:
        params = {"b_interaction_id": interaction_id, "b_actor_id": actor_id}
        rows = _CONSUMERS_FOR_ACTOR.run(connection, params)
    for row in rows:
        if row.assigned:
            return cast(uuid.UUID, row.role_id)
    return cast(uuid.UUID, rows[0].role_id) if len(rows) == 1 else None


@dataclass(frozen=True, slots=True)
class Hold:
    """Who holds a unit of work once it is ACTIVE, when the verb decides it (checkout takes
    it for an actor under a role; a gateway holds it for no actor while its child workflow
    runs)."""

    actor_id: uuid.UUID | None
    role_id: uuid.UUID | None


def apply_change(
    session: Executor,
    uow: Any,
    *,
    to_status: UowStatus,
    to_interaction_id: uuid.UUID | None,
    actor_id: uuid.UUID | None,
    reasoning: str | None,
    metadata: Any,
    changes: dict[str, Any],
    hold: Hold | None = None,
    retry: bool = False,
    newest: dict[str, Any] | None = None,
    logs_before: Sequence[dict[str, Any]] = (),
    routed: bool = False,
) -> TransitionResult:
    """Attributes, hash, row, history, log and parent counter of one claimed change.

    Holding: entering ACTIVE takes the unit for `hold` (or the acting actor under the role
    that consumes the interaction); a unit coming back from PAUSED or pilot approval
    returns to the actor who held it; a move between interactions takes the role of the
    interaction entered; leaving ACTIVE clears holder and role. `newest` (key -> row of the
    newest version) saves reading the attributes when the caller already has them."""
    # Before anything is written: an unknown actor would otherwise fail a foreign key in
    # the first write that names it, which the driver reports as no client error.
    check_member(session, uow, actor_id)
    interaction_id = uow.current_interaction_id
    if routed and to_interaction_id is not None:
        interaction_id = to_interaction_id  # the engine took it from the workflow's graph
    elif to_interaction_id is not None and to_interaction_id != interaction_id:
        workflow = session.scalar(_WORKFLOW_OF_INTERACTION, {"b_id": to_interaction_id})
        if workflow != uow.local_workflow_id:
            raise DomainError.single(
                ErrorCode.NOT_FOUND,
                f"no interaction {to_interaction_id} in the unit of work's workflow",
                ("input", "toInteractionId"),
            )
        interaction_id = to_interaction_id
    content_hash = uow.content_hash
    if changes:
        if newest is None:
            newest = newest_of(session, uow.uow_id)
        append_attributes(
            session,
            uow_id=uow.uow_id,
            instance_id=uow.instance_id,
            changes=changes,
            actor_id=actor_id,
            reasoning=reasoning,
            base_versions={key: row.version for key, row in newest.items()},
        )
        current = {key: row.value for key, row in newest.items()} | changes
        content_hash = state_hash(current)
    now = utcnow()
    values: dict[str, Any] = {
        "status": to_status,
        "current_interaction_id": interaction_id,
        "content_hash": content_hash,
        "updated_at": now,
        "locked_by_actor_id": None,
        "current_role_id": None,
        "last_heartbeat_at": uow.last_heartbeat_at,
        "retry_count": uow.retry_count + (1 if retry or uow.status == S.ZOMBIED_SOFT else 0),
    }
    if to_status == S.ACTIVE:
        holder, role = _holder(session, uow, interaction_id, actor_id, hold)
        values["locked_by_actor_id"], values["current_role_id"] = holder, role
        if uow.status != S.ACTIVE or hold is not None:
            values["last_heartbeat_at"] = now
    params = {f"v_{name}": value for name, value in values.items()}
    _SET_UOW.run(_connection(session), {"b_uow_id": uow.uow_id, **params})
    if uow.parent_id is not None and to_status in FINISHED and uow.status not in FINISHED:
        _count_finished_child(session, uow)
    before = uow._asdict() if hasattr(uow, "_asdict") else vars(uow)
    after = SimpleNamespace(**{**before, **values})
    return record(
        session,
        after,
        previous=(uow.status, uow.content_hash, uow.current_interaction_id),
        actor_id=actor_id,
        reasoning=reasoning,
        metadata=metadata,
        logs_before=logs_before,
        member_checked=True,
    )


def take_at_version(
    session: Connection,
    uow: Any,
    *,
    hold: Hold,
    reasoning: str,
    metadata: Any,
    logs_before: Sequence[dict[str, Any]] = (),
) -> TransitionResult | None:
    """Checkout's move in one UPDATE: `uow` (as read, at its version) becomes ACTIVE, held
    by `hold`; None when its version moved on meanwhile (another checkout took it). On
    PostgreSQL a row that another transaction is claiming is passed over, not waited for."""
    check_move(session, uow, S.ACTIVE)
    now = utcnow()
    values = {
        "b_uow_id": uow.uow_id,
        "b_version": uow.version,
        "v_status": S.ACTIVE,
        "v_locked_by_actor_id": hold.actor_id,
        "v_current_role_id": hold.role_id,
        "v_last_heartbeat_at": now,
        "v_updated_at": now,
        "v_retry_count": uow.retry_count + (1 if uow.status == S.ZOMBIED_SOFT else 0),
    }
    statement = _TAKE if _dialect(session) == "sqlite" else _TAKE_SKIPPING_LOCKED
    taken = statement.first(session, values)
    if taken is None:
        return None
    return record(
        session,
        taken,
        previous=(uow.status, uow.content_hash, uow.current_interaction_id),
        actor_id=hold.actor_id,
        reasoning=reasoning,
        metadata=metadata,
        logs_before=logs_before,
    )


def _holder(
    session: Executor,
    uow: Any,
    interaction_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    hold: Hold | None,
) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """(holder, role) of a unit of work that is ACTIVE after the change."""
    if hold is not None:
        return hold.actor_id, hold.role_id
    if uow.status == S.ACTIVE:
        if interaction_id == uow.current_interaction_id:
            return uow.locked_by_actor_id, uow.current_role_id
        holder = uow.locked_by_actor_id
        return holder, _holding_role(session, interaction_id, holder)
    holder = actor_id
    if uow.status in (S.PAUSED, S.PENDING_PILOT_APPROVAL):
        holder = _suspended_holder(session, uow) or actor_id
    return holder, _holding_role(session, interaction_id, holder)


def _suspended_holder(session: Executor, uow: Any) -> uuid.UUID | None:
    """The actor who held the unit when it was paused or sent for approval: only the
    holder may make that move (see `check_holder`), so it is that history row's actor."""
    row = session.execute(_SUSPENDED_BY, {"b_uow_id": uow.uow_id, "b_status": uow.status}).first()
    if row is None or row.previous_status != S.ACTIVE:
        return None
    return cast(uuid.UUID | None, row.actor_id)


def _count_finished_child(session: Executor, child: Any) -> None:
    """A child's first arrival at COMPLETED or FAILED counts once on its parent."""
    finished_before = session.scalar(
        select(HISTORY.c.history_id)
        .where(HISTORY.c.uow_id == child.uow_id, HISTORY.c.new_status.in_(FINISHED))
        .limit(1)
    )
    if finished_before is None:
        session.execute(
            update(UOW)
            .where(UOW.c.uow_id == child.parent_id)
            .values(
                finished_child_count=UOW.c.finished_child_count + 1,
                version=UOW.c.version + 1,
                updated_at=utcnow(),
            )
        )


def _connection(session: Executor) -> Connection:
    return session if isinstance(session, Connection) else session.connection()


def _dialect(session: Executor) -> str:
    return _connection(session).dialect.name


def insert_logs(session: Executor, rows: Sequence[dict[str, Any]]) -> None:
    """Log rows written in the order given; each row gets its `log_id` (one INSERT on
    SQLite, where the ids of a multi-row INSERT follow its rows)."""
    connection = _connection(session)
    if connection.dialect.name == "sqlite":
        for row, log_id in zip(rows, _INSERT_LOGS.run(connection, rows), strict=True):
            row["log_id"] = log_id
        return
    for row in rows:
        row["log_id"] = _INSERT_LOG.run(connection, row)[0].log_id


def check_member(session: Executor, uow: Any, actor_id: uuid.UUID | None) -> None:
    """An actor acts only on units of its own instance, whatever the verb (every change is
    recorded here, so this is the one place that holds the rule for all of them)."""
    if actor_id is None:
        return
    found = _ACTOR_INSTANCE.first(_connection(session), {"b_actor_id": actor_id})
    owner = None if found is None else found.instance_id
    if owner == uow.instance_id:
        return
    problem = (
        (ErrorCode.NOT_FOUND, f"actorId: no actor with id {actor_id}")
        if owner is None
        else (
            ErrorCode.FORBIDDEN,
            f"actorId: actor {actor_id} belongs to another instance than unit of work {uow.uow_id}",
        )
    )
    raise DomainError.single(*problem, ("input", "actorId"))


def record(
    session: Executor,
    uow: Any,
    *,
    previous: tuple[UowStatus | None, str | None, uuid.UUID | None],
    actor_id: uuid.UUID | None,
    reasoning: str | None,
    metadata: Any,
    logs_before: Sequence[dict[str, Any]] = (),
    member_checked: bool = False,
) -> TransitionResult:
    """The history row and the STATE_TRANSITION log row of a change (genesis included);
    `uow` is the row as it now stands. `logs_before` (log rows that led to the change, such
    as guardian decisions) go in the same INSERT, before the transition's row; each gets its
    `log_id`."""
    previous_status, previous_hash, previous_interaction = previous
    if not member_checked:
        check_member(session, uow, actor_id)
    metadata = audited_metadata(metadata)
    history = {
        "history_id": new_id(),
        "instance_id": uow.instance_id,
        "uow_id": uow.uow_id,
        "previous_status": previous_status,
        "new_status": uow.status,
        "previous_state_hash": previous_hash,
        "new_state_hash": uow.content_hash,
        "previous_interaction_id": previous_interaction,
        "new_interaction_id": uow.current_interaction_id,
        "actor_id": actor_id,
        "transition_timestamp": uow.updated_at,
        "reasoning": reasoning,
        "transition_metadata": metadata,
    }
    _INSERT_HISTORY.run(_connection(session), history)
    log = {
        "instance_id": uow.instance_id,
        "uow_id": uow.uow_id,
        "actor_id": actor_id,
        "role_id": uow.current_role_id,
        "interaction_id": uow.current_interaction_id,
        "timestamp": uow.updated_at,
        "log_type": LogType.STATE_TRANSITION,
        "event_details": {
            "history_id": str(history["history_id"]),
            "from": previous_status.value if previous_status else None,
            "to": uow.status.value,
            "from_interaction_id": str(previous_interaction) if previous_interaction else None,
            "to_interaction_id": str(uow.current_interaction_id),
            "version": uow.version,
        }
        | audited_details({}),
        "error_metadata": None,
    }
    if logs_before:
        insert_logs(session, [*logs_before, log])
    else:
        log["log_id"] = _INSERT_LOG.run(_connection(session), log)[0].log_id
    return TransitionResult(uow, SimpleNamespace(**history), SimpleNamespace(**log))
