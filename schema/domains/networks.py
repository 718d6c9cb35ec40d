"""The networks domain: `Network`, memberships, and `Company.networks` as an extension."""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.tools import merge_types

from db.enums import MembershipRole, NetworkKind
from resolvers import networks as data
from resolvers.base import (
    load_linked_edge,
)
from resolvers.contacts import load_contacts
from resolvers.editing import Result, set_link
from resolvers.pagination import Direction
from schema.core import jsonld
from schema.core.context import InfoT
from schema.core.domain import Domain, Extension, NodeType
from schema.core.editing import UserError, link_ids, standard_mutations
from schema.core.fields import FromRow, column, link_connection, lookup, make_connection, many
from schema.core.ids import encode_id
from schema.core.nodes import ENTITY_KEYS, Node, Referable
from schema.core.permissions import STAFF_ONLY, PersonalData
from schema.core.plans import Listing
from schema.core.values import ContactPerson
from schema.domains.companies import COMPANIES, Company


def membership_fields() -> dict[str, tuple[Any, Any]]:
    """What the edges between companies and networks carry: the membership."""
    return {
        "role": (MembershipRole, column("The company's role in the network.", "membership_role")),
        "member_since": (dt.date, column("Since when the company has been a member.", "member_since")),
    }


NetworkMemberEdge, NetworkMemberConnection = link_connection(
    Company, "NetworkMember", "A member company of a network.", membership_fields()
)


@strawberry.federation.type(keys=ENTITY_KEYS, description="A business association, network or cluster of companies.")
class Network(FromRow, Referable, Node):
    source = data.NETWORK
    pk: strawberry.Private[int]
    row: strawberry.Private[Any]
    slug: str = column("Readable unique key, used in the portal's URLs.")
    external_id: str | None = column(
        "The key in the office's own records (spreadsheets, the old CMS); imports match rows by it."
    )
    name: str = column("The network's name.")
    kind: NetworkKind = column("What kind of business association it is.")
    description: str | None = column("What the network is and does.")
    founded_on: dt.date | None = column("The day it was founded.")
    website: str | None = column("The network's website.")
    email: str | None = column("The network's public (functional) e-mail address.")
    created_at: dt.datetime = column("When the record was created (Europe/Berlin).")
    updated_at: dt.datetime = column("When the record was last changed (Europe/Berlin).")
    version: int = column("Grows with every change; an update names the version it read.")
    published: bool = column("False: only staff see it.")
    members = many(
        COMPANIES,
        data.NETWORK_MEMBERS,
        description="Member companies; each edge carries the membership.",
        connection=NetworkMemberConnection,
        edge=NetworkMemberEdge,
    )

    @strawberry.field(
        description="Contact persons. Without recorded publication consent only staff see them.",
        extensions=[PersonalData()],
    )
    async def contacts(self, info: InfoT) -> list[ContactPerson]:
        return [ContactPerson.from_row(r) for r in await load_contacts(info.context, "network_id", self.pk)]

    @strawberry.field(description="schema.org JSON-LD (Organization) for partner pages.")
    def json_ld(self) -> JSON:
        return jsonld.organization(
            "Organization",
            self.name,
            description=self.description,
            url=self.website,
            email=self.email,
            foundingDate=jsonld.iso(self.founded_on),
            areaServed="Berlin-Lichtenberg",
            identifier=self.id,
        )


CompanyNetworkEdge, CompanyNetworkConnection = link_connection(
    Network, "CompanyNetwork", "A network the company belongs to.", membership_fields()
)


@strawberry.input(description="Filters for networks.")
class NetworkFilter:
    kinds: list[NetworkKind] | None = strawberry.field(default=None, description="Networks of any of these kinds.")
    updated_since: dt.datetime | None = None
    search: str | None = None


@strawberry.enum(description="Fields to order networks by.")
class NetworkOrderField(Enum):
    NAME = "NAME"
    FOUNDED_ON = "FOUNDED_ON"
    CREATED_AT = "CREATED_AT"
    UPDATED_AT = "UPDATED_AT"


@strawberry.input
class NetworkOrder:
    field: NetworkOrderField
    direction: Direction = Direction.ASC


NETWORKS = Listing(data.NETWORK, Network, NetworkFilter, NetworkOrder, data.NetworkFilter, data.network_conditions)


@strawberry.type
class CompanyNetworks:
    """Contributed to `Company` by the networks domain."""

    networks = many(
        NETWORKS,
        data.COMPANY_NETWORKS,
        description="Networks the company is a member of; edges carry the membership.",
        connection=CompanyNetworkConnection,
        edge=CompanyNetworkEdge,
    )


@strawberry.type
class NetworkQuery:
    network = lookup(NETWORKS, description="A network by global ID or by slug.")
    networks = many(NETWORKS, description="Networks, filtered and ordered, as a Relay connection.")


@strawberry.input(description="A new network; `slug` is made from the name unless given.")
class NetworkCreateInput:
    name: str
    kind: NetworkKind
    slug: str | None = None
    description: str | None = strawberry.UNSET
    founded_on: dt.date | None = strawberry.UNSET
    website: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    origin_project_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="The project the network came out of, if any."
    )
    published: bool = True


@strawberry.input(description="Changes to a network: only the fields given are changed.")
class NetworkUpdateInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version you read.")
    name: str | None = strawberry.UNSET
    kind: NetworkKind | None = strawberry.UNSET
    slug: str | None = None
    regenerate_slug: bool = False
    description: str | None = strawberry.UNSET
    founded_on: dt.date | None = strawberry.UNSET
    website: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    origin_project_id: strawberry.ID | None = strawberry.UNSET


NetworkMutations = standard_mutations(data.NETWORK_EDIT, Network, NetworkCreateInput, NetworkUpdateInput)


@strawberry.input(description="A company joining a network.")
class NetworkMemberAddInput:
    network_id: strawberry.ID = strawberry.field(description="The network.")
    company_id: strawberry.ID = strawberry.field(description="The company joining it.")
    role: MembershipRole = strawberry.field(
        default=MembershipRole.MEMBER, description="Its role in the network (default: member)."
    )
    member_since: dt.date | None = strawberry.field(default=None, description="Default: today.")


@strawberry.input(description="A company leaving a network.")
class NetworkMemberRemoveInput:
    network_id: strawberry.ID = strawberry.field(description="The network.")
    company_id: strawberry.ID = strawberry.field(description="The company leaving it.")


@strawberry.type(description="The result of a membership change: the network, the company, or what was wrong.")
class NetworkMemberPayload:
    network: Network | None = strawberry.field(default=None, description="The network, as it is now.")
    company: Company | None = strawberry.field(default=None, description="The company, as it is now.")
    removed_member_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="`networkMemberRemove`: the ID of the company whose edge left `Network.members` and whose "
        "network left `Company.networks` (for Relay's `@deleteEdge`).",
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="What was wrong, if anything.")
    added: strawberry.Private[bool] = False

    @strawberry.field(
        description="`networkMemberAdd`: the new edge of `Network.members`, with its cursor and the membership "
        "(append it to a cached connection: Relay's `@appendEdge`)."
    )
    async def member_edge(self, info: InfoT) -> NetworkMemberEdge | None:  # type: ignore[valid-type]
        if not self.added or self.network is None or self.company is None:
            return None
        page = await load_linked_edge(info.context, data.NETWORK_MEMBERS, self.network.pk, self.company.pk)
        edges = make_connection(NetworkMemberConnection, NetworkMemberEdge, page, Company, _none).edges
        return edges[0] if edges else None

    @strawberry.field(description="`networkMemberAdd`: the new edge of `Company.networks`.")
    async def network_edge(self, info: InfoT) -> CompanyNetworkEdge | None:  # type: ignore[valid-type]
        if not self.added or self.network is None or self.company is None:
            return None
        page = await load_linked_edge(info.context, data.COMPANY_NETWORKS, self.company.pk, self.network.pk)
        edges = make_connection(CompanyNetworkConnection, CompanyNetworkEdge, page, Network, _none).edges
        return edges[0] if edges else None

    @staticmethod
    def of(result: Result, added: bool) -> NetworkMemberPayload:
        errors = [UserError.of(p) for p in result.problems]
        if result.row is None:
            return NetworkMemberPayload(user_errors=errors)
        network, company = result.row
        return NetworkMemberPayload(
            network=Network.from_row(network),
            company=Company.from_row(company),
            removed_member_id=None if added else strawberry.ID(encode_id("Company", company.id)),
            added=added,
        )


async def _none() -> int:
    return 0


async def membership(info: InfoT, network_id: str, company_id: str, adding: bool, extra: dict[str, Any]) -> Result:
    ids = link_ids({"networkId": (network_id, "Network"), "companyId": (company_id, "Company")})
    if isinstance(ids, Result):
        return ids
    return await set_link(info.context, data.NETWORK_MEMBERSHIPS, ids[0], ids[1], adding, extra)


@strawberry.type
class MembershipMutations:
    @strawberry.mutation(description="Add a company to a network, with its role and since-date.", directives=STAFF_ONLY)
    async def network_member_add(self, info: InfoT, input: NetworkMemberAddInput) -> NetworkMemberPayload:
        since = input.member_since or dt.date.today()
        extra = {"role": input.role, "member_since": since}
        return NetworkMemberPayload.of(await membership(info, input.network_id, input.company_id, True, extra), True)

    @strawberry.mutation(description="Remove a company from a network.", directives=STAFF_ONLY)
    async def network_member_remove(self, info: InfoT, input: NetworkMemberRemoveInput) -> NetworkMemberPayload:
        return NetworkMemberPayload.of(await membership(info, input.network_id, input.company_id, False, {}), False)


DOMAIN = Domain(
    name="networks",
    query=NetworkQuery,
    mutation=merge_types("NetworkDomainMutations", (NetworkMutations, MembershipMutations)),
    nodes={"Network": NodeType(data.NETWORK, Network)},
    extensions=[Extension(Company, CompanyNetworks)],
)
