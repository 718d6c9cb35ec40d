"""The read planner: a whole GraphQL read compiled into ONE SQL statement that returns `data`.

graphql-core completes every field in Python (tens of ms for a few thousand fields); for the
reads partner sites send all day, PostgreSQL can build the response JSON itself, as PostGraphile
and Hasura do. `plan()` walks the validated operation with the schema and compiles it into
`SELECT json_build_object(...)::text`: connections become correlated subqueries with the same
filters, visibility rule, keyset condition and `LIMIT first + 1` as the resolvers (the SQL
expressions are the very ones `resolvers/` defines), objects become `json_build_object`, values
are printed exactly as the Python path prints them (SQL functions of migration 0004).

What is planned: the root connections and single lookups of the five domains, their columns,
`address`, `Money` fields, `venue`, `registration`, `industry`, the one-to-one links (host,
network, project, provider, originProject, venue.space) and the linked connections (members,
networks, events, spaces, projects, partners), with `edges/cursor/node`, `nodes`, `pageInfo`,
`totalCount`, aliases, fragments, variables, `@include/@skip` and `__typename`.
Everything else raises `Unplannable` and the operation takes the normal Strawberry path:
Python logic (`jsonLd`, `icalUrl`, `calendarUrl`), personal data (`contacts`), `node`/`search`/
`changes`/federation fields, backward pages (`last`/`before`), mutations. Errors never come from
here: anything invalid also falls back, so the normal path reports it in its usual words.
`tests/test_planner.py` proves both paths return the same `data` for generated queries per role.
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
    GraphQLIncludeDirective,
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
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.sql.util import ClauseAdapter, find_tables

from db import models
from db.enums import Ortsteil
from resolvers import companies as company_data
from resolvers import events as event_data
from resolvers import networks as network_data
from resolvers import projects as project_data
from resolvers import spaces as space_data
from resolvers.base import DataContext, Entity, Link, ListQuery
from resolvers.errors import UserInputError
from resolvers.pagination import Direction, decode_cursor, sort_columns
from schema.core.ids import decode_id
from schema.domains import companies, events, networks, projects, spaces

MAX_KEYS = 50  # json_build_object takes at most 100 arguments


class Unplannable(Exception):
    """This operation (or a part of it) needs the normal execution path."""


@dataclass(frozen=True)
class Listing:
    """A connection field: how its list query is built and what its nodes are."""

    entity: Entity
    build: Callable[..., ListQuery]
    filter_type: type
    order_type: type
    node_type: str
    link: Link | None = None
    membership: bool = False


def _listing(entity: Entity, build: Callable[..., ListQuery], domain: Any, node_type: str, **link: Any) -> Listing:
    return Listing(
        entity, build, domain.__dict__[f"{node_type}Filter"], domain.__dict__[f"{node_type}Order"], node_type, **link
    )


ROOT_LISTS = {
    "companies": _listing(company_data.COMPANY, companies.company_list, companies, "Company"),
    "networks": _listing(network_data.NETWORK, networks.network_list, networks, "Network"),
    "spaces": _listing(space_data.SPACE, spaces.space_list, spaces, "Space"),
    "projects": _listing(project_data.PROJECT, projects.project_list, projects, "Project"),
    "events": _listing(event_data.EVENT, events.event_list, events, "Event"),
}
ROOT_ONE = {
    "company": (company_data.COMPANY, "Company"),
    "network": (network_data.NETWORK, "Network"),
    "space": (space_data.SPACE, "Space"),
    "project": (project_data.PROJECT, "Project"),
    "event": (event_data.EVENT, "Event"),
}
LINK_LISTS = {
    ("Company", "networks"): _listing(
        network_data.NETWORK,
        networks.network_list,
        networks,
        "Network",
        link=network_data.COMPANY_NETWORKS,
        membership=True,
    ),
    ("Network", "members"): _listing(
        company_data.COMPANY,
        companies.company_list,
        companies,
        "Company",
        link=network_data.NETWORK_MEMBERS,
        membership=True,
    ),
    ("Company", "spaces"): _listing(
        space_data.SPACE, spaces.space_list, spaces, "Space", link=space_data.COMPANY_SPACES
    ),
    ("Company", "projects"): _listing(
        project_data.PROJECT, projects.project_list, projects, "Project", link=project_data.COMPANY_PROJECTS
    ),
    ("Project", "partners"): _listing(
        company_data.COMPANY, companies.company_list, companies, "Company", link=project_data.PROJECT_PARTNERS
    ),
    ("Project", "networks"): _listing(
        network_data.NETWORK, networks.network_list, networks, "Network", link=project_data.PROJECT_NETWORKS
    ),
    ("Network", "projects"): _listing(
        project_data.PROJECT, projects.project_list, projects, "Project", link=project_data.NETWORK_PROJECTS
    ),
    **{
        (owner, "events"): _listing(event_data.EVENT, events.event_list, events, "Event", link=link)
        for owner, link in (
            ("Company", event_data.COMPANY_EVENTS),
            ("Network", event_data.NETWORK_EVENTS),
            ("Space", event_data.SPACE_EVENTS),
            ("Project", event_data.PROJECT_EVENTS),
        )
    },
}
ONE_LINKS = {
    ("Event", "host"): (company_data.COMPANY, "host_company_id", "Company"),
    ("Event", "network"): (network_data.NETWORK, "network_id", "Network"),
    ("Event", "project"): (project_data.PROJECT, "project_id", "Project"),
    ("Space", "provider"): (company_data.COMPANY, "provider_id", "Company"),
    ("Network", "originProject"): (project_data.PROJECT, "origin_project_id", "Project"),
}
ENTITIES = {entity.name: entity for entity, _ in ROOT_ONE.values()}
MONEY_COLUMNS = {"rent_per_sqm", "price", "total_volume", "funding_amount"}
ORTSTEIL_NAMES = {member.name: member.value for member in Ortsteil}
industries = models.table_of(models.IndustryClass)


def snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


@dataclass
class Selected:
    key: str
    name: str
    nodes: list[FieldNode]

    @property
    def node(self) -> FieldNode:
        return self.nodes[0]


@dataclass
class Plan:
    statement: Select[Any]


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
        if condition.name.value == "Node" and type_name in ENTITIES:
            return True
        if type_name in ENTITIES and isinstance(self.schema.get_type(condition.name.value), GraphQLObjectType):
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

    def arguments(self, parent: str, selected: Selected) -> dict[str, Any]:
        parent_type = self.schema.get_type(parent)
        assert isinstance(parent_type, GraphQLObjectType)
        return get_argument_values(parent_type.fields[selected.name], selected.node, self.variables)

    def alias(self, table: Any, prefix: str) -> Any:
        self.aliases += 1
        return table.alias(f"{prefix}{self.aliases}")

    # --- objects ---------------------------------------------------------------------------

    def obj(self, pairs: list[tuple[str, ColumnElement[Any]]]) -> ColumnElement[Any]:
        return func.json_build_object(*[item for key, value in pairs for item in (literal(key), value)])

    def node(self, type_name: str, selections: list[Selected], row: Any) -> ColumnElement[Any]:
        table = ENTITIES[type_name].table
        pairs: list[tuple[str, ColumnElement[Any]]] = []
        for selected in selections:
            name, column = selected.name, snake(selected.name)
            if name == "__typename":
                value: ColumnElement[Any] = literal(type_name)
            elif name == "id":
                value = func.upl_global_id(literal(type_name), row.c.id)
            elif name == "address":
                value = self.address(self.children(selected, "Address"), row)
            elif column in MONEY_COLUMNS and column in table.c:
                value = self.money(self.children(selected, "Money"), row.c[column])
            elif name == "venue" and type_name == "Event":
                value = self.venue(self.children(selected, "Venue"), row)
            elif name == "registration" and type_name == "Event":
                value = self.registration(self.children(selected, "Registration"), row)
            elif name == "industry" and type_name == "Company":
                value = self.industry(self.children(selected, "IndustryClass"), row)
            elif (type_name, name) in ONE_LINKS:
                entity, foreign_key, target = ONE_LINKS[(type_name, name)]
                value = self.one(entity, target, self.children(selected, target), row.c[foreign_key])
            elif (type_name, name) in LINK_LISTS:
                value = self.connection(LINK_LISTS[(type_name, name)], selected, type_name, row)
            elif (
                column in table.c
                and selected.node.selection_set is None
                and column not in {"search_vector", "deleted_at"}
            ):
                value = self.scalar(row.c[column])
            else:
                raise Unplannable(f"{type_name}.{name}")
            pairs.append((selected.key, value))
        return self.obj(pairs)

    def scalar(self, column: Any) -> ColumnElement[Any]:
        if isinstance(column.type, DateTime):
            return func.upl_iso_berlin(column)
        if isinstance(column.type, Date):
            return func.to_char(column, "YYYY-MM-DD")
        if isinstance(column.type, Numeric) and not isinstance(column.type, Float):
            return cast(column, Text)
        return column

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

    def address(self, selections: list[Selected], row: Any) -> ColumnElement[Any]:
        values: dict[str, ColumnElement[Any]] = {
            "street": row.c.street,
            "postalCode": row.c.postal_code,
            "city": row.c.city,
        }
        for selected in selections:
            if selected.name == "ortsteil":
                ortsteil = self.simple(
                    "Ortsteil",
                    self.children(selected, "Ortsteil"),
                    {"key": row.c.ortsteil_key, "name": case(ORTSTEIL_NAMES, value=row.c.ortsteil_key)},
                )
                values["ortsteil"] = case((row.c.ortsteil_key.is_(None), null()), else_=ortsteil)
            elif selected.name == "location":
                point = self.simple(
                    "GeoPoint",
                    self.children(selected, "GeoPoint"),
                    {"latitude": row.c.latitude, "longitude": row.c.longitude},
                )
                values["location"] = case(
                    (or_(row.c.latitude.is_(None), row.c.longitude.is_(None)), null()), else_=point
                )
        empty = and_(row.c.street.is_(None), row.c.postal_code.is_(None), row.c.ortsteil_key.is_(None))
        return case((empty, null()), else_=self.simple("Address", selections, values))

    def money(self, selections: list[Selected], column: Any) -> ColumnElement[Any]:
        money = self.simple("Money", selections, {"amount": cast(column, Text), "currency": literal("EUR")})
        return case((column.is_(None), null()), else_=money)

    def registration(self, selections: list[Selected], row: Any) -> ColumnElement[Any]:
        values = {
            "required": row.c.registration_required,
            "url": row.c.registration_url,
            "deadline": func.upl_iso_berlin(row.c.registration_deadline),
            "capacity": row.c.capacity,
        }
        return self.simple("Registration", selections, values)

    def venue(self, selections: list[Selected], row: Any) -> ColumnElement[Any]:
        values: dict[str, ColumnElement[Any]] = {"name": row.c.venue_name, "onlineUrl": row.c.online_url}
        for selected in selections:
            if selected.name == "address":
                own = self.address(self.children(selected, "Address"), row)
                space = self.alias(space_data.SPACE.table, "v")
                visible = ClauseAdapter(space).traverse(space_data.SPACE.visible(self.ctx))
                of_space = (
                    select(self.address(self.children(selected, "Address"), space))
                    .select_from(space)
                    .where(space.c.id == row.c.venue_space_id, visible)
                    .scalar_subquery()
                )
                no_own = and_(row.c.street.is_(None), row.c.postal_code.is_(None), row.c.ortsteil_key.is_(None))
                values["address"] = case((and_(no_own, row.c.venue_space_id.is_not(None)), of_space), else_=own)
            elif selected.name == "space":
                values["space"] = self.one(
                    space_data.SPACE, "Space", self.children(selected, "Space"), row.c.venue_space_id
                )
        return self.simple("Venue", selections, values)

    def industry(self, selections: list[Selected], row: Any) -> ColumnElement[Any]:
        table = self.alias(industries, "i")
        json = self.simple(
            "IndustryClass", selections, {"code": table.c.code, "title": table.c.title, "section": table.c.section}
        )
        return select(json).select_from(table).where(table.c.code == row.c.industry_code).scalar_subquery()

    def one(self, entity: Entity, type_name: str, selections: list[Selected], key: Any) -> ColumnElement[Any]:
        table = self.alias(entity.table, "o")
        visible = ClauseAdapter(table).traverse(entity.visible(self.ctx))
        return (
            select(self.node(type_name, selections, table))
            .select_from(table)
            .where(table.c.id == key, visible)
            .scalar_subquery()
        )

    # --- connections -----------------------------------------------------------------------

    def to_input(self, cls: type, value: dict[str, Any] | None) -> Any:
        if value is None:
            return None
        names = {to_graphql(f.name): f.name for f in fields(cls)}
        return cls(**{names[key]: item for key, item in value.items()})

    def connection(
        self, listing: Listing, selected: Selected, parent_type: str, parent: Any | None
    ) -> ColumnElement[Any]:
        args = self.arguments(parent_type, selected)
        if args.get("last") is not None or args.get("before") is not None:
            raise Unplannable("backward page")
        try:
            query = listing.build(
                self.to_input(listing.filter_type, args.get("filter")),
                self.to_input(listing.order_type, args.get("orderBy")),
                args.get("first"),
                args.get("after"),
                None,
                None,
            )
            values = decode_cursor(query.ordering, query.page.cursor) if query.page.cursor else None
        except UserInputError as exc:
            raise Unplannable(str(exc)) from exc
        entity, link = listing.entity, listing.link
        if link is not None:
            query = link.adapt(query)
        expressions = query.ordering.expressions()
        ascending = query.direction is Direction.ASC
        order = [e.asc() if ascending else e.desc() for e in expressions]
        conditions = [entity.visible(self.ctx), *query.conditions]
        if link is not None:
            if parent is None:
                raise Unplannable("a linked list needs its parent")
            conditions.append(link.parent_column == parent.c.id)
        page = select(
            *entity.columns,
            *(link.extra if link is not None else ()),
            *sort_columns(query.ordering),
            func.row_number().over(order_by=order).label("_rn"),
        )
        page = page.select_from(link.source if link is not None else entity.table).where(*conditions)
        if parent is not None:
            page = page.correlate(parent)
        if values is not None:
            right = tuple_(*[literal(v, type_=e.type) for v, e in zip(values, expressions, strict=True)])
            page = page.where(tuple_(*expressions) > right if ascending else tuple_(*expressions) < right)
        self.aliases += 1
        rows = page.order_by(*order).limit(query.page.limit + 1).subquery(f"p{self.aliases}")
        limit = query.page.limit
        kept = rows.c._rn <= limit
        cursor = self.cursor(query, rows)
        pairs: list[tuple[str, ColumnElement[Any]]] = []
        for part in self.children(selected, self.connection_type(parent_type, selected)):
            if part.name == "__typename":
                value: ColumnElement[Any] = literal(self.connection_type(parent_type, selected))
            elif part.name == "totalCount":
                counted = select(func.count()).select_from(link.source if link is not None else entity.table)
                counted = counted.where(*conditions)
                value = (counted.correlate(parent) if parent is not None else counted).scalar_subquery()
            elif part.name == "edges":
                edge = self.edge(listing, part, rows, cursor)
                value = func.coalesce(
                    func.json_agg(aggregate_order_by(edge, rows.c._rn)).filter(kept), literal_column("'[]'::json")
                )
            elif part.name == "nodes":
                item = self.node(listing.node_type, self.children(part, listing.node_type), rows)
                value = func.coalesce(
                    func.json_agg(aggregate_order_by(item, rows.c._rn)).filter(kept), literal_column("'[]'::json")
                )
            elif part.name == "pageInfo":
                first = func.array_agg(aggregate_order_by(cursor, rows.c._rn)).filter(kept)
                last = func.array_agg(aggregate_order_by(cursor, rows.c._rn.desc())).filter(kept)
                value = self.simple(
                    "PageInfo",
                    self.children(part, "PageInfo"),
                    {
                        "hasNextPage": func.count() > limit,
                        "hasPreviousPage": literal(query.page.after is not None, Boolean),
                        "startCursor": first[1],
                        "endCursor": last[1],
                    },
                )
            else:
                raise Unplannable(f"connection field {part.name}")
            pairs.append((part.key, value))
        # HAVING makes this an aggregate query: exactly one row, also for an empty page
        return select(self.obj(pairs)).select_from(rows).having(true()).scalar_subquery()

    def connection_type(self, parent_type: str, selected: Selected) -> str:
        parent = self.schema.get_type(parent_type)
        assert isinstance(parent, GraphQLObjectType)
        named = parent.fields[selected.name].type
        while hasattr(named, "of_type"):
            named = named.of_type
        return str(named.name)

    def edge(self, listing: Listing, selected: Selected, rows: Any, cursor: ColumnElement[Any]) -> ColumnElement[Any]:
        edge_type = "Edge"
        values: dict[str, ColumnElement[Any]] = {"cursor": cursor}
        pairs = []
        for part in self.children(selected, edge_type):
            if part.name == "node":
                value = self.node(listing.node_type, self.children(part, listing.node_type), rows)
            elif part.name == "cursor":
                value = values["cursor"]
            elif part.name == "role" and listing.membership:
                value = rows.c.membership_role
            elif part.name == "memberSince" and listing.membership:
                value = func.to_char(rows.c.member_since, "YYYY-MM-DD")
            elif part.name == "__typename":
                raise Unplannable("edge __typename")
            else:
                raise Unplannable(f"edge field {part.name}")
            pairs.append((part.key, value))
        return self.obj(pairs)

    def cursor(self, query: ListQuery, rows: Any) -> ColumnElement[Any]:
        values = []
        for index in range(len(query.ordering.expressions())):
            column = rows.c[f"_sort_{index}"]
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
        pairs: list[tuple[str, ColumnElement[Any]]] = []
        for selected in self.collect(operation.selection_set, "Query"):
            if selected.name == "__typename":
                value: ColumnElement[Any] = literal("Query")
            elif selected.name in ROOT_LISTS:
                value = self.connection(ROOT_LISTS[selected.name], selected, "Query", None)
            elif selected.name in ROOT_ONE:
                value = self.single(selected)
            elif selected.name == "node":
                value = self.node_by_id(selected)
            else:
                raise Unplannable(f"Query.{selected.name}")
            pairs.append((selected.key, value))
        return select(cast(self.obj(pairs), Text))

    def node_by_id(self, selected: Selected) -> ColumnElement[Any]:
        """`node(id:)`: the ID names the type, so the selection is planned for that type."""
        global_id = self.arguments("Query", selected).get("id")
        try:
            type_name, pk = decode_id(global_id or "")
        except UserInputError as exc:
            raise Unplannable(str(exc)) from exc
        if type_name not in ENTITIES:
            raise Unplannable(f"node of type {type_name}")
        return self.lookup(ENTITIES[type_name], type_name, selected, lambda table: table.c.id == pk)

    def single(self, selected: Selected) -> ColumnElement[Any]:
        entity, type_name = ROOT_ONE[selected.name]
        args = self.arguments("Query", selected)
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
            select(self.node(type_name, self.children(selected, type_name), table))
            .select_from(table)
            .where(key(table), visible)
            .scalar_subquery()
        )


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
