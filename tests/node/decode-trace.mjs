// Reads a base64 `extensions.ftv1` value on stdin and prints the decoded Apollo trace as JSON,
// with Apollo's own protobuf definitions (the ones a gateway and GraphOS use).
import { Trace } from "@apollo/usage-reporting-protobuf";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const trace = Trace.decode(Buffer.from(input.trim(), "base64"));
console.log(JSON.stringify(Trace.toObject(trace, { longs: Number, defaults: false })));
