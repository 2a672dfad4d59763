"""Arguments that narrow unit-of-work lists beyond a single status (the root `uows` and
`Instance.uows` share them)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from schema.enums import UowStatus


@strawberry.input(description="An attribute whose current value must equal `value`.")
class AttributeEquals:
    key: str = strawberry.field(description="The attribute's key.")
    value: JSON | None = strawberry.field(
        description="The JSON value its newest version must equal: compared as JSON (object "
        "keys in any order; 100.0 equals 100). null matches a null value."
    )


OfStatuses = Annotated[
    list[UowStatus] | None,
    strawberry.argument(
        description="Only units of work in one of these statuses (an empty list: none)."
    ),
]
CreatedAfter = Annotated[
    datetime | None,
    strawberry.argument(description="Only units of work created at or after this time."),
]
CreatedBefore = Annotated[
    datetime | None,
    strawberry.argument(description="Only units of work created before this time."),
]
WithAttributes = Annotated[
    list[AttributeEquals] | None,
    strawberry.argument(
        description="Only units of work whose current attributes have each of these values."
    ),
]


def attribute_pairs(given: list[AttributeEquals] | None) -> list[tuple[str, Any]] | None:
    return None if given is None else [(item.key, item.value) for item in given]
