// The plugin installs like an ordinary npm tool: `npm pack` of this package,
// then `npm install -g` of the tarball (offline: the bundle needs nothing from
// a registry) puts kubectl-lbipam and its completion on PATH, and kubectl
// finds and runs them.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { after, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const packageDirectory = fileURLToPath(new URL("../..", import.meta.url));
const fixtures = fileURLToPath(new URL("../../test/fixtures", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "kubectl-lbipam-install-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** This process's environment without an enclosing `npm test`'s settings or another kubectl-lbipam on PATH. */
function cleanEnv(extraPath: string[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.toLowerCase().startsWith("npm_") && key !== "KUBECONFIG") env[key] = value;
  }
  const rest = (process.env.PATH ?? "")
    .split(delimiter)
    .filter((entry) => entry && !existsSync(join(entry, "kubectl-lbipam")));
  return {
    ...env,
    PATH: [...extraPath, ...rest].join(delimiter),
    HOME: dir,
    KUBECONFIG: join(dir, "no-kubeconfig"),
    npm_config_update_notifier: "false",
  };
}

it("npm pack, then npm install -g of the tarball offline, puts kubectl-lbipam on PATH for kubectl", {
  timeout: 120_000,
}, async () => {
  const packed = join(dir, "packed");
  const prefix = join(dir, "global");
  const env = cleanEnv([join(prefix, "bin")]);
  mkdirSync(packed);
  await run("npm", ["pack", "--pack-destination", packed], {
    cwd: packageDirectory,
    env: { ...env, npm_config_loglevel: "error" },
  });
  const tarballs = readdirSync(packed).filter((name) => name.endsWith(".tgz"));
  assert.equal(tarballs.length, 1, String(tarballs));
  await run(
    "npm",
    ["install", "-g", "--prefix", prefix, "--offline", "--no-audit", "--no-fund", join(packed, tarballs[0]!)],
    { cwd: dir, env },
  );
  for (const bin of ["kubectl-lbipam", "kubectl_complete-lbipam"])
    assert.ok(existsSync(join(prefix, "bin", bin)), `${bin} installed`);

  const list = await run("kubectl", ["plugin", "list"], { env });
  assert.match(list.stdout, new RegExp(`${join(prefix, "bin", "kubectl-lbipam").replaceAll("/", "\\/")}`));
  const version = await run("kubectl", ["lbipam", "version"], { env });
  assert.match(version.stdout, /^kubectl-lbipam \d+\.\d+\.\d+ /);
  // The installed copy runs the policy with nothing from the repository.
  const simulated = await run("kubectl", ["lbipam", "simulate", "-f", fixtures], { env, cwd: dir });
  assert.match(simulated.stdout, /^shop\/dual +192\.0\.2\.2,2001:db8:: +- +allocated/m);
  const completed = await run("kubectl", ["__complete", "lbipam", "sim"], { env });
  assert.match(completed.stdout, /^simulate\t/);
});
