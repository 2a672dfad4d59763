"""Idempotency keys as the API runs them: replay a key's first answer, or run the service
with a tier whose write transaction records the key beside the change."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from resolvers.access import authorize
from resolvers.context import RequestContext
from storage.access import acting_as
from storage.engines import Tier
from storage.errors import DomainError, Problem
from storage.runtime import idempotency
from storage.runtime.idempotency import MISSING, KeyedTier, KeySpec, KeyTaken

T = TypeVar("T")
# A concurrent request with the same key may win the claim; its answer is then replayed.
ATTEMPTS = 2


@dataclass(frozen=True, slots=True)
class Once(Generic[T]):
    """A mutation's service answer; `fresh` when this request wrote it (so its events are
    published now), not when it was replayed from a key or refused."""

    result: T | None
    problems: list[Problem]
    fresh: bool


def _input_of(data: Any) -> dict[str, Any]:
    """The input as plain data, without the key: what a retry must send again."""
    fields = dataclasses.asdict(data)
    fields.pop("idempotency_key", None)
    return fields


async def run_once(
    ctx: RequestContext,
    data: Any,
    mutation: str,
    action: Callable[[Tier], Awaitable[T]],
    *,
    written: type[Any] | None = None,
    keep: Callable[[Any], bool] | None = None,
) -> Once[T]:
    """Runs `action` on the instance tier, once per idempotency key (when `data` has one).

    Expected failures come back as problems. A refused call stores no key: the client may
    correct its input and retry with the same key. After a write the request's reads are
    dropped, so the payload reads the committed state."""
    key: str | None = getattr(data, "idempotency_key", None)
    try:
        with acting_as(ctx.caller.subject):
            return await _run_once(ctx, data, mutation, action, key, written, keep)
    except DomainError as error:
        return Once(None, list(error.problems), fresh=False)


async def _run_once(
    ctx: RequestContext,
    data: Any,
    mutation: str,
    action: Callable[[Tier], Awaitable[T]],
    key: str | None,
    written: type[Any] | None,
    keep: Callable[[Any], bool] | None,
) -> Once[T]:
    """`run_once` for a caller allowed to run `mutation` on `data` (checked first)."""
    tier = ctx.tiers.instance
    await authorize(ctx, mutation, data)
    if key is None:
        result = await action(tier)
        await ctx.forget_reads()
        return Once(result, [], fresh=True)
    options: dict[str, Any] = {"written": written}
    if keep is not None:
        options["keep"] = keep
    spec = KeySpec.of(key, mutation, _input_of(data), ctx.idempotency_retention_s, **options)
    for _ in range(ATTEMPTS):
        replayed = await idempotency.replay(tier, spec)
        if replayed is not MISSING:
            await ctx.forget_reads()
            return Once(replayed, [], fresh=False)
        try:
            result = await action(KeyedTier.around(tier, spec))
        except KeyTaken:
            continue
        await ctx.forget_reads()
        return Once(result, [], fresh=True)
    raise RuntimeError(f"idempotencyKey {key!r}: taken, yet not found")
