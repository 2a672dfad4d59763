"""Builds the `strawberry.Schema` from the root types and the server's extensions."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import strawberry
from strawberry.extensions import SchemaExtension

from schema.query import Query

ExtensionFactory = Callable[[], SchemaExtension]


def build_schema(extensions: Sequence[ExtensionFactory] = ()) -> strawberry.Schema:
    return strawberry.Schema(query=Query, extensions=list(extensions))
