"""How long the guard takes to measure (and refuse) each fragment bomb of the security tests.

Measuring is linear in the document's size: each fragment is measured once and reused at every
spread. Not a test: figures depend on the machine. Usage: `python -m bench.fragment_bombs`.
"""

from __future__ import annotations

import time

from graphql import parse

from schema.compose import default_schema
from tests.fragment_documents import BOMBS
from web import limits as guard

schema = default_schema()

ROUNDS = 200


def main() -> None:
    print(f"{'bomb':40} {'bytes':>6} {'parse ms':>9} {'measure ms':>11}  refused with")
    for name, document in BOMBS.items():
        started = time.perf_counter()
        for _ in range(ROUNDS):
            parsed = parse(document)
        parse_ms = (time.perf_counter() - started) * 1000 / ROUNDS
        code = "answered"
        started = time.perf_counter()
        for _ in range(ROUNDS):
            try:
                guard.measure(schema._schema, parsed, None, {}, guard.Limits())
            except guard.LimitError as exc:
                code = exc.code
        measure_ms = (time.perf_counter() - started) * 1000 / ROUNDS
        print(f"{name:40} {len(document.encode()):6} {parse_ms:9.3f} {measure_ms:11.3f}  {code}")


if __name__ == "__main__":
    main()
