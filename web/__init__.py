"""The HTTP side: GraphQL over HTTP as a pipeline of stages (`web.graphql`), who is calling
(`web.auth`), the staff explorer, operation limits and rate limits, persisted documents, caching,
CORS, the iCalendar feeds, health checks and middleware.

May import `schema`, `resolvers`, `db` and `settings`; never `app` or `cli`.
"""
