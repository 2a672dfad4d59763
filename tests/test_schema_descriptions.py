"""Every part of the API describes itself: types, fields, arguments, input fields, enum values.

GraphiQL and agents exploring the schema read these descriptions; an undescribed element is
a question every client has to answer by reading our code.
"""

from __future__ import annotations

import enum

import pytest
import strawberry
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
)
from graphql import build_schema as schema_from_sdl

from schema.assemble import build_schema
from schema.describe import described_by
from schema.enums import register
from storage.models import UnitOfWorkRow

BUILT_IN_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}


def _ours(schema: GraphQLSchema) -> list[GraphQLNamedType]:
    return [
        named
        for name, named in sorted(schema.type_map.items())
        if not name.startswith("__") and name not in BUILT_IN_SCALARS
    ]


def undescribed(schema: GraphQLSchema) -> tuple[list[str], int]:
    """The schema coordinates (`Type.field(arg:)`) without a description, and how many exist."""
    missing: list[str] = []
    total = 0

    def check(coordinate: str, description: str | None) -> None:
        nonlocal total
        total += 1
        if not (description and description.strip()):
            missing.append(coordinate)

    for named in _ours(schema):
        check(named.name, named.description)
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in named.fields.items():
                check(f"{named.name}.{field_name}", field.description)
                for arg_name, arg in field.args.items():
                    check(f"{named.name}.{field_name}({arg_name}:)", arg.description)
        elif isinstance(named, GraphQLInputObjectType):
            for field_name, input_field in named.fields.items():
                check(f"{named.name}.{field_name}", input_field.description)
        elif isinstance(named, GraphQLEnumType):
            for value_name, value in named.values.items():
                check(f"{named.name}.{value_name}", value.description)
    return missing, total


def test_every_element_of_the_schema_is_described() -> None:
    # Read back from the SDL a client sees (and `gql/schema.graphql` holds).
    missing, total = undescribed(schema_from_sdl(str(build_schema())))
    assert total > 500, "the walk found too little: is it looking at the whole schema?"
    assert not missing, f"{len(missing)} of {total} lack a description:\n" + "\n".join(missing)


def test_column_backed_fields_say_what_the_column_comment_says() -> None:
    uow = schema_from_sdl(str(build_schema())).type_map["UnitOfWork"]
    assert isinstance(uow, GraphQLObjectType)
    columns = UnitOfWorkRow.__table__.c
    assert uow.fields["status"].description == columns.status.comment
    assert uow.fields["id"].description == columns.uow_id.comment  # id_field("uow_id")
    assert uow.fields["parent"].description == columns.parent_id.comment  # a relationship


def test_a_column_backed_field_cannot_describe_itself() -> None:
    with pytest.raises(TypeError, match=r"UnitsOfWork\.status; change the column's comment"):

        @described_by(UnitOfWorkRow)
        @strawberry.type
        class Drifting:
            status: str = strawberry.field(description="Words of its own.")


def test_an_enum_is_registered_with_every_member_described() -> None:
    class Colour(enum.Enum):
        RED = "RED"
        BLUE = "BLUE"

    with pytest.raises(ValueError, match=r"missing \['BLUE'\], unknown \['GREEN'\]"):
        register(Colour, "A colour.", {"RED": "Red.", "GREEN": "Green."})
