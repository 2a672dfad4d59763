"""The per-caller rate limit on mutations: a token bucket per caller, in this process.

Reads are bounded by the cost limit and the operation timeout; writes are what a runaway
client multiplies, so only mutations take a token. Each caller has `burst` tokens, refilled
at `rate` per second; a mutation finding none is refused with a GraphQL error of code
RATE_LIMITED, which HTTP answers as 429 with a Retry-After header (`gql.http`). Nothing of
the refused mutation runs.

A caller is its token's subject, else its client address (`gql.auth.caller_key`; behind a
reverse proxy the address the proxy forwards, which uvicorn takes only from the proxies in
FORWARDED_ALLOW_IPS).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

RATE_LIMITED = "RATE_LIMITED"
MAX_CALLERS = 100_000  # buckets kept; the least recently used is forgotten past it


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets by caller key. `rate` 0 turns the limit off."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, key: str) -> float:
        """Takes a token for `key`: 0 when granted, else the seconds until one is there."""
        if not self.enabled:
            return 0.0
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
            if len(self._buckets) > MAX_CALLERS:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate


class RateLimitedError(GraphQLError):
    def __init__(self, retry_after_s: float) -> None:
        seconds = max(1, math.ceil(retry_after_s))
        super().__init__(
            f"too many mutations: retry in {seconds} s",
            extensions={"code": RATE_LIMITED, "retryAfter": seconds},
        )


class MutationRateLimit(SchemaExtension):
    """Takes a token for every mutation operation before it executes (whatever its number
    of root fields: one operation, one token). The caller's key is `context.caller_key`."""

    def __init__(self, *, limiter: RateLimiter) -> None:
        self.limiter = limiter

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if self.limiter.enabled and context.operation_type == OperationType.MUTATION:
            key = getattr(context.context, "caller_key", "unknown")
            wait = self.limiter.take(key)
            if wait > 0:
                raise RateLimitedError(wait)
        yield
