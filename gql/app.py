"""The Starlette application: GraphQL over HTTP and WebSockets, health, readiness, metrics."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from graphql import (
    ASTValidationRule,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    ValidationContext,
    Visitor,
    visit,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

from gql import browser, metrics_listener, shutdown
from gql.auth import Admission, Authenticator, AuthError, caller_key
from gql.compiled import Planner
from gql.cost import CostCache, CostLimit, QueryCostLimit
from gql.http import GraphQLHTTP, RequestError
from gql.masking import MaskUnexpectedErrors, quiet_strawberry_error_log
from gql.metrics import Metrics
from gql.operations import RequireOperationName
from gql.rate_limit import MutationRateLimit, RateLimiter
from gql.server_state import ServerState
from gql.settings import Settings
from gql.suggestions import HideSuggestions
from gql.websockets import GraphQLWebSockets
from migrations import fresh
from resolvers.context import RequestContext
from schema.assemble import build_schema
from storage import values
from storage.access import ANONYMOUS, NOBODY

log = logging.getLogger("chameleon")


def _with_known_fragments(rule: type[ASTValidationRule]) -> type[ASTValidationRule]:
    """Strawberry's depth rule measures the whole document when it is built and raises
    KeyError on a spread of a fragment the document does not define (an internal error on
    the resolver path, a crash of the compiled path's planner). Such a document is
    graphql-core's `KnownFragmentNamesRule`'s to report ("Unknown fragment"), so its depth
    is not measured."""

    class KnownFragmentsOnly(ASTValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            document = context.document
            defined = {
                d.name.value for d in document.definitions if isinstance(d, FragmentDefinitionNode)
            }
            spread: set[str] = set()

            class Spreads(Visitor):
                def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
                    spread.add(node.name.value)

            visit(document, Spreads())
            if spread <= defined:
                rule(context)  # the depth rule reports through the context when it is built

    return KnownFragmentsOnly


def validation_rules(settings: Settings) -> list[type[ASTValidationRule]]:
    """The server's limits as validation rules, shared by both read paths."""
    depth = QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules
    rules: list[type[ASTValidationRule]] = [
        *(_with_known_fragments(rule) for rule in depth),
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
    ]
    if not settings.introspection:
        rules.append(NoSchemaIntrospectionCustomRule)
    return rules


def schema_extensions(
    settings: Settings, costs: CostLimit, limiter: RateLimiter
) -> list[Callable[[], SchemaExtension]]:
    """Per-operation extensions only (per-field hooks cost too much on large results).

    The limits are validation rules built once, so that the validation cache (keyed by the
    document and the rules) hits for every repeat of a document: parsing and validating
    were over a quarter of the server's time in the transitions benchmark.
    """
    rules = validation_rules(settings)
    extensions: list[Callable[[], SchemaExtension]] = [
        MaskUnexpectedErrors,
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: ParserCache(maxsize=512),
        RequireOperationName,
        lambda: AddValidationRules(rules),
        lambda: ValidationCache(maxsize=512),
        lambda: QueryCostLimit(limit=costs),
    ]
    if limiter.enabled:
        extensions.append(lambda: MutationRateLimit(limiter=limiter))
    if not settings.field_suggestions:
        extensions.append(HideSuggestions)
    return extensions


def create_app(settings: Settings | None = None) -> Starlette:
    """Builds the app; engines are opened in the lifespan, not here."""
    settings = settings or Settings()
    quiet_strawberry_error_log()
    metrics = Metrics()
    # One cache of query costs for both read paths (the compiled path checks it too).
    costs = CostLimit(CostCache(maxsize=512), settings.max_query_cost)
    # One limiter for the app (its buckets outlive the operations), shared with the
    # compiled mutations.
    limiter = RateLimiter(settings.rate_limit_per_s or 0.0, settings.rate_limit_burst)
    schema = build_schema(schema_extensions(settings, costs, limiter))
    state = ServerState()

    authenticator = Authenticator(settings)

    async def make_context(request: Request | WebSocket) -> RequestContext:
        """The caller of an HTTP request comes from its header (no valid token: 401); a
        WebSocket's from its `connection_init`, until which it reaches nothing."""
        if isinstance(request, WebSocket):
            caller = NOBODY if authenticator.enabled else ANONYMOUS
        else:
            try:
                admission = await authenticator.admit_header(
                    request.headers.get("authorization"), state.tiers.instance
                )
            except AuthError as error:
                raise RequestError(401, str(error), {"WWW-Authenticate": "Bearer"}) from None
            caller = admission.caller
        request.state.caller = caller
        # The JSON byte limit holds for the request's task and what it starts (the
        # services check values there, before anything is written).
        values.max_json_bytes.set(settings.max_json_value_bytes)
        return RequestContext(
            tiers=state.tiers,
            events=state.bus,
            telemetry=state.telemetry,
            caller=caller,
            max_page_size=settings.max_page_size,
            caller_key=caller_key(request, caller),
            idempotency_retention_s=settings.idempotency_retention_s,
            revocations=state.revocations,
        )

    async def admit(context: RequestContext, payload: Any) -> Admission:
        """A WebSocket's `connection_init`: its caller, when its token expires, its id."""
        admission = await authenticator.admit_payload(payload, state.tiers.instance)
        context.caller = admission.caller
        return admission

    graphql = GraphQLHTTP(
        schema,
        make_context,
        metrics,
        graphiql=bool(settings.graphiql),
        max_body_bytes=settings.max_body_bytes,
        operation_timeout_s=settings.operation_timeout_s,
        planner=(
            Planner(
                schema._schema,
                validation_rules(settings),
                settings.max_tokens,
                reads=settings.compiled_reads,
                mutations=settings.compiled_mutations,
            )
            if settings.compiled_reads or settings.compiled_mutations
            else None
        ),
        cost_limit=costs,
        limiter=limiter,
    )

    websockets = GraphQLWebSockets(
        schema,
        make_context,
        admit,
        revocations=lambda: state.revocations,
        operation_timeout_s=settings.operation_timeout_s,
        max_tokens=settings.max_tokens,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await state.open(settings, metrics)
        authenticator.revocations = state.revocations
        app.state.tiers = state.tiers
        app.state.bus = state.bus
        app.state.telemetry = state.telemetry

        async def end_websockets() -> None:
            await state.end_subscriptions()
            await asyncio.sleep(0.05)  # let each subscription send its `complete` message
            await websockets.close_all()

        undo_signals = shutdown.install(end_websockets)
        try:
            async with contextlib.AsyncExitStack() as listeners:
                if settings.metrics_port is not None:
                    await listeners.enter_async_context(
                        metrics_listener.serving(
                            metrics_listener.metrics_app(prometheus),
                            settings.metrics_host,
                            settings.metrics_port,
                        )
                    )
                yield
        finally:
            undo_signals()
            await end_websockets()
            await state.close()

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def ready(request: Request) -> Response:
        """Both tiers reachable and migrated, and the event bus connected."""
        problems = {}
        for name in fresh.TIERS:
            tier = getattr(state.tiers, name)
            try:
                current = await fresh.revisions_on(tier.engine, name)
            except Exception as error:  # readiness reports any failure, whatever its kind
                problems[name] = f"unreachable: {type(error).__name__}"
                continue
            if current != fresh.head_revisions(name):
                problems[name] = "schema is not at the newest revision: run `chameleon migrate`"
        body: dict[str, object] = {"status": "unavailable"}
        if problems:
            body["tiers"] = problems
        health = state.bus.health
        if not health.connected:  # events would not reach other processes' subscribers
            body["bus"] = health.problem or "disconnected"
        if len(body) > 1:
            return JSONResponse(body, status_code=503)
        return JSONResponse({"status": "ready"})

    async def prometheus(request: Request) -> Response:
        return PlainTextResponse(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    routes = [
        Route("/graphql", graphql.handle, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        WebSocketRoute("/graphql", websockets),
        Route("/health", health),
        Route("/ready", ready),
    ]
    if settings.metrics_on_main_port:
        routes.append(Route("/metrics", prometheus))
    routes.extend(browser.routes(settings))
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST"],
                allow_headers=["*"],
            )
        ],
        lifespan=lifespan,
    )
    app.state.metrics = metrics
    app.state.planner = graphql.planner
    app.state.schema = schema
    app.state.settings = settings
    return app
