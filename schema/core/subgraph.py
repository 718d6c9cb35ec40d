"""The schema as an Apollo Federation 2 subgraph, with federated tracing only when asked for.

Strawberry's `ApolloFederationTracingExtension` checks the header itself, but once installed its
`resolve` hook wraps every field of every request in an awaitable. Here it is added per request,
only when the gateway sends `apollo-federation-include-trace: ftv1`, so requests without the
header pay nothing for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any, Final

import strawberry
from graphql import DirectiveLocation, GraphQLDeprecatedDirective, GraphQLDirective, GraphQLError, GraphQLSchema
from strawberry.extensions import SchemaExtension
from strawberry.extensions.tracing.apollo_federation import (
    FTV1_HEADER,
    FTV1_HEADER_VALUE,
    ApolloFederationTracingExtension,
)
from strawberry.federation.schema import FederationAny
from strawberry.types import ExecutionContext, ExecutionResult, Info
from strawberry.types.graphql import OperationType

from resolvers.errors import UserInputError

FEDERATION_VERSION: Final = "2.0"
"""The lowest federation version with every directive the schema uses (`@key`, `@shareable`,
`@tag`: all in v2.0), so that every composition accepts it: The Guild's (Hive) refuses v2.10+.
Raise it only with a directive that needs it (Strawberry refuses an older version then)."""

_tracing: ContextVar[bool] = ContextVar("ftv1_tracing", default=False)


def wants_trace(request: Any | None) -> bool:
    """Did a gateway ask for federated tracing (`apollo-federation-include-trace: ftv1`)?"""
    if request is None:
        return False
    return bool(request.headers.get(FTV1_HEADER, "").lower() == FTV1_HEADER_VALUE)


class SubgraphSchema(strawberry.federation.Schema):
    node_types: dict[str, Any]
    """The composed node types by name (`compose()` sets it): what webhooks describe."""

    def entities_resolver(self, info: Info, representations: list[FederationAny]) -> list[FederationAny]:
        """Strawberry's `_entities`, with a clear error for each malformed representation.

        Strawberry fails the whole batch with an internal error when one representation is not
        an object or names no entity type; here only that entry is null, with BAD_USER_INPUT.
        """
        entity_union = self._schema.get_type("_Entity")
        entity_names = {t.name for t in getattr(entity_union, "types", ())}
        usable = [isinstance(r, dict) and r.get("__typename") in entity_names for r in representations]
        resolved = iter(
            super().entities_resolver(info, [r for r, ok in zip(representations, usable, strict=True) if ok])
        )
        return [
            next(resolved)
            if ok
            else FederationAny(
                UserInputError(
                    f"Representation {index} must be an object whose `__typename` is one of "
                    f"{', '.join(sorted(entity_names))}."
                )
            )
            for index, ok in enumerate(usable)
        ]

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        token = _tracing.set(wants_trace(getattr(context_value, "request", None)))
        try:
            return await super().execute(
                query,
                variable_values,
                context_value,
                root_value,
                operation_name,
                allowed_operation_types,
                operation_extensions,
            )
        finally:
            _tracing.reset(token)

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        """Strawberry logs every error at ERROR, the document of a syntax error included. A
        caller's mistakes (syntax, validation, user errors, refusals) are not errors of the
        service; the unexpected ones are logged by `errors.classify` with their error ID."""

    def get_extensions(self, sync: bool = False) -> list[SchemaExtension]:
        extensions = super().get_extensions(sync)
        if _tracing.get():
            extensions.append(ApolloFederationTracingExtension())
        return extensions


def standard_directive_locations(schema: GraphQLSchema) -> None:
    """Introspection shows `@deprecated` where the GraphQL spec puts it. graphql-core 3.3 also
    allows it on directive definitions (an experimental graphql-js 17 feature); graphql-js 16,
    on which most clients and GraphQL Code Generator run, cannot parse that location back and
    refuses the whole introspected schema."""
    standard = tuple(
        location
        for location in GraphQLDeprecatedDirective.locations
        if location is not DirectiveLocation.DIRECTIVE_DEFINITION
    )
    deprecated = GraphQLDirective(
        name=GraphQLDeprecatedDirective.name,
        locations=standard,
        args=GraphQLDeprecatedDirective.args,
        description=GraphQLDeprecatedDirective.description,
    )
    schema.directives = tuple(deprecated if d.name == "deprecated" else d for d in schema.directives)
