"""The Relay `Node` interface: every object a client may fetch again by its id alone."""

from __future__ import annotations

from typing import Any

import strawberry

from resolvers.nodes import NodeRow


@strawberry.interface(
    description="An object with an id unique across the API: `node(id)` fetches it again."
)
class Node:
    id: strawberry.ID = strawberry.field(
        description="The object's id: a UUID (a log entry's sequence number for an "
        "InteractionLog), unique across every type."
    )

    @staticmethod
    def is_type_of(obj: Any, info: Any) -> bool:
        """Inherited by every implementing type: the values behind the object types are
        rows (`schema.base`), never instances of the classes, so a field declared as a type
        is trusted as it was before the interface (Strawberry would otherwise check
        `isinstance` for types implementing an interface)."""
        return True

    @staticmethod
    def resolve_type(obj: Any, info: Any, abstract_type: Any) -> str:
        """Rows carry no type; `node` wraps each in a `NodeRow` naming it."""
        if not isinstance(obj, NodeRow):
            raise TypeError(f"a Node must be returned as a NodeRow, got {type(obj).__name__}")
        return obj.type_name
