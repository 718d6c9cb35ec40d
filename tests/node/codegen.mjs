// `node codegen.mjs SCHEMA_URL DIR`: generates TypeScript types for the operations in DIR/*.graphql
// from the live endpoint's introspection with GraphQL Code Generator (`typescript-operations`,
// which since v6 emits the enum and input types itself), writes DIR/types.ts, then type-checks
// DIR/*.ts with the TypeScript compiler (strict). Prints what tsc said; exits non-zero on any error.
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { generate } from "@graphql-codegen/cli";

const [schemaUrl, dir] = process.argv.slice(2);
await generate(
  {
    schema: schemaUrl,
    documents: join(dir, "*.graphql"),
    generates: {
      [join(dir, "types.ts")]: {
        plugins: ["typescript-operations"],
        config: { strictScalars: true, scalars: { DateTime: "string", Date: "string", Decimal: "string", JSON: "unknown", Upload: "Blob", _Any: "unknown", _FieldSet: "string", link__Import: "string" } },
      },
    },
    silent: true,
  },
  true,
);
const files = readdirSync(dir).filter((name) => name.endsWith(".ts")).map((name) => join(dir, name));
const tsc = new URL("./node_modules/.bin/tsc", import.meta.url).pathname;
execFileSync(tsc, ["--noEmit", "--strict", "--target", "es2022", "--module", "es2022", "--moduleResolution", "bundler", ...files], {
  stdio: "inherit",
});
console.log(`type-checked ${files.length} files`);
