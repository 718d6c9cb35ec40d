// PostGraphile 5 (amber preset) over the benchmark's view schema `postgraphile`, the same views
// PostGraphile 4 serves (bench/load.py writes them). DATABASE_URL and PORT come from the environment.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

export default {
  extends: [PostGraphileAmberPreset],
  pgServices: [makePgService({ connectionString: process.env.DATABASE_URL, schemas: ["postgraphile"] })],
  grafserv: { host: "127.0.0.1", port: Number(process.env.PORT), graphiql: false, watch: false },
  grafast: { explain: false },
  schema: { pgForbidSetofFunctionsToReturnNull: false },
};
