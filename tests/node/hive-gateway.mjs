// `node hive-gateway.mjs [--exclude-tags a,b] NAME=URL ...`: Hive Gateway (The Guild) in front of
// the given subgraphs. Each subgraph's SDL is read from its `_service { sdl }`, composed with
// The Guild's own composition (`@theguild/federation-composition`, as GraphQL Hive does), or as
// a schema contract without the fields tagged with the excluded tags; the gateway is served on a
// free loopback port. Prints `ready <url>`.
import { createServer } from "node:http";
import { createGatewayRuntime } from "@graphql-hive/gateway";
import { composeSchemaContract, composeServices } from "@theguild/federation-composition";
import { parse } from "graphql";

const args = process.argv.slice(2);
let excluded = null;
if (args[0] === "--exclude-tags") {
  excluded = new Set(args[1].split(","));
  args.splice(0, 2);
}
const services = [];
for (const arg of args) {
  const [name, url] = arg.split("=", 2);
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "{ _service { sdl } }" }),
  });
  const { data } = await response.json();
  services.push({ name, url, typeDefs: parse(data._service.sdl) });
}
const result = excluded
  ? composeSchemaContract(services, { include: new Set(), exclude: excluded }, true)
  : composeServices(services);
if (result.errors) {
  console.error(JSON.stringify(result.errors.map((e) => ({ code: e.extensions?.code, message: e.message }))));
  process.exit(1);
}
const gateway = createGatewayRuntime({ supergraph: result.supergraphSdl, logging: false });
const server = createServer(gateway);
server.listen(0, "127.0.0.1", () => {
  console.log(`ready http://127.0.0.1:${server.address().port}/graphql`);
});
