// The `lbipam` CLI as a user runs it: flags, the ready line, the kubeconfig, clean shutdown.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
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

function run(args: string[]): { child: ChildProcess; finished: Promise<Finished>; output: () => string } {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] });
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
