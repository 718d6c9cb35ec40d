"""Persisted documents: Apollo's automatic persisted queries and the office's trusted documents.

* APQ: a client sends `extensions.persistedQuery.sha256Hash`; unknown hashes get
  `PersistedQueryNotFound`, and the client registers the document by sending it once with its
  hash (kept in the APQ store: memory, or Redis with `REDIS_URL`).
* Trusted documents: a key with `trusted_documents_only` may only send operations the office
  registered (`upl operations register FILE`, resolvers/documents.py); anything else is refused.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request

from resolvers.accounts import sha256
from resolvers.documents import trusted_document
from resolvers.viewer import Viewer
from web.caching import Store
from web.errors import Refusal
from web.observe import record
from web.requests import Params

APQ_TTL = 24 * 3600


async def resolve_document(request: Request, params: Params, viewer: Viewer) -> str:
    """The document to run: as sent, from the APQ store, or from the trusted documents."""
    store: Store = request.app.state.apq_store
    engine: AsyncEngine = request.app.state.engine
    extension = (params.extensions or {}).get("persistedQuery")
    query: str | None = params.query
    digest: str | None = None
    if extension is not None:
        if not isinstance(extension, dict) or extension.get("version") != 1:
            raise Refusal(400, "PERSISTED_QUERY_NOT_SUPPORTED", "Unsupported persistedQuery version: use 1.")
        digest = extension.get("sha256Hash")
        if not isinstance(digest, str) or len(digest) != 64:
            raise Refusal(400, "BAD_REQUEST", "`persistedQuery.sha256Hash` must be a SHA-256 in hex.")
        digest = digest.lower()
        if query is not None:
            if sha256(query) != digest:
                raise Refusal(400, "BAD_REQUEST", "The query does not match its sha256Hash.")
            await store.set("apq:" + digest, query.encode(), APQ_TTL)
        else:
            cached = await store.get("apq:" + digest)
            query = cached.decode() if cached is not None else await trusted_document(engine, digest)
            record().trusted = cached is None and query is not None
            if query is None:
                raise Refusal(200, "PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")
    if query is None:
        raise Refusal(400, "BAD_REQUEST", "No GraphQL query found: pass `query` as a string.")
    if viewer.trusted_documents_only and await trusted_document(engine, digest or sha256(query)) is None:
        raise Refusal(403, "FORBIDDEN", "This key may only send the operations registered for it (trusted documents).")
    if viewer.trusted_documents_only:
        record().trusted = True
    return query
