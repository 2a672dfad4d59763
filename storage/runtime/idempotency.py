"""Idempotency keys: a retry of a writing mutation gets the first answer and writes nothing.

A client whose connection died mid-mutation cannot know whether the change was committed.
Sent again with the same key (within the retention window), the mutation is not run: the
answer stored with the key is returned instead. The key row is written by the change's
own transaction, so a key is on record exactly when its change is.

How it runs, without the services knowing: the API hands a service a `KeyedTier` in
place of the instance tier. Its one write transaction first claims the key (an INSERT:
on PostgreSQL a concurrent request with the same key waits on it, then finds it taken),
runs the service's body, and stores the body's answer in the claimed row; a body that
refuses (raises) rolls the claim back with everything else, so a corrected retry with the
same key runs afresh. Expired keys are ignored and swept by later keyed writes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.engines import Tier
from storage.errors import DomainError, ErrorCode
from storage.models import IdempotencyKeyRow
from storage.models.idempotency import KEY_LENGTH
from storage.runtime import tagged_json
from storage.types import utcnow

T = TypeVar("T")
KEYS = cast(Table, IdempotencyKeyRow.__table__)
PATH = ("input", "idempotencyKey")
SWEEP_BATCH = 100  # expired keys deleted per keyed write, at most


class KeyTaken(Exception):  # noqa: N818 - a signal, not an error: the key is on record now
    """A concurrent request committed the same key first; its answer is to be replayed."""


def _always(_result: Any) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class KeySpec:
    """One keyed call: the key, what it answers for, and how long it replays.

    `written`: for services writing through an ORM session, the model of the one row they
    write (its columns are the answer). `keep`: whether an answer is worth a key (a batch
    whose every item was refused wrote nothing and keeps none)."""

    key: str
    mutation: str
    input_hash: str
    retention_s: float
    written: type[Any] | None = None
    keep: Callable[[Any], bool] = _always

    @classmethod
    def of(cls, key: str, mutation: str, data: Any, retention_s: float, **options: Any) -> KeySpec:
        if not key.strip() or len(key) > KEY_LENGTH:
            raise DomainError.single(
                ErrorCode.VALIDATION_FAILED,
                f"idempotencyKey: between 1 and {KEY_LENGTH} characters, not blank",
                PATH,
            )
        return cls(key, mutation, input_hash(data), retention_s, **options)

    def cutoff(self) -> datetime:
        return utcnow() - timedelta(seconds=self.retention_s)


def input_hash(data: Any) -> str:
    """SHA-256 of the input as canonical JSON (sorted keys); enums and ids as their text."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=_plain)
    return hashlib.sha256(text.encode()).hexdigest()


def _plain(value: Any) -> Any:
    return getattr(value, "value", None) or str(value)


class Missing:
    """No live key: the mutation is to be run."""


MISSING = Missing()


async def replay(tier: Tier, spec: KeySpec) -> Any:
    """The answer stored for the key, or MISSING; CONFLICT when the key was sent with
    another mutation or another input (a client bug, never to be answered with a replay)."""
    query = select(KEYS).where(
        KEYS.c.idempotency_key == spec.key, KEYS.c.created_at >= spec.cutoff()
    )
    async with tier.engine.connect() as connection:
        row = (await connection.execute(query)).first()
    if row is None or row.payload is None:
        return MISSING
    if row.mutation != spec.mutation:
        raise DomainError.single(
            ErrorCode.CONFLICT,
            f"idempotencyKey: this key was used with {row.mutation}; choose a new key",
            PATH,
        )
    if row.input_hash != spec.input_hash:
        raise DomainError.single(
            ErrorCode.CONFLICT,
            f"idempotencyKey: this key was used with a different {spec.mutation} input; "
            "choose a new key",
            PATH,
        )
    return tagged_json.loads(row.payload)


def claim(connection: Connection, spec: KeySpec) -> None:
    """Sweep expired keys (this one among them), then take the key for this transaction."""
    expired = (
        select(KEYS.c.idempotency_key)
        .where(KEYS.c.created_at < spec.cutoff())
        .order_by(KEYS.c.created_at)
        .limit(SWEEP_BATCH)
        .with_for_update(skip_locked=True)  # PostgreSQL: never wait for another sweeper
    )
    connection.execute(delete(KEYS).where(KEYS.c.idempotency_key.in_(expired)))
    connection.execute(
        delete(KEYS).where(KEYS.c.idempotency_key == spec.key, KEYS.c.created_at < spec.cutoff())
    )
    row = {"idempotency_key": spec.key, "mutation": spec.mutation, "input_hash": spec.input_hash}
    try:  # the failed INSERT spoils the transaction, which KeyTaken rolls back whole
        connection.execute(insert(KEYS), {**row, "payload": None, "created_at": utcnow()})
    except IntegrityError:
        raise KeyTaken(spec.key) from None


def settle(connection: Connection, spec: KeySpec, answer: Any) -> None:
    """Store the answer with the claimed key, or give the key up when it keeps none."""
    where = KEYS.c.idempotency_key == spec.key
    if not spec.keep(answer):
        connection.execute(delete(KEYS).where(where))
        return
    stored = {"payload": tagged_json.dumps(answer), "created_at": utcnow()}
    connection.execute(update(KEYS).where(where).values(stored))


@dataclass(slots=True)
class KeyedTier(Tier):
    """The instance tier as one keyed call sees it: its one write transaction claims the
    key first and stores the answer last. A second write would need a second answer, so
    it is refused (no service writes twice today).

    Services writing through `write` answer with the body's result; those writing through
    an ORM session (`writing`) return their row only after the commit, so the answer is
    taken from the session before it commits (see `KeySpec.written`)."""

    base: Tier | None = None
    spec: KeySpec | None = None
    _used: bool = False

    @classmethod
    def around(cls, base: Tier, spec: KeySpec) -> KeyedTier:
        shared = {f.name: getattr(base, f.name) for f in fields(Tier)}
        return cls(**shared, base=base, spec=spec)

    def _parts(self) -> tuple[Tier, KeySpec]:
        if self.base is None or self.spec is None or self._used:
            raise RuntimeError("a keyed tier serves one write transaction")
        self._used = True
        return self.base, self.spec

    async def write(self, body: Callable[[Connection], T]) -> T:
        base, spec = self._parts()

        def keyed(connection: Connection) -> T:
            claim(connection, spec)
            answer = body(connection)
            settle(connection, spec, answer)
            return answer

        return await base.write(keyed)

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncSession]:
        base, spec = self._parts()
        model = spec.written
        if model is None:
            raise RuntimeError(f"{spec.mutation}: name the model its ORM session writes")
        async with base.writing() as session:
            await session.run_sync(lambda sync: claim(sync.connection(), spec))
            yield session
            await session.flush()
            # The service's answer is the one row of the model its session holds (written,
            # changed or, for Core inserts, read back); more or none would be a bug.
            rows = [row for row in session.identity_map.values() if isinstance(row, model)]
            if len(rows) != 1:
                raise RuntimeError(f"{spec.mutation}: {len(rows)} {model.__name__} in session")
            await session.run_sync(lambda sync: settle(sync.connection(), spec, rows[0]))
