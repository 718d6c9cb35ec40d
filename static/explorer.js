// GraphiQL for the office's staff: the session cookie goes along, mutations carry the session's
// CSRF token, and a few saved operations open as tabs. Everything loads from this service.
// Every request carries a fresh Idempotency-Key: a mutation that a proxy resends (an instance
// dropped the connection) is then applied once; queries ignore it.
const csrfToken = document.querySelector('meta[name="upl-csrf-token"]').content;

async function fetcher(params) {
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

const explorer = GraphiQLPluginExplorer.explorerPlugin();
const root = ReactDOM.createRoot(document.getElementById("graphiql"));
root.render(
  React.createElement(GraphiQL, {
    fetcher,
    plugins: [explorer],
    defaultEditorToolsVisibility: true,
    defaultTabs: [{ query: DIRECTORY }, { query: NETWORK_PAGE }, { query: NEWSLETTER }, { query: EDIT }],
  }),
);

document.getElementById("logout").addEventListener("click", async () => {
  await fetch("/auth/logout", { method: "POST", credentials: "same-origin" });
  window.location.assign("/graphiql");
});
