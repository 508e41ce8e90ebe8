// `npm run bench` runs every suite; `npm run bench -- allocator apiserver` runs those;
// `npm run bench -- apiserver --against COMMIT` compares the API server with that commit's.
// Each suite's results go to bench/results/<suite>.json with the machine they ran on.
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type BenchResult, machineInfo, type SuiteOptions, type SuiteReport } from "./harness.js";
import { writeReport } from "./report.js";

const here = dirname(fileURLToPath(import.meta.url));
const resultsDir = join(here, "..", "..", "results");
const available = readdirSync(join(here, "suites"))
  .filter((file) => file.endsWith(".js"))
  .map((file) => file.slice(0, -3))
  .sort();

const { values: options, positionals: requested } = parseArgs({
  options: { against: { type: "string" } },
  allowPositionals: true,
});
const unknown = requested.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  console.error(`unknown suite(s): ${unknown.join(", ")}; available: ${available.join(", ")}`);
  process.exit(2);
}
if (options.against !== undefined && (requested.length !== 1 || requested[0] !== "apiserver")) {
  console.error("--against compares API servers: run it with the apiserver suite alone");
  process.exit(2);
}

mkdirSync(resultsDir, { recursive: true });
let missed = 0;
for (const suite of requested.length > 0 ? requested : available) {
  console.log(`\n== ${suite}`);
  const module = (await import(`./suites/${suite}.js`)) as {
    run: (options: SuiteOptions) => Promise<BenchResult[]>;
  };
  const results = await module.run(options);
  const report: SuiteReport = { suite, date: new Date().toISOString(), machine: machineInfo(), results };
  writeFileSync(join(resultsDir, `${suite}.json`), `${JSON.stringify(report, null, 2)}\n`);
  for (const r of results) {
    const verdict = r.pass === null ? "    " : r.pass ? "pass" : "MISS";
    if (r.pass === false) missed++;
    console.log(
      `${verdict}  ${r.name.padEnd(28)} ${formatValue(r.value).padStart(14)} ${r.unit.padEnd(14)} target ${r.target}`,
    );
    if (r.note) console.log(`      ${r.note}`);
  }
  console.log(`results written to bench/results/${suite}.json`);
}
console.log(missed === 0 ? "\nall targets met" : `\n${missed} target(s) missed (see docs/benchmarks.md)`);
// Every suite ran: chart them all.
if (requested.length === 0)
  console.log(`report written to ${await writeReport(resultsDir, join(here, "..", ".."))}`);

function formatValue(value: number): string {
  return Math.abs(value) >= 1000 ? Math.round(value).toLocaleString("en-US") : value.toPrecision(4);
}
