"""The GraphQL layer: types, root fields and mutations, composed from domains like federation
subgraphs, and the planner that compiles reads into one SQL statement.

* `schema.core`: what every domain shares: global IDs, nodes, connections, value types, field
  declarations (one per field, read by both execution paths), permissions, errors, the
  Federation 2 subgraph, descriptions, the planner, the SDL contract.
* `schema.domains`: one module per domain (companies, networks, spaces, projects, events,
  accounts, contacts); a domain imports only the core and the domains whose types it extends.
* `schema.compose`: `compose(domains)` builds a schema; `default_schema()` the full one, on first use.

May import `resolvers`, `db` and `settings`; never the HTTP side (`web`) or `app`. Importing
this package builds nothing.
"""
