"""The one place where the domain modules are composed into the GraphQL schema.

Each domain (companies, networks, spaces, projects, events) owns its types, root fields and the
fields it adds to other domains' types; `compose()` puts a chosen set of them together. The
cross-domain root fields (`node`, `nodes`, `search`, `ortsteile`) are built here from what the
chosen domains register.
"""

import asyncio
import datetime as dt
from collections.abc import Sequence
from enum import Enum
from typing import Annotated, Any, Union

import strawberry
from strawberry.extensions import ValidationCache
from strawberry.tools import merge_types

from db.enums import Ortsteil as OrtsteilKey
from db.enums import Role
from resolvers.changes import FeedPosition, feed_statement, head_statement, public_action
from resolvers.errors import UserInputError, quoted
from resolvers.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from resolvers.search import search_statement
from schema import accounts, companies, events, networks, projects, spaces
from schema.base import InfoT, Node, Ortsteil, berlin_time
from schema.domain import Domain, NodeType, graft
from schema.errors import ErrorCodes
from schema.ids import decode_id, encode_id
from schema.permissions import FOR_NEWSLETTER, RootFieldPolicy
from schema.subgraph import FEDERATION_VERSION, SubgraphSchema


@strawberry.enum(description="What happened to an object.")
class ChangeAction(Enum):
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    DELETE = "DELETE"
    PUBLISH = "PUBLISH"
    UNPUBLISH = "UNPUBLISH"


ALL_DOMAINS: tuple[Domain, ...] = (
    companies.DOMAIN,
    networks.DOMAIN,
    spaces.DOMAIN,
    projects.DOMAIN,
    events.DOMAIN,
    accounts.DOMAIN,
)


def _root_fields(node_types: dict[str, NodeType], search_types: tuple[type, ...]) -> type:
    search_enum: Any = strawberry.enum(
        Enum("SearchType", {name.upper(): name for name in node_types}),  # type: ignore[call-overload]
        description="Types `search` can return.",
    )
    search_result = Annotated[Union[search_types], strawberry.union("SearchResult")]  # type: ignore[valid-type]  # noqa: UP007

    async def load_node(info: InfoT, global_id: str) -> Any | None:
        type_name, pk = decode_id(global_id)
        node_type = node_types.get(type_name)
        if node_type is None:
            raise UserInputError(f"Invalid ID {quoted(global_id)}: unknown type {quoted(type_name)}.")
        return await node_type.load(info.context, pk)

    @strawberry.type(description="One change of the portal's data, in commit order.")
    class Change:
        cursor: str = strawberry.field(description="Pass it back as `since` to continue after this change.")
        id: strawberry.ID = strawberry.field(description="Global ID of the changed object (also for deletes).")
        type: search_enum
        action: ChangeAction
        at: dt.datetime
        pk: strawberry.Private[int]

        @strawberry.field(description="The object as it is now; null for deletes and what you may not see.")
        async def node(self, info: InfoT) -> search_result | None:
            if self.action is ChangeAction.DELETE:
                return None
            return await node_types[self.type.value].load(info.context, self.pk)

    @strawberry.type(description="A page of the change feed.")
    class ChangeFeed:
        nodes: list[Change]
        end_cursor: str | None = strawberry.field(
            description="Store it and pass it as `since` next time (unchanged when nothing new happened)."
        )
        has_next_page: bool

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
            description="Every create, update, publish, unpublish and delete since a cursor, in commit order. "
            "Without `since`: from the beginning. Unpublishing shows as DELETE to callers who cannot see "
            "unpublished data.",
            directives=FOR_NEWSLETTER,
        )
        async def changes(
            self,
            info: InfoT,
            since: str | None = None,
            first: int | None = None,
            types: list[search_enum] | None = None,
        ) -> ChangeFeed:
            limit = DEFAULT_PAGE_SIZE if first is None else first
            if not 0 <= limit <= MAX_PAGE_SIZE:
                raise UserInputError(f"`first` must be between 0 and {MAX_PAGE_SIZE} (got {limit}).")
            position = None if since is None else FeedPosition.decode(since)
            names = [t.value for t in types] if types else list(node_types)
            if info.context.viewer.role is Role.NEWSLETTER:
                names = [n for n in names if n == "Event"]
            rows = await info.context.fetch_all(feed_statement(info.context, position, names, limit))
            staff = info.context.sees_unpublished
            page = [
                Change(
                    cursor=FeedPosition(int(r.xid), r.seq).encode(),
                    id=strawberry.ID(encode_id(r.object_type, r.object_id)),
                    type=search_enum(r.object_type),
                    action=ChangeAction(public_action(r.action, staff)),
                    at=berlin_time(r.at),  # type: ignore[arg-type]
                    pk=r.object_id,
                )
                for r in rows[:limit]
            ]
            return ChangeFeed(
                nodes=page, end_cursor=page[-1].cursor if page else since, has_next_page=len(rows) > limit
            )

        @strawberry.field(description="Any object by its global ID.")
        async def node(self, info: InfoT, id: strawberry.ID) -> Node | None:
            return await load_node(info, id)

        @strawberry.field(description="Objects by global IDs, in order; null where not found.")
        async def nodes(self, info: InfoT, ids: list[strawberry.ID]) -> list[Node | None]:
            if len(ids) > MAX_PAGE_SIZE:
                raise UserInputError(f"`ids` has {len(ids)} entries, more than the maximum of {MAX_PAGE_SIZE}.")
            return list(await asyncio.gather(*(load_node(info, i) for i in ids)))

        @strawberry.field(description="German full-text search over the portal, best matches first.")
        async def search(
            self,
            info: InfoT,
            query: str,
            types: list[search_enum] | None = None,
            first: int | None = None,
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

    return RootQuery


def compose(domains: Sequence[Domain] = ALL_DOMAINS) -> SubgraphSchema:
    """Build the schema, a Federation 2 subgraph, from `domains` (all five by default)."""
    graft(domains)
    node_types = {name: node for domain in domains for name, node in domain.nodes.items()}
    search_types = tuple(node.graphql_type for node in node_types.values())
    root = _root_fields(node_types, search_types)
    query = merge_types("Query", (root, *(domain.query for domain in domains)))
    mutations = tuple(domain.mutation for domain in domains if domain.mutation is not None)
    mutation = merge_types("Mutation", mutations) if mutations else None
    return SubgraphSchema(
        query=query,
        mutation=mutation,
        extensions=[
            ErrorCodes,
            RootFieldPolicy,
            lambda: ValidationCache(maxsize=1024),
        ],
        federation_version=FEDERATION_VERSION,
    )


schema = compose()
