"""The two declarative bases, one per tier, each with its own MetaData (SPEC 3.1)."""

from __future__ import annotations

import enum
import uuid
from typing import Any

from sqlalchemy import Enum, Index, MetaData, text
from sqlalchemy.orm import DeclarativeBase, mapped_column, relationship
from sqlalchemy.orm.properties import MappedColumn

from storage.types import UUIDType

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class TemplateBase(DeclarativeBase):
    """Tier 1: workflow blueprints, read only during instantiation."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class InstanceBase(DeclarativeBase):
    """Tier 2: self-contained running instances; never refers to tier 1 tables."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def uuid_pk(comment: str) -> MappedColumn[Any]:
    return mapped_column(UUIDType(), primary_key=True, default=uuid.uuid4, comment=comment)


def enum_column(
    enum_cls: type[enum.Enum], name: str, comment: str, *, nullable: bool = False, **kw: Any
) -> MappedColumn[Any]:
    """A VARCHAR holding the enum's value, guarded by a named CHECK constraint."""
    return mapped_column(
        Enum(
            enum_cls,
            name=name,
            native_enum=False,
            create_constraint=True,
            length=32,
            validate_strings=True,
            values_callable=lambda cls: [member.value for member in cls],
        ),
        nullable=nullable,
        comment=comment,
        **kw,
    )


def partial_unique_index(name: str, *columns: str, where: str) -> Index:
    """A unique index over the rows matching `where` only, the same on SQLite and PostgreSQL."""
    return Index(
        name,
        *columns,
        unique=True,
        sqlite_where=text(where),
        postgresql_where=text(where),
    )


def owned_rows(back_populates: str, **kw: Any) -> Any:
    """A one-to-many relationship to rows that live and die with their owner: their foreign
    key says ON DELETE CASCADE, so the ORM leaves the delete to the database (no loading
    them first) and deletes a row taken out of the collection."""
    return relationship(
        back_populates=back_populates, cascade="all, delete-orphan", passive_deletes=True, **kw
    )
