// The jobs subgraph: `node jobs-subgraph.mjs JOBS_JSON` serves the jobs in JOBS_JSON (written by
// the test: [{id, title, companyId, eventId, salary, workplace: {latitude, longitude}}]) on a free loopback port and
// prints `ready <url>`.
import { readFileSync } from "node:fs";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { buildSubgraphSchema } from "@apollo/subgraph";
import { parse } from "graphql";

const typeDefs = parse(readFileSync(new URL("./jobs.graphql", import.meta.url), "utf8"));
const jobs = JSON.parse(readFileSync(process.argv[2], "utf8"));
const byId = new Map(jobs.map((job) => [job.id, job]));

const resolvers = {
  Query: {
    jobs: (_, { first }) => jobs.slice(0, first),
    job: (_, { id }) => byId.get(id) ?? null,
  },
  Job: {
    __resolveReference: ({ id }) => byId.get(id) ?? null,
    company: (job) => ({ __typename: "Company", id: job.companyId }),
    presentedAt: (job) => (job.eventId ? { __typename: "Event", id: job.eventId } : null),
  },
  Company: {
    __resolveReference: ({ id }) => ({ id }),
    jobOpenings: ({ id }) => jobs.filter((job) => job.companyId === id),
  },
  Event: {
    __resolveReference: ({ id }) => ({ id }),
    jobsPresented: ({ id }) => jobs.filter((job) => job.eventId === id),
  },
};

const server = new ApolloServer({ schema: buildSubgraphSchema([{ typeDefs, resolvers }]) });
const { url } = await startStandaloneServer(server, { listen: { host: "127.0.0.1", port: 0 } });
console.log(`ready ${url}`);
