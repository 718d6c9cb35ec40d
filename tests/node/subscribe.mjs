// The reference clients of both subscription protocols: npm `graphql-ws` (graphql-transport-ws,
// with `ws` as Node's WebSocket) and npm `graphql-sse` (distinct connections mode). Subscribe to
// one operation, print the first N results as JSON, then stop.
// Usage: node subscribe.mjs ws|sse URL '{"query": ..., "variables": ...}' N [AUTHORIZATION]
import { createClient as createWsClient } from "graphql-ws";
import { createClient as createSseClient } from "graphql-sse";
import WebSocket from "ws";

const [transport, url, payload, count, authorization] = process.argv.slice(2);
const credentials = authorization ? { Authorization: authorization } : {};
const client =
  transport === "ws"
    ? createWsClient({ url, webSocketImpl: WebSocket, connectionParams: credentials, retryAttempts: 0 })
    : createSseClient({ url, singleConnection: false, headers: credentials, retryAttempts: 0 });
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
