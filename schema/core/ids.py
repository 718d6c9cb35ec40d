"""Opaque global IDs for the schema: they live in resolvers/ids.py, where exports decode them too."""

from resolvers.ids import decode_id, decode_optional, encode_id

__all__ = ["decode_id", "decode_optional", "encode_id"]
