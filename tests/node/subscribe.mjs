// The graphql-ws reference client (npm `graphql-ws`, with `ws` as Node's WebSocket): subscribe to
// one operation, print the first N results as JSON, then complete.
// Usage: node subscribe.mjs WS_URL '{"query": ..., "variables": ...}' N [AUTHORIZATION]
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, payload, count, authorization] = process.argv.slice(2);
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: authorization ? { Authorization: authorization } : {},
  retryAttempts: 0,
});
const results = [];
const want = Number(count);
let timer;
await new Promise((resolve, reject) => {
  const unsubscribe = client.subscribe(JSON.parse(payload), {
    next: (value) => {
      results.push(value);
      if (results.length >= want) {
        unsubscribe();
        resolve();
      }
    },
    error: reject,
    complete: resolve,
  });
  timer = setTimeout(() => reject(new Error(`timed out with ${results.length} of ${want} results`)), 15000);
});
clearTimeout(timer);
await client.dispose();
console.log(JSON.stringify(results));
