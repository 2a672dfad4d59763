"""Builds the `strawberry.Schema` from the root types and the server's extensions."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import strawberry
from strawberry.extensions import SchemaExtension

from schema.execution import RowAwareExecutionContext
from schema.mutation import Mutation
from schema.query import Query
from schema.sharing import SharingSchema
from schema.subscription import Subscription

ExtensionFactory = Callable[[], SchemaExtension]


def build_schema(extensions: Sequence[ExtensionFactory] = ()) -> strawberry.Schema:
    return SharingSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=list(extensions),
        execution_context_class=RowAwareExecutionContext,
    )
