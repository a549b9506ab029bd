// Run inside a network namespace (ip netns exec NS node trace-in-netns.mjs MODE): trace one
// scenario of tcp-scenarios.py there and print the records of its connection as JSON. /proc/net/tcp
// is per namespace, so the tracer's timewait lookups see this namespace's sockets.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { startKernelTrace } from "../../dist/index.js";

const mode = process.argv[2] ?? "orphan";
const started = startKernelTrace({ keep: true, timewaitEveryMs: 100 });
if (!started.ok) {
  console.error(started.missing);
  process.exit(2);
}
const script = fileURLToPath(new URL("./tcp-scenarios.py", import.meta.url));
// Asynchronously: the tracer drains trace_pipe and looks at /proc while the scenario runs.
const { stdout: out } = await promisify(execFile)("python3", [script, mode], { encoding: "utf8", timeout: 20_000 });
const { server } = JSON.parse(out.split("\n")[0]);
await new Promise((r) => setTimeout(r, 300));
const summary = await started.trace.stop();
const mine = (e) => e.endsWith(`:${server}`);
const records = started.trace.records().filter((r) => "local" in r && (mine(r.local) || mine(r.remote)));
console.log(JSON.stringify({ server, summary, records }));
