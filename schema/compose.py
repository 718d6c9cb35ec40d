"""The one place where the domain modules are composed into the GraphQL schema.

Each domain (companies, networks, spaces, projects, events) owns its types, root fields and the
fields it adds to other domains' types; `compose()` puts a chosen set of them together. The
cross-domain root fields (`node`, `nodes`, `search`, `ortsteile`) are built here from what the
chosen domains register.
"""

import asyncio
import datetime as dt
from collections.abc import AsyncGenerator, Sequence
from enum import Enum
from functools import cache
from typing import Annotated, Any, Union

import strawberry
from strawberry.extensions import ValidationCache
from strawberry.tools import merge_types

from db.enums import Ortsteil as OrtsteilKey
from db.enums import Role
from resolvers.base import Loaders, load_by_id
from resolvers.changes import FeedPosition, change_statement, feed_statement, head_statement, public_action
from resolvers.contacts import CONTACT
from resolvers.errors import UserInputError, quoted
from resolvers.feed_hub import head as feed_head
from resolvers.feed_hub import position_of, read_after
from resolvers.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, page_args
from resolvers.search import search_statement
from schema.core.connections import BEFORE, FIRST, LAST, PageInfo
from schema.core.context import InfoT, berlin_time
from schema.core.descriptions import describe
from schema.core.domain import Domain, NodeType, grafted
from schema.core.errors import ErrorCodes
from schema.core.ids import decode_id, encode_id
from schema.core.live import live
from schema.core.nodes import Node
from schema.core.permissions import FOR_NEWSLETTER, RootFieldPolicy, personal_data_allowed
from schema.core.plans import PLAN, NodeById
from schema.core.subgraph import FEDERATION_VERSION, SubgraphSchema, standard_directive_locations
from schema.core.values import ContactPerson, Ortsteil
from schema.domains import accounts, companies, events, networks, projects, spaces
from schema.imports import ImportMutations
from schema.webhooks import webhook_fields


@strawberry.enum(description="What happened to an object.")
class ChangeAction(Enum):
    CREATE = strawberry.enum_value("CREATE", description="Created (for outsiders also: published).")
    UPDATE = strawberry.enum_value("UPDATE", description="Changed.")
    DELETE = strawberry.enum_value("DELETE", description="Deleted (for outsiders also: unpublished).")
    PUBLISH = strawberry.enum_value("PUBLISH", description="Made public (staff see this; outsiders see CREATE).")
    UNPUBLISH = strawberry.enum_value("UNPUBLISH", description="Hidden from outsiders (they see DELETE).")


SUBSCRIPTION_DESCRIPTION = (
    "Pushed at /graphql over WebSocket (`graphql-transport-ws`, the protocol of npm's `graphql-ws`) "
    "or Server-Sent Events (`graphql-sse`: send `Accept: text/event-stream`)."
)

ALL_DOMAINS: tuple[Domain, ...] = (
    companies.DOMAIN,
    networks.DOMAIN,
    spaces.DOMAIN,
    projects.DOMAIN,
    events.DOMAIN,
    accounts.DOMAIN,
)


def _root_fields(node_types: dict[str, NodeType], search_types: tuple[type, ...]) -> tuple[type, ...]:
    search_enum: Any = strawberry.enum(
        Enum("SearchType", {name.upper(): name for name in node_types}),  # type: ignore[call-overload]
        description="The portal's object types, for `search` and `changes`.",
    )
    for value in search_enum.__strawberry_definition__.values:
        value.description = node_types[value.value].graphql_type.__strawberry_definition__.description  # type: ignore[attr-defined]
    search_result = Annotated[Union[search_types], strawberry.union("SearchResult")]  # type: ignore[valid-type]  # noqa: UP007
    ChangeTypes = Annotated[list[search_enum] | None, strawberry.argument(description="Only changes of these types.")]

    @strawberry.type(description="One change of the portal's data, in commit order.")
    class Change(Node):
        id: strawberry.ID = strawberry.field(description="The change's own global ID (not the changed object's).")
        object_id: strawberry.ID = strawberry.field(
            description="Global ID of the changed object (also for deletes, when `node` is null)."
        )
        type: search_enum = strawberry.field(description="The changed object's type.")
        action: ChangeAction = strawberry.field(description="What happened to it, as you may see it.")
        at: dt.datetime = strawberry.field(description="When the change was written (Europe/Berlin).")
        pk: strawberry.Private[int]
        position: strawberry.Private[FeedPosition]

        @strawberry.field(description="The object as it is now; null for deletes and what you may not see.")
        async def node(self, info: InfoT) -> search_result | None:
            if self.action is ChangeAction.DELETE:
                return None
            return await node_types[self.type.value].load(info.context, self.pk)

    @strawberry.type(description="A change and its cursor in the feed.")
    class ChangeEdge:
        cursor: str = strawberry.field(description="Pass it back as `since` (or `after`) to continue after it.")
        node: Change = strawberry.field(description="The change.")

    @strawberry.type(description="A page of the change feed (a Relay connection).")
    class ChangeConnection:
        edges: list[ChangeEdge] = strawberry.field(description="The changes of this page with their cursors.")
        page_info: PageInfo = strawberry.field(
            description="`endCursor` is the cursor to store; on an empty forward page it is the one you sent, "
            "so a polling client can always store it."
        )

        @strawberry.field(description="The changes of `edges`, for clients that need no cursors.")
        def nodes(self) -> list[Change]:
            return [edge.node for edge in self.edges]

    def change_of(row: Any, staff: bool) -> Change:
        return Change(
            id=strawberry.ID(encode_id("Change", row.seq)),
            object_id=strawberry.ID(encode_id(row.object_type, row.object_id)),
            type=search_enum(row.object_type),
            action=ChangeAction(public_action(row.action, staff)),
            at=berlin_time(row.at),  # type: ignore[arg-type]
            pk=row.object_id,
            position=FeedPosition(int(row.xid), row.seq),
        )

    def feed_types(ctx: Any, types: list[Any] | None) -> list[str]:
        """The types of feed entries the caller asked for and may see (newsletter keys: events)."""
        names = [t.value for t in types] if types else list(node_types)
        return [n for n in names if n == "Event"] if ctx.viewer.role is Role.NEWSLETTER else names

    async def load_change(ctx: Any, seq: int) -> Change | None:
        """`node(id:)` of a change: visible as in the feed (outsiders: what they could see)."""
        names = ["Event"] if ctx.viewer.role is Role.NEWSLETTER else list(node_types)
        rows = await ctx.fetch_all(change_statement(ctx, seq, names))
        return change_of(rows[0], ctx.sees_unpublished) if rows else None

    async def load_contact(ctx: Any, pk: int) -> ContactPerson | None:
        """`node(id:)` of a contact person: as its owner's `contacts` field shows it."""
        row = await load_by_id(ctx, CONTACT, pk)
        shown = [] if row is None else personal_data_allowed(ctx, [row])
        return ContactPerson.from_row(shown[0]) if shown else None

    loaders = {name: node.load for name, node in node_types.items()} | {
        "Change": load_change,
        "ContactPerson": load_contact,
    }

    async def load_node(info: InfoT, global_id: str) -> Any | None:
        type_name, pk = decode_id(global_id)
        load = loaders.get(type_name)
        if load is None:
            raise UserInputError(f"Invalid ID {quoted(global_id)}: unknown type {quoted(type_name)}.")
        return await load(info.context, pk)

    @strawberry.type
    class RootQuery:
        @strawberry.field(
            description="A `since` cursor for the feed's present end: take it before a full sync, then follow "
            "`changes(since:)` from it.",
            directives=FOR_NEWSLETTER,
        )
        async def changes_head(self, info: InfoT) -> str:
            rows = await info.context.fetch_all(head_statement())
            return (FeedPosition(int(rows[0].xid), rows[0].seq) if rows else FeedPosition(0, 0)).encode()

        @strawberry.field(
            description="Every create, update, publish, unpublish and delete, in commit order. Forwards from "
            "`since` (or `after`: the same; without either, from the beginning), or backwards with `last` and "
            "`before`. Unpublishing shows as DELETE to callers who cannot see unpublished data, and rows they "
            "could never see leave no trace.",
            directives=FOR_NEWSLETTER,
        )
        async def changes(
            self,
            info: InfoT,
            since: Annotated[
                str | None, strawberry.argument(description="A cursor of this feed: the changes after it.")
            ] = None,
            first: Annotated[int | None, strawberry.argument(description=FIRST)] = None,
            after: Annotated[str | None, strawberry.argument(description="The same as `since` (Relay's name).")] = None,
            last: Annotated[int | None, strawberry.argument(description=LAST)] = None,
            before: Annotated[str | None, strawberry.argument(description=BEFORE)] = None,
            types: ChangeTypes = None,
        ) -> ChangeConnection:
            if since is not None and after is not None and since != after:
                raise UserInputError("`since` and `after` are the same argument: pass one of them.")
            page = page_args(first, since if since is not None else after, last, before)
            position = None if page.cursor is None else FeedPosition.decode(page.cursor)
            names = feed_types(info.context, types)
            rows = await info.context.fetch_all(feed_statement(info.context, position, names, page))
            staff = info.context.sees_unpublished
            more = len(rows) > page.limit
            kept = [change_of(r, staff) for r in rows[: page.limit]]
            if not page.forward:
                kept.reverse()
            edges = [ChangeEdge(cursor=c.position.encode(), node=c) for c in kept]
            cursors = [e.cursor for e in edges]
            page_info = PageInfo(
                has_next_page=more if page.forward else page.before is not None,
                has_previous_page=page.after is not None if page.forward else more,
                start_cursor=cursors[0] if cursors else None,
                end_cursor=cursors[-1] if cursors else (page.after if page.forward else None),
            )
            return ChangeConnection(edges=edges, page_info=page_info)

        @strawberry.field(description="Any object by its global ID.", metadata={PLAN: NodeById()})
        async def node(self, info: InfoT, id: strawberry.ID) -> Node | None:
            return await load_node(info, id)

        @strawberry.field(description="Objects by global IDs, in order; null where not found.")
        async def nodes(
            self,
            info: InfoT,
            ids: Annotated[list[strawberry.ID], strawberry.argument(description=f"Up to {MAX_PAGE_SIZE} global IDs.")],
        ) -> list[Node | None]:
            if len(ids) > MAX_PAGE_SIZE:
                raise UserInputError(f"`ids` has {len(ids)} entries, more than the maximum of {MAX_PAGE_SIZE}.")
            return list(await asyncio.gather(*(load_node(info, i) for i in ids)))

        @strawberry.field(description="German full-text search over the portal, best matches first.")
        async def search(
            self,
            info: InfoT,
            query: Annotated[
                str,
                strawberry.argument(description="Words to find, each as a prefix (Herzberg → Herzbergstraße)."),
            ],
            types: Annotated[
                list[search_enum] | None, strawberry.argument(description="Only these types (default: all).")
            ] = None,
            first: Annotated[
                int | None, strawberry.argument(description=f"At most this many results (default {DEFAULT_PAGE_SIZE}).")
            ] = None,
        ) -> list[search_result]:
            limit = DEFAULT_PAGE_SIZE if first is None else first
            if not 0 <= limit <= MAX_PAGE_SIZE:
                raise UserInputError(f"`first` must be between 0 and {MAX_PAGE_SIZE} (got {limit}).")
            chosen = [node_types[t.value] for t in types] if types else list(node_types.values())
            rows = await info.context.fetch_all(
                search_statement(info.context, query, [n.entity for n in chosen], limit)
            )
            found = await asyncio.gather(*(node_types[r.type_name].load(info.context, r.id) for r in rows))
            return [f for f in found if f is not None]

        @strawberry.field(description="Lichtenberg's ten Ortsteile.", directives=FOR_NEWSLETTER)
        def ortsteile(self) -> list[Ortsteil]:
            return [Ortsteil(key=member, name=member.value) for member in OrtsteilKey]

    @strawberry.type
    class RootSubscription:
        @strawberry.subscription(
            description="The change feed, pushed: the changes after `since` (without it, from now on), then each "
            "new change as it commits, in commit order, with no gap and no repeat; resume after a reconnect from "
            "the last cursor received. Visible as in `changes`.",
            directives=FOR_NEWSLETTER,
        )
        async def changes(
            self,
            info: InfoT,
            since: Annotated[
                str | None, strawberry.argument(description="A cursor of the feed: replay the changes after it.")
            ] = None,
            types: ChangeTypes = None,
        ) -> AsyncGenerator[ChangeEdge, None]:
            ctx = info.context
            names = feed_types(ctx, types)
            position = FeedPosition.decode(since) if since is not None else await feed_head(ctx)
            staff = ctx.sees_unpublished

            def edge(row: Any) -> ChangeEdge:
                ctx.loaders = Loaders()  # each push reads the object as it is now, not as first loaded
                change = change_of(row, staff)
                return ChangeEdge(cursor=change.position.encode(), node=change)

            while True:  # replay on our own until caught up with the feed
                rows = await read_after(ctx, position, names)
                for row in rows[:MAX_PAGE_SIZE]:
                    position = position_of(row)
                    yield edge(row)
                if len(rows) <= MAX_PAGE_SIZE:
                    break
            if ctx.feeds is None:  # no shared reader (a context without one): read on our own
                while ctx.draining is None or not ctx.draining.is_set():
                    if ctx.changes is not None:
                        await ctx.changes()
                    for row in await read_after(ctx, position, names):
                        position = position_of(row)
                        yield edge(row)
                return
            hub = ctx.feeds.of(ctx, list(node_types))
            queue, joined_at = await hub.join()
            try:
                while position < joined_at:  # what the hub had read before we joined, on our own
                    rows = [
                        r
                        for r in (await read_after(ctx, position, names))[:MAX_PAGE_SIZE]
                        if position_of(r) <= joined_at
                    ]
                    for row in rows:
                        position = position_of(row)
                        yield edge(row)
                    if not rows:
                        break
                position = max(position, joined_at)
                while (batch := await queue.get()) is not None:  # the hub's batches, read once for all
                    for row in batch:
                        at = position_of(row)
                        if at > position and row.object_type in names:
                            position = at
                            yield edge(row)
            finally:
                hub.leave(queue)

        @strawberry.subscription(
            description="A live query: the object with this ID now, then again each time the answer to the same "
            "selection would differ (null when it is gone or hidden); writes to what it does not read send nothing.",
        )
        async def node(self, info: InfoT, id: strawberry.ID) -> AsyncGenerator[Node | None, None]:
            async for found in live(info, lambda: load_node(info, id)):
                yield found

    return RootQuery, RootSubscription, *webhook_fields(search_enum)


def compose(domains: Sequence[Domain] = ALL_DOMAINS) -> SubgraphSchema:
    """Build the schema, a Federation 2 subgraph, from `domains` (all five by default)."""
    node_types = {name: node for domain in domains for name, node in domain.nodes.items()}
    search_types = tuple(node.graphql_type for node in node_types.values())
    root, subscription, webhook_query, webhook_mutations = _root_fields(node_types, search_types)
    query = merge_types("Query", (root, *(domain.query for domain in domains), webhook_query))
    mutations = (
        *(domain.mutation for domain in domains if domain.mutation is not None),
        webhook_mutations,
        ImportMutations,
    )
    mutation = merge_types("Mutation", mutations) if mutations else None
    subscription = merge_types(
        "Subscription", (subscription, *(domain.subscription for domain in domains if domain.subscription is not None))
    )
    subscription.__strawberry_definition__.description = SUBSCRIPTION_DESCRIPTION  # type: ignore[attr-defined]
    with grafted(domains):
        composed = SubgraphSchema(
            query=query,
            mutation=mutation,
            subscription=subscription,
            extensions=[ErrorCodes, RootFieldPolicy, lambda: ValidationCache(maxsize=1024)],
            federation_version=FEDERATION_VERSION,
        )
    describe(composed._schema)
    standard_directive_locations(composed._schema)
    composed.node_types = node_types
    return composed


@cache
def default_schema() -> SubgraphSchema:
    """The schema of all domains, built on first use (importing `schema` builds nothing)."""
    return compose()
