"""A selection set and its variables as SQL that builds the JSON (one value per root field).

Each object is a `json_object` of its selected fields, in selection order, under their
response keys; a relationship is a correlated subquery; a connection is a LIMIT subquery
with its count, pageInfo and cursors (`storage.reads.pages`). Whatever the resolver path
would answer with an error (a bad id, page size or cursor, a missing row) is not rendered:
`FallbackError` is raised, or a guard column is added, and the request runs through the
resolvers instead, so both paths answer errors alike.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, cast

from graphql import (
    FragmentDefinitionNode,
    GraphQLEnumType,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
)
from graphql.execution.values import VariableValues
from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    Table,
    Text,
    column,
    literal,
    or_,
    select,
    table,
)

from gql.compiled.arguments import list_filters, page_window
from gql.compiled.catalog import CONSTANTS, RELATIONS, TABLES, Paged, Special, ToMany, ToOne
from gql.compiled.selection import Args, FieldNodes, Params, Selection, parse_id, scalar_column
from storage import enums
from storage.reads import pages
from storage.reads.json_sql import JsonSql
from storage.reads.scope import visible

Element = ColumnElement[Any]
SCHEMA_GUIDE = table(
    "v_ai_schema_guide",
    column("table_name"),
    column("column_name"),
    column("data_type"),
    column("is_primary_key"),
    column("foreign_key_target"),
    column("description"),
)


class Renderer(Selection):
    """Renders one execution: the variables are coerced, the caller's scope is known."""

    def __init__(
        self,
        schema: GraphQLSchema,
        dialect: str,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: VariableValues,
        params: Params,
        max_page_size: int,
        instance_ids: frozenset[uuid.UUID] | None,
    ) -> None:
        super().__init__(schema, fragments, variables, params)
        self.sql = JsonSql(dialect)
        self.max_page_size = max_page_size
        self.instance_ids = instance_ids
        self.guards: list[Element] = []

    # -- objects ------------------------------------------------------------------------

    def obj(self, type_name: str, row: FromClause, nodes: FieldNodes) -> Element:
        """The JSON object of one row of `type_name`'s table (`row`) for `nodes`' selection."""
        pairs = []
        for key, fields in self.collect(type_name, [n.selection_set for n in nodes]).items():
            pairs.append((key, self.value(type_name, row, fields)))
        return self.sql.obj(pairs)

    def value(self, type_name: str, row: FromClause, nodes: FieldNodes) -> Element:
        name = nodes[0].name.value
        if name == "__typename":
            return literal(type_name, Text)
        relation = RELATIONS.get((type_name, name))
        if isinstance(relation, ToOne):
            return self.to_one(relation, row, nodes)
        if isinstance(relation, ToMany):
            return self.to_many(relation, row, nodes)
        if isinstance(relation, Special):
            return self.special(relation, row, nodes)
        if isinstance(relation, Paged):
            arguments = self.arguments(type_name, nodes)
            source = self.paged_source(relation, row, arguments)
            return self.connection(type_name, name, relation, source, arguments, nodes)
        constant = CONSTANTS.get((type_name, name))
        if constant is not None:
            return self.sql.constant_json(constant)
        graphql_type = self.schema.type_map[type_name]
        assert isinstance(graphql_type, GraphQLObjectType)
        graphql_field = graphql_type.fields[name]
        column_name = scalar_column(type_name, graphql_field)
        if column_name is None:
            raise LookupError(f"{type_name}.{name} has no column")  # the planner checked
        return self.scalar(get_named_type(graphql_field.type), row.c[column_name])

    def scalar(self, graphql_type: Any, value: Element) -> Element:
        name = graphql_type.name
        if name == "ID":
            python_type = getattr(value.type, "python_type", None)
            return self.sql.integer_text(value) if python_type is int else self.sql.text(value)
        if name == "Boolean":
            return self.sql.boolean(value)
        if name == "DateTime":
            return self.sql.datetime(value)
        if name == "JSON":
            return self.sql.json_value(value)
        if name == "Int":
            return self.sql.integer(value)
        if name == "String" or isinstance(graphql_type, GraphQLEnumType):
            return self.sql.text(value)
        raise LookupError(f"no SQL form for scalar {name}")

    def scoped(self, type_name: str) -> tuple[Table, FromClause, list[Element]]:
        """A fresh alias of the type's table and the caller's scope on it (SPEC 8)."""
        target = TABLES[type_name]
        alias = target.alias()
        return target, alias, visible(target, alias, self.instance_ids)

    def single(self, type_name: str, source: Select[Any], nodes: FieldNodes) -> Element:
        rows = source.subquery()
        return select(self.obj(type_name, rows, nodes)).select_from(rows).scalar_subquery()

    def to_one(self, relation: ToOne, row: FromClause, nodes: FieldNodes) -> Element:
        target, alias, scope = self.scoped(relation.target)
        (pk,) = target.primary_key.columns
        condition = alias.c[pk.name] == row.c[relation.fk]
        obj = self.obj(relation.target, alias, nodes)
        return select(obj).select_from(alias).where(condition, *scope).scalar_subquery()

    def listing(
        self, type_name: str, source: Select[Any], order: Sequence[str], nodes: FieldNodes
    ) -> Element:
        rows = source.subquery()
        ordering = [rows.c[name] for name in order]
        obj = self.obj(type_name, rows, nodes)
        return select(self.sql.array(obj, ordering)).select_from(rows).scalar_subquery()

    def to_many(self, relation: ToMany, row: FromClause, nodes: FieldNodes) -> Element:
        target, alias, scope = self.scoped(relation.target)
        (pk,) = target.primary_key.columns
        order = [*relation.order, pk.name]
        conditions = [alias.c[relation.column] == row.c[relation.parent_column], *scope]
        for name, stored in relation.where:
            value: Any = stored == "true" if stored in ("true", "false") else stored
            conditions.append(alias.c[name] == value)
        source = (
            select(alias)
            .where(*conditions)
            .order_by(*(alias.c[name] for name in order))
            .correlate(row)
        )
        if relation.first_only:
            return self.single(relation.target, source.limit(1), nodes)
        return self.listing(relation.target, source, order, nodes)

    def special(self, relation: Special, row: FromClause, nodes: FieldNodes) -> Element:
        target, alias, scope = self.scoped(relation.target)
        if relation.kind == "current_attributes":
            newer = target.alias()
            superseded = (
                select(newer.c.attribute_id)
                .where(
                    newer.c.uow_id == alias.c.uow_id,
                    newer.c.key == alias.c.key,
                    newer.c.version > alias.c.version,
                )
                .exists()
            )
            source = (
                select(alias)
                .where(alias.c.uow_id == row.c.uow_id, ~superseded, *scope)
                .order_by(alias.c.key, alias.c.attribute_id)
                .correlate(row)
            )
            return self.listing(relation.target, source, ("key", "attribute_id"), nodes)
        if relation.kind == "actor_roles":
            _, links, link_scope = self.scoped("RoleAssignment")
            source = (
                select(
                    alias,
                    links.c.status.label("_link_status"),
                    links.c.assignment_id.label("_link_id"),
                )
                .join(links, links.c.role_id == alias.c.role_id)
                .where(
                    links.c.actor_id == row.c.actor_id,
                    links.c.status == enums.AssignmentStatus.ACTIVE,
                    *scope,
                    *link_scope,
                )
                .order_by(links.c.status, links.c.assignment_id)
                .correlate(row)
            )
            return self.listing(relation.target, source, ("_link_status", "_link_id"), nodes)
        raise LookupError(relation.kind)

    # -- connections --------------------------------------------------------------------

    def paged_source(
        self, relation: Paged, row: FromClause | None, arguments: Args
    ) -> pages.ListRows:
        """The rows of the list for one parent (`row`), filtered by the field's arguments."""
        _, alias, scope = self.scoped(relation.target)
        conditions: list[Element] = [*scope]
        if relation.kind == "role_uows":
            assert row is not None
            _, components, component_scope = self.scoped("LocalComponent")
            inbound = (
                select(components.c.interaction_id)
                .where(
                    components.c.role_id == row.c.role_id,
                    components.c.direction == enums.ComponentDirection.INBOUND,
                    *component_scope,
                )
                .correlate(row)
            )
            conditions.append(
                or_(
                    alias.c.current_interaction_id.in_(inbound),
                    alias.c.current_role_id == row.c.role_id,
                )
            )
        elif relation.root_argument is not None:
            key = self.params.bind(arguments, relation.root_argument, parse_id)
            conditions.append(alias.c[cast(str, relation.column)] == key)
        elif relation.column is not None:
            assert row is not None
            assert relation.parent_column is not None
            conditions.append(alias.c[relation.column] == row.c[relation.parent_column])
        conditions.extend(list_filters(relation, alias, arguments, self.params))
        return pages.ListRows(alias, tuple(conditions), relation.order, row)

    def connection(
        self,
        parent: str,
        field_name: str,
        relation: Paged,
        rows: pages.ListRows,
        arguments: Args,
        nodes: FieldNodes,
    ) -> Element:
        first, empty, cursor = page_window(relation, arguments, self.max_page_size, self.params)
        if cursor is not None:
            self.guards.append(cursor.guard())
        (pk,) = TABLES[relation.target].primary_key.columns
        parent_type = self.schema.type_map[parent]
        assert isinstance(parent_type, GraphQLObjectType)
        connection_type = get_named_type(parent_type.fields[field_name].type)
        assert isinstance(connection_type, GraphQLObjectType)
        edge_type = get_named_type(connection_type.fields["edges"].type)
        pairs: list[tuple[str, Element]] = []
        selected = self.collect(connection_type.name, [n.selection_set for n in nodes])
        for key, fields in selected.items():
            name = fields[0].name.value
            if name == "__typename":
                pairs.append((key, literal(connection_type.name, Text)))
            elif name == "totalCount":
                pairs.append((key, pages.total(rows)))
            elif name == "edges":
                page = pages.page(rows, first, cursor)
                edge = self.edge(edge_type.name, relation.target, page, pk.name, fields)
                array = self.sql.array(edge, rows.sorted(page.c))
                pairs.append((key, select(array).select_from(page).scalar_subquery()))
            elif name == "pageInfo":
                pairs.append((key, self.page_info(rows, first, empty, cursor, pk.name, fields)))
        return self.sql.obj(pairs)

    def edge(
        self, edge_type: str, target: str, page: FromClause, pk: str, nodes: FieldNodes
    ) -> Element:
        pairs: list[tuple[str, Element]] = []
        for key, fields in self.collect(edge_type, [n.selection_set for n in nodes]).items():
            name = fields[0].name.value
            if name == "__typename":
                pairs.append((key, literal(edge_type, Text)))
            elif name == "cursor":
                pairs.append((key, self.sql.cursor(page.c[pk])))
            elif name == "node":
                pairs.append((key, self.obj(target, page, fields)))
        return self.sql.obj(pairs)

    def page_info(
        self,
        rows: pages.ListRows,
        first: Element,
        empty: bool,
        cursor: pages.Cursor | None,
        pk: str,
        nodes: FieldNodes,
    ) -> Element:
        pairs: list[tuple[str, Element]] = []
        for key, fields in self.collect("PageInfo", [n.selection_set for n in nodes]).items():
            name = fields[0].name.value
            if name == "__typename":
                pairs.append((key, literal("PageInfo", Text)))
            elif name == "hasNextPage":
                pairs.append((key, self.sql.boolean(pages.remaining(rows, cursor) > first)))
            elif name == "hasPreviousPage":
                pairs.append((key, self.sql.boolean(pages.position(rows, cursor) > 0)))
            elif name in ("startCursor", "endCursor"):
                edge = pages.edge_key(rows, first, empty, cursor, pk, last=name == "endCursor")
                key_row = edge.subquery()
                value = select(self.sql.cursor(key_row.c[pk])).select_from(key_row)
                pairs.append((key, value.scalar_subquery()))
        return self.sql.obj(pairs)

    # -- roots --------------------------------------------------------------------------

    def lookup(self, type_name: str, arguments: Args, nodes: FieldNodes) -> Element:
        target, alias, scope = self.scoped(type_name)
        (pk,) = target.primary_key.columns
        key = self.params.bind(arguments, "id", parse_id)
        obj = self.obj(type_name, alias, nodes)
        return (
            select(obj).select_from(alias).where(alias.c[pk.name] == key, *scope).scalar_subquery()
        )

    def template_by_name(self, arguments: Args, nodes: FieldNodes) -> Element:
        _, alias, scope = self.scoped("TemplateWorkflow")
        source = select(alias).where(alias.c.name == self.params.bind(arguments, "name"), *scope)
        version = arguments.get("version")
        if version is None:
            source = source.order_by(alias.c.version.desc()).limit(1)
        else:
            source = source.where(alias.c.version == self.params.bind(arguments, "version"))
        return self.single("TemplateWorkflow", source, nodes)

    def schema_guide(self, arguments: Args, nodes: FieldNodes) -> Element:
        guide = SCHEMA_GUIDE.alias()
        source = select(guide)
        if arguments.get("table") is not None:
            source = source.where(guide.c.table_name == self.params.bind(arguments, "table"))
        source = source.order_by(guide.c.table_name, guide.c.column_name)
        rows = source.subquery()
        pairs: list[tuple[str, Element]] = []
        guide_type = self.schema.type_map["SchemaGuideRow"]
        assert isinstance(guide_type, GraphQLObjectType)
        for key, fields in self.collect("SchemaGuideRow", [n.selection_set for n in nodes]).items():
            name = fields[0].name.value
            if name == "__typename":
                pairs.append((key, literal("SchemaGuideRow", Text)))
                continue
            graphql_field = guide_type.fields[name]
            column_name = cast(str, scalar_column("SchemaGuideRow", graphql_field))
            pairs.append(
                (key, self.scalar(get_named_type(graphql_field.type), rows.c[column_name]))
            )
        ordering = [rows.c.table_name, rows.c.column_name]
        return (
            select(self.sql.array(self.sql.obj(pairs), ordering))
            .select_from(rows)
            .scalar_subquery()
        )
