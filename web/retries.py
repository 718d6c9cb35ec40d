"""The `Idempotency-Key` header of mutations: its form, the request's fingerprint, and settling
a claim once the answer is known (the claims themselves: resolvers/idempotency.py)."""

from __future__ import annotations

import hashlib
import logging
import re

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.responses import Response

from resolvers import idempotency
from resolvers.viewer import Viewer
from web.errors import Refusal
from web.observe import Record
from web.requests import Params

logger = logging.getLogger("upl.retries")

KEY = re.compile(r"[\x21-\x7e]{1,255}")
"""Visible ASCII, 1 to 255 characters (a UUID is the usual choice)."""
RETRYABLE = frozenset({"SERVICE_UNAVAILABLE", "TIMEOUT"})
"""Failures a retry may cure: a claim that applied nothing is given back after them."""
REUSED = "This Idempotency-Key was sent with a different request: use a new key for a new request."
RUNNING = "A request with this Idempotency-Key is still running: retry shortly."
LOST = (
    "The request with this Idempotency-Key was applied, but its answer was lost: read the data to see "
    "the result, and use a new key for a new request."
)


def parse_key(sent: str) -> str:
    """The key as sent, bare or as a structured-field string (`"..."`, as the IETF draft writes it)."""
    key = sent.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not KEY.fullmatch(key):
        raise Refusal(400, "BAD_REQUEST", "Idempotency-Key must be 1 to 255 visible ASCII characters (e.g. a UUID).")
    return key


def owner(viewer: Viewer) -> str | None:
    """Whose keys: each caller's own (a key never replays another caller's answer)."""
    if viewer.api_key_id is not None:
        return f"key:{viewer.api_key_id}"
    if viewer.user_id is not None:
        return f"user:{viewer.user_id}"
    return None


def fingerprint(query: str, params: Params) -> str:
    """The request as far as its effect goes: document, operation name, variables."""
    digest = hashlib.sha256()
    for part in (query, params.operation_name or ""):
        encoded = part.encode("utf-8", "surrogatepass")
        digest.update(len(encoded).to_bytes(8, "big") + encoded)
    digest.update(params.variables_key)
    return digest.hexdigest()


async def settle(engine: AsyncEngine, claim: idempotency.Claim, response: Response, record: Record) -> None:
    """Keep the answer; but a request that did not run (refused: a syntax, validation or variables
    error) or failed in a way a retry may cure gives its key back unless it applied something."""
    retryable = response.status_code >= 500 or record.outcome == "refused" or record.error_code in RETRYABLE
    await idempotency.settle(
        engine, claim, response.status_code, response.media_type or "", bytes(response.body), retryable=retryable
    )


async def release(engine: AsyncEngine, claim: idempotency.Claim) -> None:
    """After a refusal or a failure: the key is free again, unless something was applied."""
    try:
        await idempotency.release(engine, claim)
    except Exception as exc:  # the database away: the claim is taken over once it is stale
        logger.warning("could not release idempotency key %s: %s", claim.key[:40], type(exc).__name__)
