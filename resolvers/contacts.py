"""Contact persons (personal data): only contacts with recorded publication consent are served.

Staff roles (a later issue) will see all; until then nobody sees a contact without consent.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, any_, select

from db import models
from resolvers.base import DataContext, load_grouped

contacts = models.table_of(models.ContactPerson)


def contact_visible() -> ColumnElement[bool]:
    return contacts.c.publication_consent.is_(True) & contacts.c.published.is_(True)


async def load_contacts(ctx: DataContext, owner_column: str, owner_id: int) -> list[Any]:
    """Visible contacts of one company, network or project (`owner_column` names which)."""
    column = contacts.c[owner_column]

    def build(ids: Any) -> Select[Any]:
        return (
            select(column.label("parent_id"), contacts)
            .where(column == any_(ids), contact_visible())
            .order_by(contacts.c.name, contacts.c.id)
        )

    return await load_grouped(ctx, ("contacts", owner_column), owner_id, build)
