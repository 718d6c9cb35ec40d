"""Export filters: the GraphQL lists' filters, given as query parameters (`?ortsteil=KARLSHORST&
industryCode=62`) or CLI options (`--filter ortsteil=KARLSHORST`).

Each parameter is a field of the list's filter input under its GraphQL name; the value is read
by the field's type in the data layer's filter dataclass (enums by name, lists comma-separated,
IDs as global IDs), and the data layer makes the same SQL conditions as for the lists.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement
from strawberry.utils.str_converters import to_camel_case

from resolvers import companies, events, networks, projects, spaces
from resolvers.errors import UserInputError, quoted
from resolvers.ids import decode_id
from transfer import values
from transfer.values import Bad, Kind, Reading

Conditions = Callable[[Any], Sequence[ColumnElement[bool]]]

FILTERS: dict[str, tuple[type, Conditions]] = {
    "companies": (companies.CompanyFilter, companies.company_conditions),
    "networks": (networks.NetworkFilter, networks.network_conditions),
    "spaces": (spaces.SpaceFilter, spaces.space_conditions),
    "projects": (projects.ProjectFilter, projects.project_conditions),
    "events": (events.EventFilter, events.event_conditions),
}


KINDS: dict[Any, Kind] = {
    dt.datetime: values.DATETIME,
    dt.date: values.DATE,
    Decimal: values.NUMBER,
    int: values.INTEGER,
}
"""Parameter values are read as import cells are (a time without an offset is Berlin's)."""

INTERNAL = frozenset({"event_id"})
"""Filter fields of the data layer that the GraphQL filters do not offer (the calendar feed's)."""


def _plain_type(hint: Any) -> Any:
    """`X | None` → X."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return next(arg for arg in typing.get_args(hint) if arg is not type(None))
    return hint


def _value(name: str, hint: Any, raw: str) -> Any:
    if typing.get_origin(hint) is tuple:
        item = typing.get_args(hint)[0]
        return tuple(_value(name, item, part.strip()) for part in raw.split(",") if part.strip())
    if isinstance(hint, type) and issubclass(hint, Enum):
        try:
            return hint[raw.strip().upper()]
        except KeyError:
            choices = ", ".join(member.name for member in hint)
            raise UserInputError(f"`{to_camel_case(name)}` must be one of {choices} (got {quoted(raw)}).") from None
    if hint is int and name.endswith("_id"):
        type_name = "".join(part.title() for part in name.removesuffix("_id").split("_"))
        return decode_id(raw, type_name)[1]
    kind = KINDS.get(hint)
    if kind is not None:
        try:
            return kind.parse(raw, Reading())
        except Bad as bad:
            raise UserInputError(f"`{to_camel_case(name)}`: {bad.message}") from None
    return raw


def conditions_for(sheet_name: str, params: Mapping[str, str]) -> list[ColumnElement[bool]]:
    """The SQL conditions of an export's filter parameters (a `UserInputError` says what is wrong)."""
    if not params:
        return []
    if sheet_name not in FILTERS:
        raise UserInputError(f"Exports of {sheet_name} take no filters.")
    filter_type, conditions = FILTERS[sheet_name]
    hints = typing.get_type_hints(filter_type)
    by_camel = {to_camel_case(f.name): f.name for f in dataclasses.fields(filter_type) if f.name not in INTERNAL}
    found: dict[str, Any] = {}
    for key, raw in params.items():
        name = by_camel.get(key)
        if name is None:
            known = ", ".join(sorted(by_camel))
            raise UserInputError(f"{quoted(key)} is not a filter of {sheet_name} (known: {known}).")
        found[name] = _value(name, _plain_type(hints[name]), raw)
    return list(conditions(filter_type(**found)))
