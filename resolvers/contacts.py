"""Contact persons (personal data) of companies, networks and projects.

This layer returns every contact the caller may see as a row (not deleted; published unless
staff). Who may see a contact's *personal data* is decided in the schema layer, by the
`PersonalData` field extension on every `contacts` field (schema/core/permissions.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, any_, select

from db import models
from resolvers.base import DataContext, Entity, load_grouped
from resolvers.companies import COMPANY
from resolvers.editing import Column, EditSpec, columns, email
from resolvers.networks import NETWORK
from resolvers.pagination import Direction
from resolvers.projects import PROJECT

contacts = models.table_of(models.ContactPerson)


def contact_rows_visible(ctx: DataContext) -> ColumnElement[bool]:
    live = contacts.c.deleted_at.is_(None)
    return live if ctx.sees_unpublished else live & contacts.c.published.is_(True)


async def load_contacts(ctx: DataContext, owner_column: str, owner_id: int) -> list[Any]:
    """Contacts of one company, network or project (`owner_column` names which), batched."""
    column = contacts.c[owner_column]

    def build(ids: Any) -> Select[Any]:
        return (
            select(column.label("parent_id"), contacts)
            .where(column == any_(ids), contact_rows_visible(ctx))
            .order_by(contacts.c.name, contacts.c.id)
        )

    return await load_grouped(ctx, ("contacts", owner_column), owner_id, build)


CONTACT = Entity(
    name="ContactPerson",
    table=contacts,
    orderings={},
    default_ordering="",
    default_direction=Direction.ASC,
    has_slug=False,
)

CONTACT_EDIT = EditSpec(
    entity=CONTACT,
    columns=columns(
        Column("name", required=True, max_length=200),
        Column("role", max_length=200),
        Column("email", max_length=254, check=email),
        Column("phone", max_length=40),
        Column("publication_consent"),
        Column("published"),
        Column("company_id", input="owner_id", references=COMPANY),
        Column("network_id", input="owner_id", references=NETWORK),
        Column("project_id", input="owner_id", references=PROJECT),
    ),
    slug_from=None,
)
OWNER_COLUMNS = {"Company": "company_id", "Network": "network_id", "Project": "project_id"}
