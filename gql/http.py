"""GraphQL over HTTP (GET and POST) following the GraphQL-over-HTTP specification.

Strawberry's own view answers plain text for malformed requests and always 200 for invalid
documents; the specification asks for more: content negotiation between
`application/graphql-response+json` and `application/json`, 400 for request errors under
the former, 405/406/415 where they apply. This module owns that contract; Strawberry's view
still serves the WebSocket transports.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import KW_ONLY, dataclass
from typing import Any

from graphql import GraphQLError
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from strawberry import Schema
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.types.graphql import OperationType

from gql import compiled, graphiql
from gql import params as gql_params
from gql.compiled.mutations import MutationPlan, run_mutation
from gql.cost import CostLimit
from gql.metrics import Metrics, StatementCount, current_statements
from gql.rate_limit import RATE_LIMITED, RateLimitedError, RateLimiter
from gql.timeouts import timeout_error
from resolvers.context import RequestContext

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
log = logging.getLogger("chameleon.compiled")
ContextFactory = Callable[[Request], Awaitable[RequestContext]]


class RequestError(Exception):
    """The request cannot be executed at all; answered with `status` and a GraphQL error body."""

    def __init__(
        self,
        status: int,
        message: str,
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}
        self.extensions = extensions


def negotiate(accept: str | None) -> str | None:
    """The media type to answer with, or None when the client accepts neither of ours."""
    if not accept:
        return JSON
    best: tuple[float, int, str] | None = None
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        media = media.lower()
        if quality <= 0:
            continue
        if media == GRAPHQL_RESPONSE:
            choice = GRAPHQL_RESPONSE
        elif media in (JSON, "application/*", "*/*"):
            choice = JSON
        else:
            continue
        # Higher quality wins; at equal quality the explicit graphql-response type wins.
        rank = (quality, 1 if choice == GRAPHQL_RESPONSE else 0, choice)
        if best is None or rank[:2] > best[:2]:
            best = rank
    return None if best is None else best[2]


def _is_request_error(result: ExecutionResult) -> bool:
    """True when the document never ran: parse, validation or variable coercion failed."""
    if isinstance(result, PreExecutionError):
        return True
    errors = result.errors or []
    return result.data is None and bool(errors) and all(error.path is None for error in errors)


@dataclass(eq=False)
class GraphQLHTTP:
    """The `/graphql` HTTP endpoint."""

    schema: Schema
    make_context: ContextFactory
    metrics: Metrics
    _: KW_ONLY
    graphiql: bool
    max_body_bytes: int = 1_000_000
    operation_timeout_s: float = 30.0
    planner: compiled.Planner | None = None
    cost_limit: CostLimit | None = None
    limiter: RateLimiter | None = None

    def __post_init__(self) -> None:
        self._compiled = self.metrics.operations.labels(path="compiled")
        self._resolved = self.metrics.operations.labels(path="resolved")

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        statements = StatementCount()
        token = current_statements.set(statements)
        try:
            response = await self._respond(request)
        finally:
            current_statements.reset(token)
        self.metrics.requests.labels(status=str(response.status_code)).inc()
        self.metrics.latency.observe(time.perf_counter() - started)
        self.metrics.statements_per_request.observe(statements.value)
        return response

    async def _respond(self, request: Request) -> Response:
        if request.method not in ("GET", "POST"):
            return self._error(JSON, RequestError(405, "use GET or POST", {"Allow": "GET, POST"}))
        accept = request.headers.get("accept")
        if request.method == "GET" and self._wants_ide(request, accept):
            status, page = graphiql.page()
            return HTMLResponse(page, status_code=status)
        media = negotiate(accept)
        if media is None:
            return self._error(
                JSON,
                RequestError(
                    406, f"cannot answer in {accept!r}; accept {GRAPHQL_RESPONSE} or {JSON}"
                ),
            )
        try:
            params = await self._params(request)
            return await self._execute(request, media, params)
        except RequestError as error:
            return self._error(media, error)

    def _wants_ide(self, request: Request, accept: str | None) -> bool:
        return (
            self.graphiql
            and "query" not in request.query_params
            and accept is not None
            and "text/html" in accept
        )

    async def _params(self, request: Request) -> dict[str, Any]:
        if request.method == "GET":
            params: dict[str, Any] = dict(request.query_params)
            for name in ("variables", "extensions"):
                if name in params:
                    try:
                        params[name] = gql_params.loads(params[name])
                    except gql_params.NestedTooDeepError as error:
                        raise RequestError(400, f"{name}: {error}") from None
                    except ValueError:
                        raise RequestError(400, f"{name}: not valid JSON") from None
        else:
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type != JSON:
                raise RequestError(
                    415, f"send the request as {JSON} (got {content_type or 'none'})"
                )
            declared = request.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
                raise RequestError(413, f"request body over {self.max_body_bytes} bytes")
            body = await request.body()
            if len(body) > self.max_body_bytes:
                raise RequestError(413, f"request body over {self.max_body_bytes} bytes")
            try:
                params = gql_params.loads(body)
            except gql_params.NestedTooDeepError as error:
                raise RequestError(400, f"the request body is {error}") from None
            except ValueError:
                raise RequestError(400, "the request body is not valid JSON") from None
            if isinstance(params, list):
                raise RequestError(400, "batched requests are not enabled; send one operation")
            if not isinstance(params, dict):
                raise RequestError(400, "the request body must be a JSON object")
        problem = gql_params.problem(params)
        if problem is not None:
            raise RequestError(400, problem)
        return params

    async def _execute(self, request: Request, media: str, params: dict[str, Any]) -> Response:
        allowed = {OperationType.QUERY}
        if request.method == "POST":
            allowed |= {OperationType.MUTATION}
        context = await self.make_context(request)
        try:
            async with asyncio.timeout(self.operation_timeout_s):
                answer = await self._compiled_answer(params, context, request.method == "POST")
                if answer is not None:
                    self._compiled.inc()
                    return Response(answer, media_type=media)
                self._resolved.inc()
                result = await self.schema.execute(
                    params["query"],
                    variable_values=params.get("variables"),
                    context_value=context,
                    operation_name=params.get("operationName"),
                    allowed_operation_types=allowed,
                )
        except TimeoutError:
            # The request's own awaits are cancelled; its loaders' statements run in tasks
            # of their own and are cancelled here (PostgreSQL's statement_timeout, set to the
            # same figure, is the database's own backstop).
            await context.interrupt()
            return self._timed_out(media)
        except InvalidOperationTypeError as error:
            if error.operation_type == OperationType.MUTATION:
                raise RequestError(405, "mutations need POST", {"Allow": "POST"}) from None
            raise RequestError(
                400,
                f"{error.operation_type.value} operations are not served "
                "over HTTP; use the WebSocket endpoint",
            ) from None
        except CannotGetOperationTypeError as error:
            raise RequestError(400, error.as_http_error_reason()) from None
        except MissingQueryError:
            raise RequestError(400, "query: a GraphQL document is required") from None
        finally:
            await context.end()
        request_error = _is_request_error(result)
        body: dict[str, Any] = {}
        if not request_error:
            body["data"] = result.data
        if result.errors:
            body["errors"] = [error.formatted for error in result.errors]
        if result.extensions:
            body["extensions"] = result.extensions
        status = 400 if request_error and media == GRAPHQL_RESPONSE else 200
        headers = {}
        first = (result.errors[0].extensions or {}) if result.errors else {}
        if request_error and first.get("code") == RATE_LIMITED:
            status = 429
            headers["Retry-After"] = str(first["retryAfter"])
        return JSONResponse(body, status_code=status, media_type=media, headers=headers)

    def _timed_out(self, media: str) -> Response:
        """A GraphQL error with code TIMEOUT: the operation ran out of time and was stopped."""
        error = timeout_error(self.operation_timeout_s)
        return JSONResponse({"data": None, "errors": [error.formatted]}, media_type=media)

    async def _compiled_answer(
        self, params: dict[str, Any], context: RequestContext, post: bool
    ) -> bytes | None:
        """The answer of the compiled path, or None when the resolvers answer instead."""
        query = params.get("query")
        if self.planner is None or not isinstance(query, str):
            return None
        plan = self.planner.plan(query, params.get("operationName"))
        if plan is None:
            return None
        if isinstance(plan, MutationPlan):
            if not post:
                return None  # the resolver path answers 405
            self._take_rate_token(context)
            return await run_mutation(self.schema._schema, plan, params.get("variables"), context)
        variables = params.get("variables") or {}
        if self.cost_limit is not None and self.cost_limit.exceeded(
            self.schema._schema, query, plan.operation, plan.fragments, variables
        ):
            return None  # the resolver path refuses it, with the cost in its message
        try:
            return await compiled.run(self.schema._schema, plan, params.get("variables"), context)
        except SQLAlchemyError as error:
            # The database refused the statement (it is broken, or the planner is): the
            # resolvers answer, and log it once as theirs if it fails for them too.
            log.debug("compiled read refused (%s); resolved instead", type(error).__name__)
            await context.forget_reads()
            return None

    def _take_rate_token(self, context: RequestContext) -> None:
        """The mutation rate limit, as `MutationRateLimit` applies it on the resolver path."""
        if self.limiter is None or not self.limiter.enabled:
            return
        wait = self.limiter.take(context.caller_key)
        if wait > 0:
            refused = RateLimitedError(wait)
            raise RequestError(
                429,
                refused.message,
                {"Retry-After": str((refused.extensions or {})["retryAfter"])},
                refused.extensions,
            )

    @staticmethod
    def _error(media: str, error: RequestError) -> Response:
        body = {"errors": [GraphQLError(str(error), extensions=error.extensions).formatted]}
        return JSONResponse(body, status_code=error.status, media_type=media, headers=error.headers)
