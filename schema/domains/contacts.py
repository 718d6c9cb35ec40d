"""Editing contact persons: `contactPersonCreate`, `contactPersonUpdate`, `contactPersonDelete`.

A contact belongs to exactly one company, network or project (`ownerId`). Reading contacts is
each owner's `contacts` field, guarded by the `PersonalData` extension.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import strawberry
from strawberry.utils.str_converters import to_camel_case

from resolvers import editing
from resolvers.contacts import CONTACT_EDIT, OWNER_COLUMNS
from resolvers.editing import Changes, Problem, Result
from resolvers.errors import UserInputError
from schema.core.context import InfoT
from schema.core.editing import EditTargetInput, UserError, target_pk
from schema.core.ids import decode_id
from schema.core.permissions import STAFF_ONLY
from schema.core.values import ContactPerson

PERSON_FIELDS = ("name", "role", "email", "phone", "publication_consent", "published")


@strawberry.input(description="A new contact person of a company, network or project.")
class ContactPersonCreateInput:
    owner_id: strawberry.ID = strawberry.field(description="The company, network or project.")
    name: str = strawberry.field(description="Full name.")
    role: str | None = strawberry.field(default=strawberry.UNSET, description="Function, e.g. managing director.")
    email: str | None = strawberry.field(default=strawberry.UNSET, description="E-mail address.")
    phone: str | None = strawberry.field(default=strawberry.UNSET, description="Phone number.")
    publication_consent: bool = strawberry.field(
        default=False, description="True only when the person's consent to publication is on record."
    )


@strawberry.input(description="Changes to a contact person: only the fields given are changed.")
class ContactPersonUpdateInput:
    id: strawberry.ID
    version: int
    name: str | None = strawberry.UNSET
    role: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    publication_consent: bool | None = strawberry.UNSET


@strawberry.type(description="The result of a contact person mutation.")
class ContactPersonPayload:
    contact_person: ContactPerson | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)

    @staticmethod
    def of(result: Result) -> ContactPersonPayload:
        person = None if result.row is None else ContactPerson.from_row(result.row)
        return ContactPersonPayload(contact_person=person, user_errors=[UserError.of(p) for p in result.problems])


def person_changes(source: Any) -> Changes:
    changes = Changes()
    for field in dataclasses.fields(source):
        value = getattr(source, field.name)
        if field.name in PERSON_FIELDS and value is not strawberry.UNSET:
            changes.set(field.name, value, ("input", to_camel_case(field.name)))
    return changes


@strawberry.type
class ContactMutations:
    @strawberry.mutation(description="Add a contact person to a company, network or project.", directives=STAFF_ONLY)
    async def contact_person_create(self, info: InfoT, input: ContactPersonCreateInput) -> ContactPersonPayload:
        changes = person_changes(input)
        try:
            owner_type, owner_pk = decode_id(input.owner_id)
        except UserInputError as exc:
            return ContactPersonPayload.of(Result(problems=[Problem(("input", "ownerId"), str(exc), "INVALID_ID")]))
        column = OWNER_COLUMNS.get(owner_type)
        if column is None:
            problem = Problem(("input", "ownerId"), "Contacts belong to a Company, Network or Project.", "INVALID_ID")
            return ContactPersonPayload.of(Result(problems=[problem]))
        changes.set(column, owner_pk, ("input", "ownerId"))
        return ContactPersonPayload.of(await editing.create(info.context, CONTACT_EDIT, changes))

    @strawberry.mutation(description="Change a contact person: name the `version` you read.", directives=STAFF_ONLY)
    async def contact_person_update(self, info: InfoT, input: ContactPersonUpdateInput) -> ContactPersonPayload:
        pk = target_pk(input.id, CONTACT_EDIT)
        if isinstance(pk, Problem):
            return ContactPersonPayload.of(Result(problems=[pk]))
        changes = person_changes(input)
        return ContactPersonPayload.of(await editing.update_row(info.context, CONTACT_EDIT, pk, input.version, changes))

    @strawberry.mutation(description="Remove a contact person (admins can restore the row).", directives=STAFF_ONLY)
    async def contact_person_delete(self, info: InfoT, input: EditTargetInput) -> ContactPersonPayload:
        pk = target_pk(input.id, CONTACT_EDIT)
        if isinstance(pk, Problem):
            return ContactPersonPayload.of(Result(problems=[pk]))
        return ContactPersonPayload.of(await editing.delete_row(info.context, CONTACT_EDIT, pk, input.version))
