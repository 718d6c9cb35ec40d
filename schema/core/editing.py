"""Mutations in the GitHub/Shopify style: one `input:` argument, a payload with `userErrors`.

Each editable type gets the same six mutations, named noun first (`companyCreate`,
`companyUpdate`, `companyDelete`, `companyPublish`, `companyUnpublish`, `companyRestore`),
built here by `standard_mutations` from its `EditSpec` (resolvers/editing.py) and its two
input types. Deliberately no `from __future__ import annotations`: the generated resolvers
get real type objects as annotations.
"""

import dataclasses
from collections.abc import Callable
from typing import Any, Optional

import strawberry
from strawberry.tools import create_type
from strawberry.utils.str_converters import to_camel_case

from resolvers import editing
from resolvers.editing import Changes, EditSpec, Problem, Result
from resolvers.errors import UserInputError, quoted
from schema.core.context import InfoT
from schema.core.ids import decode_id
from schema.core.permissions import ADMIN_ONLY, STAFF_ONLY

ADDRESS_COLUMNS = ("street", "postal_code", "city", "ortsteil_key", "latitude", "longitude")


@strawberry.type(description="A problem with a mutation's input; nothing was changed.")
class UserError:
    field: list[str] | None = strawberry.field(description='Path to the input field, e.g. ["input", "name"].')
    message: str = strawberry.field(description="What is wrong, in words for the person who entered it.")
    code: str = strawberry.field(description="Stable code: REQUIRED, CONFLICT, NOT_FOUND, INVALID_EMAIL, ...")

    @staticmethod
    def of(problem: Problem) -> "UserError":
        return UserError(field=list(problem.field), message=problem.message, code=problem.code)


@strawberry.input(description='A postal address; the Ortsteil by its name, e.g. "Karlshorst".')
class AddressInput:
    street: str | None = strawberry.UNSET
    postal_code: str | None = strawberry.UNSET
    city: str | None = strawberry.UNSET
    ortsteil: str | None = strawberry.field(
        default=strawberry.UNSET,
        description='The Ortsteil by its name, e.g. "Karlshorst" (checked against Lichtenberg\'s ten).',
    )
    latitude: float | None = strawberry.UNSET
    longitude: float | None = strawberry.UNSET


@strawberry.input(description="Which object to delete, publish, unpublish or restore.")
class EditTargetInput:
    id: strawberry.ID
    version: int | None = strawberry.field(
        default=None, description="The version you read; when given, a newer one is a CONFLICT."
    )


def _path(*names: str) -> tuple[str, ...]:
    return ("input", *(to_camel_case(n) for n in names))


def changes_of(source: Any, spec: EditSpec) -> tuple[Changes, list[Problem]]:
    """The columns a create/update input sets (UNSET fields are left alone)."""
    changes, problems = Changes(), []
    for column in spec.columns.values():
        attr = column.input or column.name
        if column.name in ADDRESS_COLUMNS or not hasattr(source, attr):
            continue
        value = getattr(source, attr)
        if value is strawberry.UNSET:
            continue
        if (type_name := column.global_id_type) is not None and value is not None:
            try:
                value = decode_id(value, type_name)[1]
            except UserInputError as exc:
                problems.append(Problem(_path(attr), str(exc), "INVALID_ID"))
                continue
        changes.set(column.name, value, _path(attr))
    address = getattr(source, "address", strawberry.UNSET)
    if address is None:
        for name in ADDRESS_COLUMNS:
            changes.set(name, None, _path("address"))
    elif address is not strawberry.UNSET:
        for field in dataclasses.fields(address):
            value = getattr(address, field.name)
            if value is strawberry.UNSET:
                continue
            if field.name == "ortsteil":
                key = None if value is None else editing.ortsteil_key(value)
                if value is not None and key is None:
                    problems.append(
                        Problem(
                            _path("address", "ortsteil"),
                            f"{quoted(value)} is not an Ortsteil of Lichtenberg.",
                            "INVALID_ORTSTEIL",
                        )
                    )
                changes.set("ortsteil_key", key, _path("address", "ortsteil"))
            else:
                changes.set(field.name, value, _path("address", field.name))
    return changes, problems


def target_pk(global_id: str, spec: EditSpec) -> int | Problem:
    try:
        return decode_id(global_id, spec.type_name)[1]
    except UserInputError as exc:
        return Problem(("input", "id"), str(exc), "INVALID_ID")


def link_ids(ids: dict[str, tuple[str, str]]) -> tuple[int, int] | Result:
    """The primary keys of two linked objects (`{"networkId": (global_id, "Network"), ...}`)."""
    found, problems = [], []
    for field_name, (global_id, type_name) in ids.items():
        try:
            found.append(decode_id(global_id, type_name)[1])
        except UserInputError as exc:
            problems.append(Problem(("input", field_name), str(exc), "INVALID_ID"))
    if problems:
        return Result(problems=problems)
    return found[0], found[1]


def payload_type(type_name: str, node_type: type) -> type:
    """`CompanyPayload { company: Company, userErrors: [UserError!]! }` and its siblings."""
    field_name = type_name[0].lower() + type_name[1:]
    namespace = {
        "__annotations__": {field_name: Optional[node_type], "user_errors": list[UserError]},  # noqa: UP045
        field_name: None,
        "user_errors": strawberry.field(default_factory=list),
    }
    cls = type(f"{type_name}Payload", (), namespace)
    return strawberry.type(cls, description=f"The result of a {type_name} mutation: the object, or what was wrong.")


def _respond(payload: type, field_name: str, to_node: Callable[[Any], Any], result: Result) -> Any:
    node = None if result.row is None else to_node(result.row)
    return payload(**{field_name: node, "user_errors": [UserError.of(p) for p in result.problems]})


def standard_mutations(
    spec: EditSpec,
    node_type: Any,
    create_input: type,
    update_input: type,
) -> type:
    """The six mutations of an editable type, as a Strawberry type to merge into `Mutation`."""
    type_name = spec.type_name
    field_name = type_name[0].lower() + type_name[1:]
    payload = payload_type(type_name, node_type)

    def respond(result: Result) -> Any:
        return _respond(payload, field_name, node_type.from_row, result)

    async def create(info: InfoT, input: Any) -> Any:
        changes, problems = changes_of(input, spec)
        if problems:
            return respond(Result(problems=problems))
        slug = getattr(input, "slug", None)
        return respond(await editing.create(info.context, spec, changes, slug=slug or None))

    async def update(info: InfoT, input: Any) -> Any:
        pk = target_pk(input.id, spec)
        changes, problems = changes_of(input, spec)
        if isinstance(pk, Problem) or problems:
            return respond(Result(problems=[pk, *problems] if isinstance(pk, Problem) else problems))
        slug = getattr(input, "slug", None) or None
        result = await editing.update_row(
            info.context, spec, pk, input.version, changes, slug=slug, regenerate_slug=input.regenerate_slug
        )
        return respond(result)

    def on_target(operation: Callable[..., Any]) -> Callable[..., Any]:
        async def resolver(info: InfoT, input: EditTargetInput) -> Any:
            pk = target_pk(input.id, spec)
            if isinstance(pk, Problem):
                return respond(Result(problems=[pk]))
            return respond(await operation(info.context, spec, pk, input.version))

        return resolver

    async def publish(ctx: Any, spec: EditSpec, pk: int, version: int | None) -> Result:
        return await editing.set_published(ctx, spec, pk, version, True)

    async def unpublish(ctx: Any, spec: EditSpec, pk: int, version: int | None) -> Result:
        return await editing.set_published(ctx, spec, pk, version, False)

    create.__annotations__ = {"info": InfoT, "input": create_input, "return": payload}
    update.__annotations__ = {"info": InfoT, "input": update_input, "return": payload}
    fields = [
        strawberry.mutation(
            resolver=create, name=f"{field_name}Create", description=f"Create a {type_name}.", directives=STAFF_ONLY
        ),
        strawberry.mutation(
            resolver=update,
            name=f"{field_name}Update",
            description=f"Change a {type_name}: name the `version` you read; a newer one is a CONFLICT.",
            directives=STAFF_ONLY,
        ),
    ]
    for verb, operation, description, directives in (
        ("Delete", editing.delete_row, f"Delete a {type_name} (admins can restore it).", STAFF_ONLY),
        ("Publish", publish, f"Make a {type_name} public.", STAFF_ONLY),
        ("Unpublish", unpublish, f"Hide a {type_name} from everyone but staff.", STAFF_ONLY),
        ("Restore", editing.restore_row, f"Bring back a deleted {type_name} (admins only).", ADMIN_ONLY),
    ):
        resolver = on_target(operation)
        resolver.__annotations__ = {"info": InfoT, "input": EditTargetInput, "return": payload}
        fields.append(
            strawberry.mutation(
                resolver=resolver, name=f"{field_name}{verb}", description=description, directives=directives
            )
        )
    for mutation in fields:
        mutation.python_name = mutation.graphql_name or ""
    return create_type(f"{type_name}Mutations", fields)
