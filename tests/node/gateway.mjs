// `node gateway.mjs NAME=URL ...`: an Apollo Gateway composing the given subgraphs with
// IntrospectAndCompose (each subgraph's `_service { sdl }`), served on a free loopback port.
// Prints `ready <url>`.
import { ApolloGateway, IntrospectAndCompose } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";

const subgraphs = process.argv.slice(2).map((arg) => {
  const [name, url] = arg.split("=", 2);
  return { name, url };
});
const gateway = new ApolloGateway({ supergraphSdl: new IntrospectAndCompose({ subgraphs }) });
const server = new ApolloServer({ gateway });
const { url } = await startStandaloneServer(server, { listen: { host: "127.0.0.1", port: 0 } });
console.log(`ready ${url}`);
