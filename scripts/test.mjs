// Runs lint, then every workspace's tests through turbo, then prints one
// summary over all of them so the run ends with the totals of Node's runner.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: "inherit" }).status ?? 1;

const lintStatus = run("npx", ["biome", "check", "."]);
const testStatus = run("npx", ["turbo", "run", "test", ...process.argv.slice(2)]);

const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const totals = { tests: 0, pass: 0, fail: 0, skipped: 0, todo: 0, cancelled: 0 };
const missing = [];
for (const pattern of pkg.workspaces) {
  const dir = join(root, pattern.replace(/\/\*$/, ""));
  const workspaces = pattern.endsWith("/*")
    ? spawnSync("ls", [dir], { encoding: "utf8" })
        .stdout.split("\n")
        .filter(Boolean)
        .map((d) => join(dir, d))
    : [dir];
  for (const ws of workspaces) {
    const manifest = join(ws, "package.json");
    if (!existsSync(manifest) || !JSON.parse(readFileSync(manifest, "utf8")).scripts?.test) continue;
    const tap = join(ws, "test-results.tap");
    if (!existsSync(tap)) {
      missing.push(ws);
      continue;
    }
    for (const line of readFileSync(tap, "utf8").split("\n")) {
      const m = /^# (tests|pass|fail|skipped|todo|cancelled) (\d+)$/.exec(line);
      if (m) totals[m[1]] += Number(m[2]);
    }
  }
}
for (const ws of missing) console.log(`no test results from ${ws}`);
for (const [k, v] of Object.entries(totals)) console.log(`# ${k} ${v}`);
const failed = totals.fail + totals.cancelled + missing.length;
console.log(`tests: ${totals.pass} passed, ${failed} failed, ${totals.skipped} skipped`);
process.exit(lintStatus || testStatus || (failed > 0 ? 1 : 0));
