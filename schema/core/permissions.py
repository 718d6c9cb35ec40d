"""Who may use which part of the schema, enforced in the schema layer.

* Root fields carry federation `@tag`s that say who may use them, so the same declaration that
  lets a gateway build a public contract (leaving out `staff`/`admin` tagged fields) also
  decides here: `RootFieldPolicy` checks every root field of an operation before anything runs.
  - every mutation needs a STAFF or ADMIN caller; `@tag(name: "admin")` ones need ADMIN;
  - a query field tagged `admin` needs ADMIN, `staff` needs STAFF or ADMIN;
  - a NEWSLETTER key may only use query fields tagged `newsletter` (events and what they link).
* Personal data: `PersonalData` is a field extension on every `contacts` field; callers other
  than staff get only contacts with recorded publication consent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from functools import cache
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_operation_ast,
)
from strawberry.extensions import FieldExtension, SchemaExtension
from strawberry.federation.schema_directives import Tag
from strawberry.types import Info
from strawberry.types.graphql import OperationType as StrawberryOperationType

from db.enums import Role
from resolvers.viewer import Viewer

STAFF = "staff"
ADMIN = "admin"
NEWSLETTER = "newsletter"
INTROSPECTION = frozenset({"__typename", "__schema", "__type"})
FOR_NEWSLETTER = [Tag(name=NEWSLETTER)]
STAFF_ONLY = [Tag(name=STAFF)]
"""`directives=` of a staff-only root field (every mutation carries it, so a gateway contract can drop them)."""
ADMIN_ONLY = [Tag(name=ADMIN)]
"""`directives=` of a root query field a newsletter key may use."""


def forbidden(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "FORBIDDEN"})


def unauthenticated(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "UNAUTHENTICATED"})


def root_fields(selection_set: SelectionSetNode, fragments: dict[str, Any]) -> set[str]:
    """Names of the root fields an operation selects, through inline fragments and spreads.

    Each fragment is visited once however often it is spread (a fragment bomb stays linear).
    """
    names: set[str] = set()
    visited: set[str] = set()

    def visit(selections: SelectionSetNode) -> None:
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                visit(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in visited:
                visited.add(selection.name.value)
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    visit(fragment.selection_set)

    visit(selection_set)
    return names


class RootFieldPolicy(SchemaExtension):
    """Refuses, before execution, an operation whose root fields the caller may not use."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        viewer: Viewer = getattr(context, "viewer", None) or Viewer()
        document = self.execution_context.graphql_document
        operation = get_operation_ast(document, self.execution_context.operation_name) if document else None
        if document is not None and operation is not None:
            names = getattr(context, "root_fields", None)  # measured by the HTTP pipeline's guard
            if not names:
                fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
                names = frozenset(root_fields(operation.selection_set, fragments))
            if hasattr(context, "root_fields"):
                context.root_fields = names
                context.operation_type = StrawberryOperationType(operation.operation.value)
            error = self.refusal(viewer, operation, names)
            if error is not None:
                raise error
        yield

    def refusal(self, viewer: Viewer, operation: OperationDefinitionNode, names: frozenset[str]) -> GraphQLError | None:
        return refusal(self.execution_context.schema, viewer, operation, names)


def refusal(
    schema: Any, viewer: Viewer, operation: OperationDefinitionNode, names: frozenset[str]
) -> GraphQLError | None:
    """Why `viewer` may not run these root fields (the same rule for the planner's path)."""
    type_name = "Mutation" if operation.operation is OperationType.MUTATION else "Query"
    for name in sorted(names):
        if name in INTROSPECTION:
            continue
        tags = field_tags(schema, type_name, name)
        if type_name == "Mutation" and not viewer.is_staff:
            if viewer.role is Role.ANONYMOUS:
                return unauthenticated(f"`{name}` changes data: log in as staff or send a staff API key.")
            return forbidden(f"`{name}` changes data: only staff may do that.")
        if ADMIN in tags and not viewer.is_admin:
            return forbidden(f"`{name}` is for admins only.")
        if STAFF in tags and not viewer.is_staff:
            return forbidden(f"`{name}` is for staff only.")
        if viewer.role is Role.NEWSLETTER and type_name == "Query" and NEWSLETTER not in tags:
            return forbidden(f"A newsletter key may read events only; `{name}` is not available to it.")
    return None


@cache
def field_tags(schema: Any, type_name: str, field_name: str) -> frozenset[str]:
    """The `@tag` names of a root field (cached per schema)."""
    field = schema.get_field_for_type(field_name, type_name)
    if field is None:
        return frozenset()
    return frozenset(d.name for d in field.directives if isinstance(d, Tag))


def personal_data_allowed(context: Any, contacts: list[Any]) -> list[Any]:
    """The contacts (rows or objects) this caller may see: staff all, others those with recorded
    publication consent. Marks the response as holding personal data (never shared-cached)."""
    shown = contacts if context.viewer.is_staff else [c for c in contacts if c.publication_consent]
    if shown and hasattr(context, "personal_data"):
        context.personal_data = True
    return shown


class PersonalData(FieldExtension):
    """Only staff see contacts without recorded publication consent (on every `contacts` field)."""

    @staticmethod
    def _allowed(info: Info[Any, Any], contacts: list[Any]) -> list[Any]:
        return personal_data_allowed(info.context, contacts)

    def resolve(self, next_: Callable[..., Any], source: Any, info: Info[Any, Any], **kwargs: Any) -> Any:
        return self._allowed(info, next_(source, info, **kwargs))

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info[Any, Any], **kwargs: Any
    ) -> Any:
        return self._allowed(info, await next_(source, info, **kwargs))
