"""The read planner: a whole GraphQL read compiled into ONE SQL statement that returns `data`.

graphql-core completes every field in Python (tens of ms for a few thousand fields); for the
reads partner sites send all day, PostgreSQL can build the response JSON itself, as PostGraphile
and Hasura do. `plan()` walks the validated operation with the schema and compiles it into
`SELECT json_build_object(...)::text`: connections become correlated subqueries with the same
filters, visibility rule, keyset condition and `LIMIT first + 1` as the resolvers (the SQL
expressions are the very ones `resolvers/` defines), objects become `json_build_object`, values
are printed exactly as the Python path prints them (SQL functions of migration 0004).

What is planned is whatever the composed schema's fields declare a plan for (schema/core/fields.py):
columns, embedded objects (addresses, venues, money), one-to-one links, connections at the root
and under a parent (with `edges/cursor/node`, `nodes`, `pageInfo`, `totalCount`), lookups by ID
or slug, `node(id:)`; with aliases, fragments, variables, `@include/@skip` and `__typename`. The
planner imports no domain: a domain left out of `compose()` is not planned either. A field
without a plan (`jsonLd`, `contacts`, `search`, `changes`, federation fields), a backward page
(`last`/`before`) or a mutation raises `Unplannable` and the operation takes the normal path. Errors never come from
here: anything invalid also falls back, so the normal path reports it in its usual words.
`tests/planner/test_planner.py` proves both paths return the same `data` for generated queries per role.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLIncludeDirective,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)
from graphql.execution.values import VariableValues, get_argument_values, get_directive_values, get_variable_values
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    DateTime,
    Float,
    Numeric,
    Select,
    Table,
    Text,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.sql.util import ClauseAdapter, find_tables

from resolvers.base import DataContext, Entity, ListQuery
from resolvers.errors import UserInputError
from resolvers.pagination import Direction, decode_cursor, sort_columns
from schema.core.ids import decode_id
from schema.core.plans import (
    Column,
    Computed,
    Constant,
    Embedded,
    GlobalId,
    Lookup,
    Many,
    NodeById,
    One,
    Plan,
    Presence,
    Source,
    Value,
    plan_of,
)

MAX_KEYS = 50  # json_build_object takes at most 100 arguments


@dataclass(frozen=True)
class PlannedPage:
    """A connection's page as a subquery (`rows`), and the count of all its rows."""

    rows: Any
    count: ColumnElement[Any]


class Unplannable(Exception):
    """This operation (or a part of it) needs the normal execution path."""


@dataclass
class Selected:
    key: str
    name: str
    nodes: list[FieldNode]

    @property
    def node(self) -> FieldNode:
        return self.nodes[0]


class Planner:
    def __init__(
        self,
        schema: GraphQLSchema,
        ctx: DataContext,
        variables: VariableValues,
        fragments: dict[str, FragmentDefinitionNode],
    ) -> None:
        self.schema, self.ctx, self.variables, self.fragments = schema, ctx, variables, fragments
        self.aliases = 0

    # --- selections -----------------------------------------------------------------------

    def included(self, node: Any) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip is not None and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include is not None and include.get("if") is False)

    def applies(self, condition: Any, type_name: str) -> bool:
        if condition is None or condition.name.value == type_name:
            return True
        wanted, actual = self.schema.get_type(condition.name.value), self.schema.get_type(type_name)
        if isinstance(wanted, GraphQLInterfaceType) and wanted in getattr(actual, "interfaces", ()):
            return True  # `... on Node`
        if isinstance(wanted, GraphQLObjectType):
            return False  # `... on Event` inside `node(id:)` that turned out to be a Company
        raise Unplannable(f"type condition {condition.name.value} on {type_name}")

    def collect(self, selection_set: SelectionSetNode | None, type_name: str) -> list[Selected]:
        found: dict[str, Selected] = {}

        visited: set[str] = set()  # each fragment once per selection set, as graphql-core collects fields

        def visit(selections: SelectionSetNode) -> None:
            for selection in selections.selections:
                if not self.included(selection):
                    continue
                if isinstance(selection, FieldNode):
                    key = (selection.alias or selection.name).value
                    if key in found:
                        if found[key].name != selection.name.value:
                            raise Unplannable("conflicting fields")
                        found[key].nodes.append(selection)
                    else:
                        found[key] = Selected(key, selection.name.value, [selection])
                elif isinstance(selection, InlineFragmentNode):
                    if self.applies(selection.type_condition, type_name):
                        visit(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    fragment = self.fragments.get(name)
                    if fragment is None:
                        raise Unplannable("fragment")
                    if name not in visited and self.applies(fragment.type_condition, type_name):
                        visited.add(name)
                        visit(fragment.selection_set)

        if selection_set is None:
            raise Unplannable("no selection")
        visit(selection_set)
        if len(found) > MAX_KEYS:
            raise Unplannable("too many keys for json_build_object")
        return list(found.values())

    def children(self, selected: Selected, type_name: str) -> list[Selected]:
        merged = SelectionSetNode(
            selections=tuple(s for n in selected.nodes if n.selection_set for s in n.selection_set.selections)
        )
        return self.collect(merged, type_name)

    def arguments(self, field: GraphQLField, selected: Selected) -> dict[str, Any]:
        return get_argument_values(field, selected.node, self.variables)

    def alias(self, table: Any, prefix: str) -> Any:
        self.aliases += 1
        return table.alias(f"{prefix}{self.aliases}")

    # --- objects ---------------------------------------------------------------------------

    def obj(self, pairs: list[tuple[str, ColumnElement[Any]]]) -> ColumnElement[Any]:
        return func.json_build_object(*[item for key, value in pairs for item in (literal(key), value)])

    def object(self, type_name: str, selections: list[Selected], source: Any) -> ColumnElement[Any]:
        """`json_build_object` of the selected fields of `type_name`, each as its plan says, over
        `source` (a row's table alias, a column, or None at the root)."""
        graphql_type = self.schema.get_type(type_name)
        assert isinstance(graphql_type, GraphQLObjectType)
        pairs: list[tuple[str, ColumnElement[Any]]] = []
        for selected in selections:
            if selected.name == "__typename":
                pairs.append((selected.key, literal(type_name)))
                continue
            field = graphql_type.fields[selected.name]
            plan = plan_of(field)
            if plan is None:
                raise Unplannable(f"{type_name}.{selected.name}")
            pairs.append((selected.key, self.field(plan, type_name, field, selected, source)))
        return self.obj(pairs)

    def field(self, plan: Plan, type_name: str, field: GraphQLField, selected: Selected, source: Any) -> Any:
        if isinstance(plan, Column | Source) and selected.node.selection_set is not None:
            raise Unplannable(f"{type_name}.{selected.name} has no fields")
        if isinstance(plan, Column):
            return self.scalar(source.c[plan.name or python_name(field)])
        if isinstance(plan, Source):
            return self.scalar(source)
        if isinstance(plan, Constant):
            return literal(plan.value)
        if isinstance(plan, Value):
            return plan.sql(source)
        if isinstance(plan, GlobalId):
            return func.upl_global_id(literal(type_name), source.c.id)
        if isinstance(plan, Embedded):
            return self.embedded(plan, field, selected, source)
        if isinstance(plan, One):
            target = named_type(field.type)
            return self.one(plan, target, self.children(selected, target), source.c[plan.key])
        if isinstance(plan, Many):
            return self.connection(plan, field, selected, source if plan.link is not None else None)
        if isinstance(plan, Lookup):
            return self.single(plan, selected)
        if isinstance(plan, NodeById):
            return self.node_by_id(selected)
        if isinstance(plan, Computed):
            return plan.sql(self, selected, source)
        raise Unplannable(f"{type_name}.{selected.name}")

    def scalar(self, column: Any) -> ColumnElement[Any]:
        """A value printed exactly as the Python path prints it."""
        if isinstance(column.type, DateTime):
            return func.upl_iso_berlin(column)
        if isinstance(column.type, Date):
            return func.to_char(column, "YYYY-MM-DD")
        if isinstance(column.type, Numeric) and not isinstance(column.type, Float):
            return cast(column, Text)
        return column

    def embedded(self, plan: Embedded, field: GraphQLField, selected: Selected, source: Any) -> ColumnElement[Any]:
        inner_type = named_type(field.type)
        inner = source if plan.column is None else source.c[plan.column]
        return self.present_object(inner_type, self.children(selected, inner_type), inner)

    def present_object(self, type_name: str, selections: list[Selected], source: Any) -> ColumnElement[Any]:
        """The object, or null where its type's `presence` says it is absent."""
        value = self.object(type_name, selections, source)
        presence: Presence | None = getattr(origin_of(self.schema, type_name), "presence", None)
        return value if presence is None else case((presence.absent_sql(source), null()), else_=value)

    def one(self, plan: One, type_name: str, selections: list[Selected], key: Any) -> ColumnElement[Any]:
        table = self.alias(plan.entity.table, "o")
        visible = ClauseAdapter(table).traverse(plan.entity.visible(self.ctx))
        return (
            select(self.object(type_name, selections, table))
            .select_from(table)
            .where(table.c[plan.target_column] == key, visible)
            .scalar_subquery()
        )

    # --- connections -----------------------------------------------------------------------

    def to_input(self, cls: type, value: dict[str, Any] | None) -> Any:
        if value is None:
            return None
        names = {to_graphql(f.name): f.name for f in fields(cls)}
        return cls(**{names[key]: item for key, item in value.items()})

    def connection(self, plan: Many, field: GraphQLField, selected: Selected, parent: Any | None) -> ColumnElement[Any]:
        """A connection: its page of rows as a subquery, and the selected connection fields over it."""
        query = self.list_query(plan, field, selected)
        page = self.page(plan, query, parent)
        rows = page.rows
        kept = rows.c._rn <= query.page.limit
        cursor = self.cursor(query, rows)
        connection_type = named_type(field.type)
        node_type = type_name_of(plan.listing.node)
        pairs: list[tuple[str, ColumnElement[Any]]] = []
        for part in self.children(selected, connection_type):
            if part.name == "__typename":
                value: ColumnElement[Any] = literal(connection_type)
            elif part.name == "totalCount":
                value = page.count
            elif part.name in ("edges", "nodes"):
                if part.name == "edges":
                    edge_type = named_type(self.field_of(connection_type, "edges").type)
                    item = self.edge(edge_type, node_type, part, rows, cursor)
                else:
                    item = self.object(node_type, self.children(part, node_type), rows)
                value = func.coalesce(
                    func.json_agg(aggregate_order_by(item, rows.c._rn)).filter(kept), literal_column("'[]'::json")
                )
            elif part.name == "pageInfo":
                value = self.page_info(part, query, rows, kept, cursor)
            else:
                raise Unplannable(f"connection field {part.name}")
            pairs.append((part.key, value))
        # HAVING makes this an aggregate query: exactly one row, also for an empty page
        return select(self.obj(pairs)).select_from(rows).having(true()).scalar_subquery()

    def list_query(self, plan: Many, field: GraphQLField, selected: Selected) -> ListQuery:
        """The data layer's list request for the field's arguments, as the resolver builds it."""
        args = self.arguments(field, selected)
        if args.get("last") is not None or args.get("before") is not None:
            raise Unplannable("backward page")
        listing = plan.listing
        try:
            query = listing.query(
                self.to_input(listing.filter, args.get("filter")),
                self.to_input(listing.order, args.get("orderBy")),
                args.get("first"),
                args.get("after"),
                None,
                None,
            )
            if query.page.cursor:
                decode_cursor(query.ordering, query.page.cursor)
        except UserInputError as exc:
            raise Unplannable(str(exc)) from exc
        return query if plan.link is None else plan.link.adapt(query)

    def page(self, plan: Many, query: ListQuery, parent: Any | None) -> PlannedPage:
        """`LIMIT first + 1` rows after the cursor, numbered, correlated with the parent row."""
        entity, link = plan.listing.entity, plan.link
        expressions = query.ordering.expressions()
        ascending = query.direction is Direction.ASC
        order = [e.asc() if ascending else e.desc() for e in expressions]
        conditions = [entity.visible(self.ctx), *query.conditions]
        if link is not None:
            if parent is None:
                raise Unplannable("a linked list needs its parent")
            conditions.append(link.parent_column == parent.c.id)
        source = link.source if link is not None else entity.table
        page = select(
            *entity.columns,
            *(link.extra if link is not None else ()),
            *sort_columns(query.ordering),
            func.row_number().over(order_by=order).label("_rn"),
        ).select_from(source)
        page = page.where(*conditions)
        if query.page.cursor:
            values = decode_cursor(query.ordering, query.page.cursor)
            right = tuple_(*[literal(v, type_=e.type) for v, e in zip(values, expressions, strict=True)])
            page = page.where(tuple_(*expressions) > right if ascending else tuple_(*expressions) < right)
        count = select(func.count()).select_from(source).where(*conditions)
        if parent is not None:
            page, count = page.correlate(parent), count.correlate(parent)
        self.aliases += 1
        rows = page.order_by(*order).limit(self.limit(query, link)).subquery(f"p{self.aliases}")
        return PlannedPage(rows, count.scalar_subquery())

    @staticmethod
    def limit(query: ListQuery, link: Any | None) -> int | ColumnElement[Any]:
        """`first + 1`; a literal for an unfiltered root list. Such a list reads its ordering's
        index whatever the page, and with the LIMIT in the text PostgreSQL's generic plan is
        that plan and gets used: no planning per execution (first page of companies: 0.33 ->
        0.20 ms a round trip). With filters the LIMIT stays a parameter, and PostgreSQL keeps
        choosing per execution: there a generic plan with a small literal LIMIT bet on the wrong
        index (the directory: 1.0 -> 8.9 ms)."""
        if link is None and not query.conditions:
            return literal_column(str(int(query.page.limit) + 1))
        return query.page.limit + 1

    def page_info(
        self, selected: Selected, query: ListQuery, rows: Any, kept: Any, _cursor: ColumnElement[Any]
    ) -> ColumnElement[Any]:
        values = {
            "hasNextPage": func.count() > query.page.limit,
            "hasPreviousPage": literal(query.page.after is not None, Boolean),
            "startCursor": self.boundary_cursor(query, rows, kept, rows.c._rn),
            "endCursor": self.boundary_cursor(query, rows, kept, rows.c._rn.desc()),
        }
        return self.simple("PageInfo", self.children(selected, "PageInfo"), values)

    def boundary_cursor(self, query: ListQuery, rows: Any, kept: Any, order: Any) -> ColumnElement[Any]:
        """The cursor of the page's first (or last) row, encoded once from that row's sort values:
        encoding every row's cursor to keep one was 0.15 of 0.24 ms for a page of 50 names."""
        width = len(query.ordering.expressions())
        first_values = [
            func.array_agg(aggregate_order_by(rows.c[f"_sort_{i}"], order)).filter(kept)[1] for i in range(width)
        ]
        return case((func.count().filter(kept) == 0, null()), else_=self.cursor(query, first_values))

    def simple(
        self, type_name: str, selections: list[Selected], values: dict[str, ColumnElement[Any]]
    ) -> ColumnElement[Any]:
        pairs: list[tuple[str, ColumnElement[Any]]] = []
        for selected in selections:
            if selected.name == "__typename":
                pairs.append((selected.key, literal(type_name)))
            elif selected.name in values:
                pairs.append((selected.key, values[selected.name]))
            else:
                raise Unplannable(f"{type_name}.{selected.name}")
        return self.obj(pairs)

    def edge(
        self, edge_type: str, node_type: str, selected: Selected, rows: Any, cursor: ColumnElement[Any]
    ) -> ColumnElement[Any]:
        pairs = []
        for part in self.children(selected, edge_type):
            if part.name == "node":
                value = self.object(node_type, self.children(part, node_type), rows)
            elif part.name == "cursor":
                value = cursor
            elif part.name == "__typename":
                raise Unplannable("edge __typename")
            else:
                field = self.field_of(edge_type, part.name)
                plan = plan_of(field)
                if plan is None:
                    raise Unplannable(f"edge field {part.name}")
                value = self.field(plan, edge_type, field, part, rows)
            pairs.append((part.key, value))
        return self.obj(pairs)

    def cursor(self, query: ListQuery, columns: Any) -> ColumnElement[Any]:
        """The cursor of a row (`columns`: a page's rows, or the row's sort values), as
        resolvers/pagination.py encodes it."""
        width = len(query.ordering.expressions())
        values = []
        for column in [columns.c[f"_sort_{i}"] for i in range(width)] if hasattr(columns, "c") else columns:
            kind = column.type
            if isinstance(kind, DateTime):
                values.append(func.jsonb_build_object("t", func.upl_iso_utc(column)))
            elif isinstance(kind, Date):
                values.append(func.jsonb_build_object("D", func.to_char(column, "YYYY-MM-DD")))
            elif isinstance(kind, Float):
                values.append(func.jsonb_build_object("f", column))
            elif isinstance(kind, Numeric):
                values.append(func.jsonb_build_object("d", cast(column, Text)))
            else:
                values.append(func.to_jsonb(column))
        payload = func.jsonb_build_array(literal(query.ordering.name), func.jsonb_build_array(*values))
        return func.upl_cursor(payload)

    # --- the operation ----------------------------------------------------------------------

    def root(self, operation: OperationDefinitionNode) -> Select[Any]:
        return select(cast(self.object("Query", self.collect(operation.selection_set, "Query"), None), Text))

    def node_by_id(self, selected: Selected) -> ColumnElement[Any]:
        """`node(id:)`: the ID names the type, so the selection is planned for that type."""
        global_id = self.arguments(self.field_of("Query", "node"), selected).get("id")
        try:
            type_name, pk = decode_id(global_id or "")
        except UserInputError as exc:
            raise Unplannable(str(exc)) from exc
        entity = getattr(origin_of(self.schema, type_name), "source", None)
        if not isinstance(entity, Entity):
            raise Unplannable(f"node of type {type_name}")
        return self.lookup(entity, type_name, selected, lambda table: table.c.id == pk)

    def single(self, plan: Lookup, selected: Selected) -> ColumnElement[Any]:
        entity, type_name = plan.listing.entity, type_name_of(plan.listing.node)
        args = self.arguments(self.field_of("Query", selected.name), selected)
        global_id, slug = args.get("id"), args.get("slug")
        if (global_id is None) == (slug is None):
            raise Unplannable("needs exactly one of id and slug")
        if global_id is not None:
            try:
                pk = decode_id(global_id, type_name)[1]
            except UserInputError as exc:
                raise Unplannable(str(exc)) from exc
            return self.lookup(entity, type_name, selected, lambda table: table.c.id == pk)
        return self.lookup(entity, type_name, selected, lambda table: table.c.slug == slug)

    def lookup(
        self, entity: Entity, type_name: str, selected: Selected, key: Callable[[Any], ColumnElement[bool]]
    ) -> ColumnElement[Any]:
        table = self.alias(entity.table, "r")
        visible = ClauseAdapter(table).traverse(entity.visible(self.ctx))
        return (
            select(self.object(type_name, self.children(selected, type_name), table))
            .select_from(table)
            .where(key(table), visible)
            .scalar_subquery()
        )

    def field_of(self, type_name: str, name: str) -> GraphQLField:
        graphql_type = self.schema.get_type(type_name)
        assert isinstance(graphql_type, GraphQLObjectType)
        return graphql_type.fields[name]


def named_type(graphql_type: Any) -> str:
    while hasattr(graphql_type, "of_type"):
        graphql_type = graphql_type.of_type
    return str(graphql_type.name)


def python_name(field: GraphQLField) -> str:
    return str(field.extensions["strawberry-definition"].python_name)


def origin_of(schema: GraphQLSchema, type_name: str) -> Any:
    """The Python class a GraphQL type was declared as (its `source` entity, its `presence`)."""
    graphql_type = schema.get_type(type_name)
    definition = (graphql_type.extensions or {}).get("strawberry-definition") if graphql_type is not None else None
    return getattr(definition, "origin", None)


def type_name_of(cls: type) -> str:
    return str(cls.__strawberry_definition__.name)  # type: ignore[attr-defined]


def to_graphql(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


def plan(
    schema: GraphQLSchema,
    document: Any,
    operation_name: str | None,
    raw_variables: dict[str, Any] | None,
    ctx: DataContext,
) -> Select[Any] | None:
    """The one statement answering this read, or None when it needs the normal path."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    if len(chosen) != 1 or chosen[0].operation is not OperationType.QUERY:
        return None
    operation = chosen[0]
    variables = get_variable_values(schema, operation.variable_definitions or (), raw_variables or {})
    if not isinstance(variables, VariableValues):
        return None
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    try:
        return Planner(schema, ctx, variables, fragments).root(operation)
    except (Unplannable, GraphQLError, KeyError, TypeError):
        return None


@dataclass(frozen=True)
class CompiledPlan:
    """A planned statement kept for reuse (building it costs milliseconds; SQLAlchemy then reuses
    its compiled form by cache key), with the tables it reads."""

    statement: Select[Any]
    tables: frozenset[str]


def compile_plan(statement: Select[Any]) -> CompiledPlan:
    tables = frozenset(t.name for t in find_tables(statement, include_aliases=True) if isinstance(t, Table))
    return CompiledPlan(statement, tables)
