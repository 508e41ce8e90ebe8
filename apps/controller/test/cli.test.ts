// The `lbipam` CLI as a user runs it: flags, the ready line, the kubeconfig, clean shutdown.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../../bin/lbipam.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "lbipam-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(
  args: string[],
  options: { node?: string[]; env?: NodeJS.ProcessEnv } = {},
): { child: ChildProcess; finished: Promise<Finished>; output: () => string } {
  const child = spawn(process.execPath, [...(options.node ?? []), bin, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: options.env ?? process.env,
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const finished = new Promise<Finished>((resolve) =>
    child.on("close", (code) => resolve({ code, stdout, stderr })),
  );
  return { child, finished, output: () => stdout };
}

function waitForLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = "";
    child.stdout?.on("data", (c: Buffer) => {
      seen += c.toString();
      const line = seen.split("\n").find((l) => pattern.test(l));
      if (line) resolve(line);
    });
    child.on("close", () => reject(new Error(`exited before printing ${pattern}: ${seen}`)));
  });
}

function getJson(
  url: string,
  ca: string,
  token: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    request(url, { ca, headers: { Authorization: `Bearer ${token}` } }, (res) => {
      let text = "";
      res.on("data", (c: Buffer) => {
        text += c.toString();
      });
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }),
      );
    })
      .on("error", reject)
      .end();
  });
}

/** A merge patch (or any JSON request); resolves to the status code. */
function sendJson(method: string, url: string, body: unknown, ca: string, token: string): Promise<number> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    request(
      url,
      {
        method,
        ca,
        headers: {
          Authorization: `Bearer ${token}`,
          "Content-Type": "application/merge-patch+json",
          "Content-Length": Buffer.byteLength(text),
        },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    )
      .on("error", reject)
      .end(text);
  });
}

for (const [args, problem] of [
  [[], /no command given/],
  [["frobnicate"], /unknown command "frobnicate"/],
  [["apiserver", "--bogus"], /Unknown option '--bogus'/],
  [["apiserver", "--listen", "localhost"], /--listen: "localhost" is not HOST:PORT/],
  [["apiserver", "--listen", "127.0.0.1:70000"], /is not HOST:PORT/],
  [["apiserver", "--kubernetes-version", "latest"], /invalid option kubernetesVersion/],
  [["apiserver", "--crds", "/nonexistent/crds"], /--crds: no such directory/],
] as const) {
  test(`lbipam ${args.join(" ") || "(nothing)"} exits 2 with a clear error`, async () => {
    const { code, stderr } = await run([...args]).finished;
    assert.equal(code, 2);
    assert.match(stderr, problem);
    assert.match(stderr, /usage: lbipam/);
  });
}

test("lbipam apiserver serves the CRDs, writes a kubeconfig, stops on SIGTERM", {
  timeout: 30_000,
}, async () => {
  const kubeconfig = join(dir, "kubeconfig");
  const server = run(["apiserver", "--listen", "127.0.0.1:0", "--kubeconfig-out", kubeconfig]);
  const ready = await waitForLine(server.child, /ready/);
  const url = /https:\/\/127\.0\.0\.1:\d+/.exec(ready)?.[0];
  assert.ok(url, ready);
  assert.ok(ready.includes(kubeconfig));
  const config = readFileSync(kubeconfig, "utf8");
  assert.ok(config.includes(`server: ${url}`));
  const ca = Buffer.from(/certificate-authority-data: (\S+)/.exec(config)![1]!, "base64").toString();
  const token = /token: (\S+)/.exec(config)![1]!;
  const pools = await getJson(`${url}/apis/projectcalico.org/v3/ippools`, ca, token);
  assert.equal(pools.status, 200);
  assert.equal(pools.body.kind, "IPPoolList");
  server.child.kill("SIGTERM");
  const { code, stdout } = await server.finished;
  assert.equal(code, 0);
  assert.match(stdout, /apiserver stopped/);
});

test("lbipam controller exits 1, saying why, when the cluster's shape changes under it (its CRDs relabelled as Calico's)", {
  timeout: 60_000,
}, async () => {
  const kubeconfig = join(dir, "shape-kubeconfig");
  const server = run(["apiserver", "--listen", "127.0.0.1:0", "--kubeconfig-out", kubeconfig]);
  const ready = await waitForLine(server.child, /ready/);
  const url = /https:\/\/127\.0\.0\.1:\d+/.exec(ready)![0];
  const config = readFileSync(kubeconfig, "utf8");
  const ca = Buffer.from(/certificate-authority-data: (\S+)/.exec(config)![1]!, "base64").toString();
  const token = /token: (\S+)/.exec(config)![1]!;
  const controller = run([
    "controller",
    "--kubeconfig",
    kubeconfig,
    "--metrics-listen",
    "127.0.0.1:0",
    "--leader-elect=false",
    "--shape-recheck-seconds",
    "0.2",
  ]);
  try {
    await waitForLine(controller.child, /"shape":"lbipam"/);
    // The same CRD without lbipam's label: Calico's native v3 CRDs, to the controller.
    const patched = await sendJson(
      "PATCH",
      `${url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions/ippools.projectcalico.org`,
      { metadata: { labels: { "app.kubernetes.io/part-of": null } } },
      ca,
      token,
    );
    assert.equal(patched, 200);
    const { code, stdout } = await controller.finished;
    assert.equal(code, 1);
    assert.match(stdout, /the cluster's shape changed from lbipam to calico-v3/);
  } finally {
    controller.child.kill("SIGKILL");
    server.child.kill("SIGTERM");
    await server.finished;
  }
});

// ---------------------------------------------------------------------------------------------
// What a command loads: help must not wait for the controller, the API server or client-node.

const importLogHook = new URL("./helpers/import-log.js", import.meta.url).href;
let importLogs = 0;

/** Runs `lbipam ARGS` with a resolve hook that records the URL of every module it loads. */
async function runRecordingImports(args: string[]): Promise<Finished & { loaded: string[] }> {
  const log = join(dir, `imports-${++importLogs}.log`);
  const register = `import { register } from "node:module"; register(${JSON.stringify(importLogHook)});`;
  const finished = await run(args, {
    node: ["--import", `data:text/javascript,${encodeURIComponent(register)}`],
    env: { ...process.env, LBIPAM_IMPORT_LOG: log },
  }).finished;
  return {
    ...finished,
    loaded: existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : [],
  };
}

const HEAVY: [string, RegExp][] = [
  ["@kubernetes/client-node", /\/node_modules\/@kubernetes\/client-node\//],
  ["@lbipam/apiserver", /\/packages\/apiserver\/|\/@lbipam\/apiserver\//],
  ["the controller", /\/dist\/src\/controller\/controller\.js$/],
  ["pino", /\/node_modules\/pino\//],
];

function assertNotLoaded(loaded: string[], what: string): void {
  for (const [name, pattern] of HEAVY) {
    assert.deepEqual(
      loaded.filter((url) => pattern.test(url)),
      [],
      `${what} loaded ${name}`,
    );
  }
}

test("lbipam --help prints the commands and loads no subcommand module", async () => {
  const { code, stdout, stderr, loaded } = await runRecordingImports(["--help"]);
  assert.equal(code, 0, stderr);
  assert.equal(
    stdout,
    `usage: lbipam <command> [flags]

commands:
  apiserver    serve the embedded Kubernetes API server with lbipam's CRDs
  controller   run the controller against a cluster
  start        run the embedded API server and the controller, with the examples applied
  version      print the version (also --version)
`,
  );
  // The hook saw the CLI itself load, so an empty list below means something.
  assert.ok(
    loaded.some((url) => url.endsWith("/dist/src/cli.js")),
    loaded.join("\n"),
  );
  assert.deepEqual(
    loaded.filter((url) => url.includes("/dist/src/commands/") && !url.endsWith("/commands/usage.js")),
    [],
  );
  assertNotLoaded(loaded, "lbipam --help");
});

test("lbipam version and --version print the package's version, loading nothing heavy", async () => {
  const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
  for (const argument of ["version", "--version"]) {
    const { code, stdout, stderr, loaded } = await runRecordingImports([argument]);
    assert.equal(code, 0, stderr);
    assert.equal(stdout, `lbipam ${version} (Node ${process.version})\n`);
    assertNotLoaded(loaded, `lbipam ${argument}`);
  }
});

test("a path that does not exist is an error message, not a stack trace", async () => {
  const examples = await run(["start", "--examples", join(dir, "nonexistent")]).finished;
  assert.equal(examples.code, 2);
  assert.match(examples.stderr, /^lbipam: --examples \S+nonexistent: no such directory$/m);
  assert.doesNotMatch(examples.stderr, /\n\s+at /);
  const kubeconfig = await run(["controller", "--kubeconfig", join(dir, "nonexistent")]).finished;
  assert.equal(kubeconfig.code, 1);
  const line = JSON.parse(kubeconfig.stdout.trim().split("\n").at(-1) ?? "{}");
  assert.match(line.msg, /^cannot load the kubeconfig: ENOENT/);
  assert.equal(line.err, undefined, "no stack trace");
  assert.doesNotMatch(kubeconfig.stdout + kubeconfig.stderr, /\n\s+at |\\n\s+at /);
});

for (const command of ["apiserver", "controller", "start"]) {
  test(`lbipam ${command} --help loads its own module and nothing heavy`, async () => {
    const { code, stdout, stderr, loaded } = await runRecordingImports([command, "--help"]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, new RegExp(`^usage: lbipam ${command} `));
    assert.ok(
      loaded.some((url) => url.endsWith(`/dist/src/commands/${command}.js`)),
      loaded.join("\n"),
    );
    assertNotLoaded(loaded, `lbipam ${command} --help`);
  });
}

test("a command that runs loads what it needs, and the hook sees it", { timeout: 30_000 }, async () => {
  const { code, stdout, loaded } = await runRecordingImports([
    "controller",
    "--kubeconfig",
    join(dir, "no-such-kubeconfig"),
  ]);
  assert.equal(code, 1);
  assert.match(stdout, /cannot load the kubeconfig/);
  for (const [name, pattern] of HEAVY.filter(([name]) => name !== "@lbipam/apiserver")) {
    assert.ok(
      loaded.some((url) => pattern.test(url)),
      `${name} was not seen loading`,
    );
  }
});
