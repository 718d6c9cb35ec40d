"""Descriptions that follow from a thing's kind, derived once for the whole composed schema.

GraphiQL's documentation is what partners read, so every type, field, argument, enum value and
input field has a description (tests/schema/test_relay.py walks the introspection). Domain fields are
described where they are declared; what is the same everywhere is said here once: connections,
edges and their paging arguments, orderings, payloads, the standard edit inputs (whose fields
take the description of the object field they set), filters' shared fields, the federation
types. `describe(schema)` fills in only what the declarations left empty.
"""

from __future__ import annotations

import re
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
)

from schema.core.connections import AFTER, BEFORE, FIRST, LAST

ARGUMENTS = {
    "first": FIRST,
    "after": AFTER,
    "last": LAST,
    "before": BEFORE,
    "filter": "Only the items matching all of these conditions.",
    "orderBy": "The order of the items (default: each list's natural order, e.g. by name).",
    "input": "What to do: one input object, as every mutation takes.",
    "id": "A global ID, as `id` fields return it.",
    "slug": "The object's slug, its readable unique key in URLs.",
    "representations": "Federation: the entity keys (`__typename` and `id` or `slug`) a gateway resolves.",
}
FIELDS = {
    "pageInfo": "Where this page is: Relay page information.",
    "edges": "The items of this page with their cursors.",
    "nodes": "The items of `edges`, for clients that need no cursors.",
    "cursor": "This item's cursor: pass it as `after` (or `before`) to page from here.",
    "userErrors": "What was wrong with the input; empty when the mutation was applied.",
    "createdAt": "When the record was created (Europe/Berlin).",
    "updatedAt": "When the record was last changed (Europe/Berlin).",
    "version": "Grows with every change; send it back with an update to detect conflicting edits.",
    "slug": "Readable unique key, used in the portal's URLs.",
    "_service": "Federation: this subgraph's SDL, for gateways.",
    "_entities": "Federation: the entities for a gateway's representations (null where unknown or hidden).",
    "sdl": "The subgraph SDL, as `schema.graphql` holds it.",
}
INPUT_FIELDS = {
    "id": "The global ID of the object to change.",
    "version": "The `version` you read: a newer one is a CONFLICT (omit to overwrite).",
    "slug": "The slug to use (default: made from the name or title).",
    "regenerateSlug": "Make a new slug from the new name or title.",
    "published": "Whether outsiders (anonymous, partner and newsletter callers) see it.",
    "updatedSince": "Only items changed at or after this time (with offset): for incremental syncs.",
    "search": "German full-text search with prefix matching, e.g. `Herzberg`.",
    "direction": "Ascending (default) or descending.",
    "field": "What to order by.",
}
ORDER_VALUES = {
    "NAME": "By name.",
    "TITLE": "By title.",
    "CREATED_AT": "By when the record was created.",
    "UPDATED_AT": "By when the record was last changed.",
    "FOUNDED_YEAR": "By founding year (unknown ones last).",
    "FOUNDED_ON": "By founding date (unknown ones last).",
    "START_AT": "By start time.",
    "START_ON": "By start date.",
    "TOTAL_VOLUME": "By total volume.",
    "AREA": "By area in m².",
    "RENT": "By rent per m² (unknown ones last).",
    "AVAILABLE_FROM": "By the date from which it is available (unknown ones last).",
}
TYPES = {
    "Query": "Reading the portal's data.",
    "Mutation": "Changing the portal's data (staff only; each mutation is one transaction and one audit entry).",
    "SearchResult": "What `search` finds: a company, network, space, project or event.",
    "_Any": "Federation: an entity representation (any JSON object with `__typename`).",
    "_Entity": "Federation: the types a gateway can resolve by key.",
    "_FieldSet": "Federation: a selection of fields, as `@key` takes it.",
    "_Service": "Federation: what a gateway asks a subgraph about itself.",
    "link__Import": "Federation (`@link`): a name imported from a linked specification.",
    "link__Purpose": "Federation (`@link`): why a specification is linked.",
}
ENUM_VALUES = {
    "link__Purpose": {
        "SECURITY": "The linked specification affects who may access what.",
        "EXECUTION": "The linked specification affects how the schema is executed.",
    }
}


def article(text: str) -> str:
    """`event item ...` → `An event item ...`."""
    return ("An " if text[0] in "aeiou" else "A ") + text


def words(name: str) -> str:
    """`CompanyNetwork` → `company network`."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()


def type_description(name: str) -> str | None:
    if name in TYPES:
        return TYPES[name]
    for suffix, text in (
        ("Connection", "A page of {} items (a Relay connection)."),
        ("Edge", "{} item and its cursor."),
        ("OrderField", "What {} lists can be ordered by."),
        ("Order", "How to order a list of {} items."),
        ("Payload", "The result of a {} mutation: the object as it is now, or what was wrong."),
    ):
        if name.endswith(suffix):
            text = text.format(words(name.removesuffix(suffix)))
            return article(text) if suffix == "Edge" else text
    return None


def field_sources(schema: GraphQLSchema, input_name: str) -> list[Any]:
    """The types whose same-named fields an edit input sets: `CompanyUpdateInput` →
    `CompanyCreateInput`, `Company`; `AddressInput` → `Address`, `GeoPoint`."""
    names = {
        "CreateInput": ["{}"],
        "UpdateInput": ["{}CreateInput", "{}"],
        "Input": ["{}", "GeoPoint" if input_name == "AddressInput" else ""],
    }
    for suffix, candidates in names.items():
        if input_name.endswith(suffix):
            base = input_name.removesuffix(suffix)
            found = [schema.get_type(c.format(base)) for c in candidates if c]
            return [
                t for t in found if isinstance(t, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType)
            ]
    return []


def describe(schema: GraphQLSchema) -> None:
    """Fill in every description the declarations left empty that follows from its kind (output
    types first: edit inputs take their fields' descriptions from them)."""
    types = [t for t in schema.type_map.values() if not t.name.startswith("__")]
    order = {True: 1, False: 0}
    for type_ in sorted(
        types, key=lambda t: (isinstance(t, GraphQLInputObjectType), order[t.name.endswith("UpdateInput")])
    ):
        if not type_.description:
            type_.description = type_description(type_.name)
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in type_.fields.items():
                if not field.description:
                    field.description = _field(type_.name, field_name, field)
                for argument_name, argument in field.args.items():
                    if not argument.description:
                        argument.description = ARGUMENTS.get(argument_name)
        elif isinstance(type_, GraphQLInputObjectType):
            sources = field_sources(schema, type_.name)
            for field_name, input_field in type_.fields.items():
                if input_field.description:
                    continue
                same = [s.fields[field_name].description for s in sources if field_name in s.fields]
                input_field.description = INPUT_FIELDS.get(field_name) or next(filter(None, same), None)
        elif isinstance(type_, GraphQLEnumType):
            values = ENUM_VALUES.get(type_.name, ORDER_VALUES if type_.name.endswith("OrderField") else {})
            for value_name, value in type_.values.items():
                if not value.description:
                    value.description = values.get(value_name)
        elif isinstance(type_, GraphQLUnionType) and not type_.description:
            type_.description = TYPES.get(type_.name)


def _field(type_name: str, field_name: str, field: Any) -> str | None:
    if field_name in FIELDS and field_name != "node":
        return FIELDS[field_name]
    if field_name == "node" and type_name.endswith("Edge"):
        return f"The {words(get_named_type(field.type).name)}."
    if type_name.endswith("Payload") and isinstance(get_named_type(field.type), GraphQLObjectType):
        return f"The {words(get_named_type(field.type).name)} as it is now (null when nothing was changed)."
    return FIELDS.get(field_name)


def undescribed(schema: GraphQLSchema) -> list[str]:
    """Every type, field, argument, enum value and input field without a description."""
    missing = []
    for type_ in schema.type_map.values():
        if type_.name.startswith("__"):
            continue
        if not type_.description:
            missing.append(type_.name)
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            for name, field in type_.fields.items():
                missing += [f"{type_.name}.{name}"] if not field.description else []
                missing += [f"{type_.name}.{name}({a})" for a, arg in field.args.items() if not arg.description]
        elif isinstance(type_, GraphQLInputObjectType):
            missing += [f"{type_.name}.{name}" for name, f in type_.fields.items() if not f.description]
        elif isinstance(type_, GraphQLEnumType):
            missing += [f"{type_.name}.{name}" for name, v in type_.values.items() if not v.description]
    return missing
