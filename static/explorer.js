// GraphiQL for the office's staff: the session cookie goes along, mutations carry the session's
// CSRF token, and a few saved operations open as tabs. Everything loads from this service.
// Every request carries a fresh Idempotency-Key: a mutation that a proxy resends (an instance
// dropped the connection) is then applied once; queries ignore it. Subscriptions run over a
// WebSocket with npm's graphql-ws client (served as /static/graphql-ws.js); the upgrade request
// carries the session cookie, which the service accepts from its own pages only. An operation
// with an `Upload` variable (importRun) goes as a GraphQL multipart request with the file chosen
// in the header.
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

function uploadVariable(query) {
  const declared = /\$(\w+)\s*:\s*Upload\b/.exec(query || "");
  return declared ? declared[1] : null;
}

// The GraphQL multipart request specification: `operations` with a null where the file goes,
// `map` saying where, then the file.
function multipart(params, name, file) {
  const body = new FormData();
  body.append("operations", JSON.stringify({ ...params, variables: { ...(params.variables || {}), [name]: null } }));
  body.append("map", JSON.stringify({ 0: [`variables.${name}`] }));
  body.append("0", file, file.name);
  return body;
}

async function request(params) {
  const headers = { accept: "application/json", "x-csrf-token": csrfToken };
  if (globalThis.crypto?.randomUUID) headers["idempotency-key"] = crypto.randomUUID();
  const name = uploadVariable(params.query);
  let body = JSON.stringify(params);
  if (name) {
    const file = document.getElementById("import-file").files[0];
    if (!file) return { errors: [{ message: "Choose a file in the header (File for importRun) first." }] };
    body = multipart(params, name, file);
  } else {
    headers["content-type"] = "application/json";
  }
  const response = await fetch("/graphql", { method: "POST", credentials: "same-origin", headers, body });
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

const IMPORT = `# Import: choose a CSV, XLSX or JSON lines file in the header, then run. With dryRun: true every
# row is checked and nothing is written; without it, a file with problems writes nothing unless
# partial: true. Columns: \`upl import --template companies\` (German or English names).
mutation ImportCompanies($file: Upload!) {
  importRun(input: { type: COMPANIES, file: $file, dryRun: true }) {
    report { rows created updated unchanged committed problems { row column code message } }
    userErrors { message code }
  }
}`;

const explorer = GraphiQLPluginExplorer.explorerPlugin();
const root = ReactDOM.createRoot(document.getElementById("graphiql"));
root.render(
  React.createElement(GraphiQL, {
    fetcher,
    plugins: [explorer],
    defaultEditorToolsVisibility: true,
    defaultTabs: [{ query: DIRECTORY }, { query: NETWORK_PAGE }, { query: NEWSLETTER }, { query: EDIT }, { query: LIVE }, { query: IMPORT }],
  }),
);

document.getElementById("logout").addEventListener("click", async () => {
  await fetch("/auth/logout", { method: "POST", credentials: "same-origin" });
  window.location.assign("/graphiql");
});
