// Prints, as JSON, the introspection query of graphql-js 16 and 17 for every combination of
// their options: what GraphiQL, codegen tools and schema downloaders send.
import { getIntrospectionQuery as query16, version as version16 } from "graphql";
import { getIntrospectionQuery as query17, version as version17 } from "graphql17";

const OPTIONS_16 = ["descriptions", "specifiedByUrl", "directiveIsRepeatable", "schemaDescription", "inputValueDeprecation", "oneOf"];
const OPTIONS_17 = [...OPTIONS_16, "experimentalDirectiveDeprecation"];

function* combinations(names) {
  for (let bits = 0; bits < 2 ** names.length; bits++) {
    yield Object.fromEntries(names.map((name, i) => [name, Boolean(bits & (1 << i))]));
  }
}

const queries = [];
for (const options of combinations(OPTIONS_16)) queries.push({ library: `graphql@${version16}`, options, query: query16(options) });
for (const options of combinations(OPTIONS_17)) queries.push({ library: `graphql@${version17}`, options, query: query17(options) });
for (const typeDepth of [1, 9, 15]) {
  const options = { typeDepth, inputValueDeprecation: true, oneOf: true };
  queries.push({ library: `graphql@${version17}`, options, query: query17(options) });
}
console.log(JSON.stringify(queries));
