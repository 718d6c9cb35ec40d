"""Opaque global IDs: base64 of "Type:pk", as Relay servers (GitHub, Shopify) hand them out."""

from __future__ import annotations

import base64
import binascii

from resolvers.errors import UserInputError, quoted


def encode_id(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def decode_id(global_id: str, expected: str | None = None) -> tuple[str, int]:
    """(type name, primary key) of a global ID; a clear error when it is not one of ours."""
    try:
        raw = base64.b64decode(global_id.encode(), validate=True).decode()
        type_name, _, pk_text = raw.partition(":")
        pk = int(pk_text)
        if not type_name.isalpha() or pk <= 0 or pk >= 2**63 or str(pk) != pk_text:
            raise ValueError(raw)
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise UserInputError(f"Invalid ID {quoted(global_id)}: not an ID this API issued.") from exc
    if expected is not None and type_name != expected:
        raise UserInputError(f"The ID {quoted(global_id)} is a {type_name} ID, but a {expected} ID is expected here.")
    return type_name, pk


def decode_optional(global_id: str | None, expected: str) -> int | None:
    return None if global_id is None else decode_id(global_id, expected)[1]
