"""`revokeToken`: a bearer token's id on the deny list (SPEC 8, `storage.revocations`)."""

from __future__ import annotations

from typing import Any

from resolvers.access import authorize
from resolvers.context import RequestContext
from resolvers.mutations import Outcome, run
from storage.revocations import revoke


async def revoke_token(ctx: RequestContext, data: Any) -> Outcome[bool]:
    """Admin only. The token is refused by every server process from now on: this one at
    once (its open connections closed with 4403), the others when they hear of it."""

    async def action() -> bool:
        await authorize(ctx, "revokeToken", None)
        jti = str(data.jti)
        await revoke(ctx.tiers.instance, jti, by=ctx.caller.subject)
        if ctx.revocations is not None:
            ctx.revocations.revoked(jti)
        return True

    return await run(ctx, action)
