"""The data layer: per domain its visibility rule, filters, orderings and links as SQLAlchemy
expressions (`Entity`, `Link`), batched loaders (one statement per level), validated and audited
writes. Returns rows and knows nothing of GraphQL.

May import `db` and `settings`; never `schema`, `web`, `app` or `cli`.
"""
