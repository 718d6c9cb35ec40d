"""The shared core of the GraphQL layer: IDs, nodes, connections, value types, field
declarations, permissions, errors, the subgraph, descriptions, the planner, the SDL contract.

Imports `resolvers`, `db`, `settings`; never a domain module (`schema.domains`) or the HTTP side.
"""
