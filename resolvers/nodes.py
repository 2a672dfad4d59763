"""Relay global object identification: any object by its id, in a bounded number of reads.

Ids are the rows' own keys (UUIDs, unique across every table of both tiers; a log entry's
sequence number), so an id a client already holds is a node id. Looking ids up costs at
most one UNION ALL per tier (which table holds each UUID), one statement for log entries,
then one batched read per table that answered."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, literal, select, union_all
from sqlalchemy.orm import DeclarativeBase
from strawberry.dataloader import DataLoader

from resolvers.context import RequestContext
from resolvers.errors import ClientError
from resolvers.loaders import by_id, primary_key, table_of
from storage.models import (
    ActorRow,
    AssignmentRow,
    InstanceRow,
    InteractionLogRow,
    RoleMemoryRow,
    UnitOfWorkRow,
    UowAttributeRow,
    UowHistoryRow,
)
from storage.models.graphs import LOCAL_GRAPH, TEMPLATE_GRAPH, GraphModels

ModelsByType = dict[str, type[DeclarativeBase]]


def _graph_types(prefix: str, graph: GraphModels) -> ModelsByType:
    """A tier's workflow-graph types, named as `schema` names them: `<prefix>Workflow`,
    `<prefix>Role`, `<prefix>Interaction`, `<prefix>Component`, `<prefix>Guardian`."""
    return {
        f"{prefix}Workflow": graph.workflows,
        f"{prefix}Role": graph.roles,
        f"{prefix}Interaction": graph.interactions,
        f"{prefix}Component": graph.components,
        f"{prefix}Guardian": graph.guardians,
    }


# The GraphQL type each table's rows are shown as, per tier; the instance tier is asked
# first (most ids a client holds are of units of work and their records).
NODE_TYPES: dict[str, ModelsByType] = {
    "instance": {
        "UnitOfWork": UnitOfWorkRow,
        "UowHistoryEntry": UowHistoryRow,
        "UowAttribute": UowAttributeRow,
        "Instance": InstanceRow,
        **_graph_types("Local", LOCAL_GRAPH),
        "Actor": ActorRow,
        "RoleAssignment": AssignmentRow,
        "RoleMemory": RoleMemoryRow,
    },
    "template": _graph_types("Template", TEMPLATE_GRAPH),
}
LOG_TYPE = "InteractionLog"
_MAX_LOG_ID = 2**63 - 1


class NodeRow:
    """A row and the GraphQL type it is shown as (`Node.resolve_type` reads it); the
    object types read the row's columns through it."""

    __slots__ = ("row", "type_name")

    def __init__(self, row: Any, type_name: str) -> None:
        self.row = row
        self.type_name = type_name

    def __getattr__(self, name: str) -> Any:
        return getattr(self.row, name)


NodeKey = uuid.UUID | int


def node_key(id: str) -> NodeKey:
    """A UUID, or a log entry's sequence number; anything else is the client's error."""
    text = str(id).strip()
    if text.isdigit() and text.isascii():
        return int(text)
    try:
        return uuid.UUID(text)
    except ValueError:
        raise ClientError(
            f"id: {id!r} is not an id of this API (a UUID, or a log entry's number)"
        ) from None


def nodes(ctx: RequestContext) -> DataLoader[NodeKey, NodeRow | None]:
    async def load(keys: list[NodeKey]) -> list[NodeRow | None]:
        found: dict[NodeKey, NodeRow] = {}
        uuids = [key for key in keys if isinstance(key, uuid.UUID)]
        logs = [key for key in keys if isinstance(key, int) and 0 < key <= _MAX_LOG_ID]
        if logs:
            await _load_logs(ctx, logs, found)
        for tier, types in NODE_TYPES.items():
            missing = [key for key in uuids if key not in found]
            if not missing:
                break
            await _find_in_tier(ctx, tier, types, missing, found)
        return [found.get(key) for key in keys]

    return ctx.loader(("nodes",), load)


async def _load_logs(ctx: RequestContext, ids: list[int], found: dict[NodeKey, NodeRow]) -> None:
    rows = await by_id(ctx, InteractionLogRow).load_many(ids)  # type: ignore[arg-type]
    for key, row in zip(ids, rows, strict=True):
        if row is not None:
            found[key] = NodeRow(row, LOG_TYPE)


async def _find_in_tier(
    ctx: RequestContext,
    tier: str,
    types: ModelsByType,
    ids: Sequence[uuid.UUID],
    found: dict[NodeKey, NodeRow],
) -> None:
    """Which table of `tier` holds each id (one statement), then the rows (one per table)."""
    branches = []
    for name, model in types.items():
        pk = primary_key(table_of(model))
        branches.append(
            select(literal(name, String).label("kind"), pk.label("key")).where(pk.in_(ids))
        )
    kinds: dict[str, list[uuid.UUID]] = defaultdict(list)
    for row in await ctx.reader(tier).execute(union_all(*branches)):
        kinds[row.kind].append(row.key)
    loaded = await asyncio.gather(
        *(by_id(ctx, types[name]).load_many(keys) for name, keys in kinds.items())
    )
    for (name, keys), rows in zip(kinds.items(), loaded, strict=True):
        for key, row in zip(keys, rows, strict=True):
            if row is not None and key not in found:
                found[key] = NodeRow(row, name)
