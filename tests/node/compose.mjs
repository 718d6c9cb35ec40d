// Reads [{name, url, typeDefs}] as JSON on stdin, composes the subgraphs with
// @apollo/composition and prints {errors, hints, supergraphSdl} as JSON.
import { composeServices } from "@apollo/composition";
import { parse } from "graphql";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const services = JSON.parse(input).map(({ name, url, typeDefs }) => ({ name, url, typeDefs: parse(typeDefs) }));
const result = composeServices(services);
const describe = (item) => ({ code: item.extensions?.code ?? item.definition?.code, message: item.message });
console.log(
  JSON.stringify({
    errors: (result.errors ?? []).map(describe),
    hints: (result.hints ?? []).map(describe),
    supergraphSdl: result.supergraphSdl ?? null,
  }),
);
