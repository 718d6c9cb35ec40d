// `node client-cache.mjs URL KEY`: Apollo Client's InMemoryCache against the live endpoint, keyed
// two ways (Apollo's default `Type:id`, and by `id` alone, as clients of globally unique IDs and
// Relay's store do). Reads a page of the change feed (with the companies it names) and then
// the companies themselves, and prints, per cache, what the cache holds afterwards for each
// change and each company as JSON: {keys, changes: [{id, action}], companies: [{id, name}]}.
import { ApolloClient, HttpLink, InMemoryCache, defaultDataIdFromObject, gql } from "@apollo/client";

const [url, key] = process.argv.slice(2);
const FEED = gql`
  query Feed {
    changes(last: 50, types: [COMPANY]) {
      edges { cursor node { id objectId action type node { ... on Company { id name } } } }
      pageInfo { endCursor hasNextPage }
    }
  }
`;
const COMPANIES = gql`
  query Companies($ids: [ID!]!) { nodes(ids: $ids) { ... on Company { id name slug } } }
`;
const CHANGE = gql`fragment ChangeAction on Change { id action objectId }`;
const COMPANY = gql`fragment CompanyName on Company { id name }`;

const caches = {
  apolloDefault: new InMemoryCache(),
  globalIds: new InMemoryCache({ dataIdFromObject: (object) => object.id ?? defaultDataIdFromObject(object) }),
};
const report = {};
for (const [name, cache] of Object.entries(caches)) {
  const client = new ApolloClient({
    cache,
    link: new HttpLink({ uri: url, headers: key ? { authorization: `Bearer ${key}` } : {} }),
  });
  const feed = await client.query({ query: FEED });
  const changes = feed.data.changes.edges.map((edge) => edge.node);
  const ids = [...new Set(changes.map((change) => change.objectId))].slice(0, 100);
  await client.query({ query: COMPANIES, variables: { ids } });
  const identify = (typename, id) => (name === "globalIds" ? id : cache.identify({ __typename: typename, id }));
  report[name] = {
    keys: Object.keys(cache.extract()).length,
    changes: changes.map((c) => cache.readFragment({ id: identify("Change", c.id), fragment: CHANGE })),
    companies: ids.map((id) => cache.readFragment({ id: identify("Company", id), fragment: COMPANY })),
    expected: changes.map((c) => ({ id: c.id, action: c.action, objectId: c.objectId })),
  };
}
console.log(JSON.stringify(report));
