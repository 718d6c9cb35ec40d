// The graphql-sse reference client (npm `graphql-sse`, distinct connections mode): subscribe to
// one operation, print the first N results as JSON, then stop.
// Usage: node sse-subscribe.mjs URL '{"query": ..., "variables": ...}' N [AUTHORIZATION]
import { createClient } from "graphql-sse";

const [url, payload, count, authorization] = process.argv.slice(2);
const client = createClient({
  url,
  singleConnection: false,
  headers: authorization ? { Authorization: authorization } : {},
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
client.dispose();
console.log(JSON.stringify(results));
