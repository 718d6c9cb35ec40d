// Fetches a network's next events from the UPL GraphQL API and lists them. The API answers the
// CORS preflight for origins registered with the key; no cookies are sent.
const params = new URLSearchParams(window.location.search);
const api = params.get("api") || "http://127.0.0.1:8000/graphql";
const network = params.get("network") || "unternehmensnetzwerk-herzbergstrasse";
const key = params.get("key");

const QUERY = `query PartnerEvents($slug: String!, $from: DateTime!) {
  network(slug: $slug) {
    name
    events(first: 10, filter: { startsAfter: $from }) {
      nodes { title startsAt venue { name } }
    }
  }
}`;

async function load() {
  const headers = { "content-type": "application/json", accept: "application/json" };
  if (key) headers.authorization = `Bearer ${key}`;
  const response = await fetch(api, {
    method: "POST",
    headers,
    body: JSON.stringify({ query: QUERY, variables: { slug: network, from: new Date().toISOString() } }),
  });
  const body = await response.json();
  const list = document.getElementById("events");
  list.innerHTML = "";
  if (body.errors || !body.data.network) {
    list.innerHTML = "<li>Die Termine können gerade nicht geladen werden.</li>";
    return;
  }
  document.getElementById("title").textContent = `Termine: ${body.data.network.name}`;
  for (const event of body.data.network.events.nodes) {
    const item = document.createElement("li");
    const time = document.createElement("time");
    time.dateTime = event.startsAt;
    time.textContent = new Date(event.startsAt).toLocaleString("de-DE", { timeZone: "Europe/Berlin" });
    item.append(time, event.title + (event.venue.name ? ` – ${event.venue.name}` : ""));
    item.className = "event";
    list.append(item);
  }
}

load();
