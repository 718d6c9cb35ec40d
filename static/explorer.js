// GraphiQL for the office's staff: the session cookie goes along, mutations carry the session's
// CSRF token, and a few saved operations open as tabs. Everything loads from this service.
// Every request carries a fresh Idempotency-Key: a mutation that a proxy resends (an instance
// dropped the connection) is then applied once; queries ignore it. Subscriptions run over a
// WebSocket with npm's graphql-ws client (served as /static/graphql-ws.js); the upgrade request
// carries the session cookie, which the service accepts from its own pages only.
const csrfToken = document.querySelector('meta[name="upl-csrf-token"]').content;

const socket = graphqlWs.createClient({
  url: `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`,
  lazy: true, // connected while a subscription runs
  retryAttempts: 5, // a restarting instance closes with 1001: reconnect (to another one)
});

function isSubscription({ query, operationName }) {
  const named = operationName ? new RegExp(`\\bsubscription\\s+${operationName}\\b`) : null;
  return named ? named.test(query) : /^\s*(#[^\n]*\n\s*)*subscription\b/.test(query);
}

function fetcher(params) {
  return isSubscription(params) ? socket.iterate(params) : request(params);
}

async function request(params) {
  const headers = { "content-type": "application/json", accept: "application/json", "x-csrf-token": csrfToken };
  if (globalThis.crypto?.randomUUID) headers["idempotency-key"] = crypto.randomUUID();
  const response = await fetch("/graphql", {
    method: "POST",
    credentials: "same-origin",
    headers,
    body: JSON.stringify(params),
  });
  return response.json();
}

const DIRECTORY = `# Company directory: companies of an Ortsteil, with industry and networks
query CompanyDirectory($ortsteil: OrtsteilKey = KARLSHORST) {
  companies(first: 20, filter: { ortsteil: $ortsteil }) {
    totalCount
    nodes { name legalForm industry { code title } address { street postalCode } networks(first: 5) { nodes { name } } }
  }
}`;

const NETWORK_PAGE = `# Network page: a network, its members and its next events
query NetworkPage {
  network(slug: "unternehmensnetzwerk-herzbergstrasse") {
    name foundedOn description
    members(first: 20) { totalCount edges { role memberSince node { name } } }
    events(first: 10) { nodes { title startsAt venue { name address { street } } } }
    contacts { name role email phone publicationConsent }
  }
}`;

const NEWSLETTER = `# Newsletter: the next events with venue, host and network
query NewsletterEvents {
  events(first: 20) {
    nodes { title kind startsAt venue { name address { street postalCode } } host { name } network { name } }
  }
}`;

const EDIT = `# An edit: read the version, then send it with the change (a stale version is a CONFLICT)
query ReadEvent { events(first: 1) { nodes { id title version } } }

mutation RenameEvent($id: ID!, $version: Int!) {
  eventUpdate(input: { id: $id, version: $version, title: "Neuer Titel" }) {
    event { id title version }
    userErrors { field message code }
  }
}`;

const LIVE = `# Live: changes as they are committed (edit something in another tab), then a live list
subscription EventChanges {
  changes(types: [EVENT]) { cursor node { objectId action at } }
}

subscription NextWorkshops {
  events(first: 5, filter: { kinds: [WORKSHOP] }) { nodes { title startsAt } }
}`;

const explorer = GraphiQLPluginExplorer.explorerPlugin();
const root = ReactDOM.createRoot(document.getElementById("graphiql"));
root.render(
  React.createElement(GraphiQL, {
    fetcher,
    plugins: [explorer],
    defaultEditorToolsVisibility: true,
    defaultTabs: [{ query: DIRECTORY }, { query: NETWORK_PAGE }, { query: NEWSLETTER }, { query: EDIT }, { query: LIVE }],
  }),
);

document.getElementById("logout").addEventListener("click", async () => {
  await fetch("/auth/logout", { method: "POST", credentials: "same-origin" });
  window.location.assign("/graphiql");
});
