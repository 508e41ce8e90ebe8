// What the end-to-end suites (e2e, scale) share: an embedded API server with
// lbipam's CRDs, the controller in its own process as in a cluster, reading
// its metrics, counting the writes the server saw, and the API server floor
// the controller's throughput is compared with.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { type ApiServer, type RequestKey, startApiServer } from "@lbipam/apiserver";
import type { BenchResult } from "./harness.js";
import { inLanes, type JsonClient, jsonClient } from "./http.js";
import { floors } from "./suites/apiserver.js";

export const repository = fileURLToPath(new URL("../../../", import.meta.url));
/** Requests in flight: the bench's creations, and the controller's workers. */
export const IN_FLIGHT = 16;

export async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  what: string,
  limitMs: number,
  everyMs = 50,
): Promise<void> {
  const end = performance.now() + limitMs;
  while (performance.now() < end) {
    if (await Promise.resolve(check()).catch(() => false)) return;
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * The value of a sample in a Prometheus text exposition; `name` includes the
 * labels as exposed, e.g. `lbipam_services{state="allocated"}`.
 */
export function sampleValue(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1).split(" ")[0]);
}

/** The API server's raw status-patch throughput, measured now as the apiserver suite does. */
export async function apiServerFloor(): Promise<{ results: BenchResult[]; patchesPerSecond: number }> {
  const results = await floors();
  const patchesPerSecond = results.find((r) => r.name === "status-patch-throughput")?.value;
  if (!patchesPerSecond) throw new Error("the apiserver suite gave no status-patch-throughput");
  return { results, patchesPerSecond };
}

const WRITE_VERBS = new Set(["create", "update", "patch", "delete", "deletecollection"]);

export interface Cluster {
  server: ApiServer;
  api: JsonClient;
  kubeconfig: string;
  createPool(name: string, spec: Record<string, unknown>): Promise<void>;
  /** Creates `count` Services, IN_FLIGHT at a time; `manifest(i)` gives the i-th. */
  createServices(count: number, manifest: (i: number) => object): Promise<void>;
  /** Status patches the server answered (any code; `code` narrows). */
  statusPatches(code?: number): number;
  /** Write requests so far by "verb resource[/subresource]", every response code. */
  writes(): Map<string, number>;
  /** Calls `listener` after the server has answered each request (the answer is written). */
  onRequest(listener: (key: RequestKey) => void): () => void;
  stop(): Promise<void>;
}

export async function startCluster(changeWindow: number): Promise<Cluster> {
  const server = await startApiServer({ changeWindow, crdDirectory: join(repository, "deploy", "crds") });
  const kubeconfig = join(mkdtempSync(join(tmpdir(), "lbipam-bench-")), "kubeconfig");
  server.writeKubeconfig(kubeconfig);
  const api = jsonClient(server, IN_FLIGHT);
  const listeners = new Set<(key: RequestKey) => void>();
  const record = server.counters.record.bind(server.counters);
  server.counters.record = (key) => {
    record(key);
    for (const listener of listeners) listener(key);
  };
  return {
    server,
    api,
    kubeconfig,
    async createPool(name, spec) {
      const reply = await api.send("POST", "/apis/projectcalico.org/v3/ippools", {
        apiVersion: "projectcalico.org/v3",
        kind: "IPPool",
        metadata: { name },
        spec,
      });
      if (reply.status !== 201) throw new Error(`creating pool ${name}: HTTP ${reply.status} ${reply.body}`);
    },
    async createServices(count, manifest) {
      await inLanes(count, IN_FLIGHT, async (i) => {
        const body = manifest(i) as { metadata?: { namespace?: string; name?: string } };
        const namespace = body.metadata?.namespace ?? "default";
        const reply = await api.send("POST", `/api/v1/namespaces/${namespace}/services`, body);
        if (reply.status !== 201) {
          throw new Error(
            `creating ${body.metadata?.name}: HTTP ${reply.status} ${reply.body.slice(0, 300)}`,
          );
        }
      });
    },
    statusPatches: (code) =>
      server.counters.total({ verb: "patch", resource: "services", subresource: "status", code }),
    writes() {
      const byKind = new Map<string, number>();
      for (const row of server.counters.rows()) {
        if (!WRITE_VERBS.has(row.verb)) continue;
        const kind = `${row.verb} ${row.resource}${row.subresource ? `/${row.subresource}` : ""}`;
        byKind.set(kind, (byKind.get(kind) ?? 0) + row.count);
      }
      return byKind;
    },
    onRequest(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      api.close();
      await server.stop();
    },
  };
}

/** Writes made between two `Cluster.writes()` snapshots, by kind; kinds with none are left out. */
export function writesSince(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const made = new Map<string, number>();
  for (const [kind, count] of after) {
    const n = count - (before.get(kind) ?? 0);
    if (n > 0) made.set(kind, n);
  }
  return made;
}

export function describeWrites(writes: Map<string, number>): string {
  return writes.size === 0
    ? "none"
    : [...writes].map(([kind, count]) => `${count.toLocaleString("en-US")} ${kind}`).join(", ");
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", resolve);
  });
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export interface LogLine {
  time: number;
  msg: string;
  [field: string]: unknown;
}

export interface ControllerProcess {
  child: ChildProcess;
  pid: number;
  metricsUrl: string;
  /** Lines the controller logged (pino JSON on stdout), when started with `logs`. */
  logs: LogLine[];
  /** Resolves with the Date.now() at which /readyz first answered 200. */
  ready(limitMs?: number, everyMs?: number): Promise<number>;
  /** The text of /metrics (a scrape resets the event-loop delay gauge). */
  metrics(): Promise<string>;
  /** VmRSS (in bytes) and thread count of the process, from /proc/<pid>/status. */
  procStatus(): { residentBytes: number; threads: number };
  /** Runs a full garbage collection in the process (started with `gc`). */
  collectGarbage(): Promise<void>;
  exited: Promise<void>;
  /** Sends the signal and waits for the process to end (SIGKILL after 30 s). */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * How the shipped image runs Node: the flags before the script in the
 * Dockerfile's ENTRYPOINT, and the Deployment's NODE_OPTIONS.
 */
export function deployedNode(): { flags: string[]; nodeOptions: string } {
  const dockerfile = readFileSync(join(repository, "Dockerfile"), "utf8");
  const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
  if (!entrypoint) throw new Error("the Dockerfile has no ENTRYPOINT in exec form");
  const command = JSON.parse(entrypoint) as string[];
  const script = command.findIndex((word) => word.endsWith(".js"));
  if (command[0] !== "node" || script < 0)
    throw new Error(`ENTRYPOINT ${entrypoint} does not run node on a script`);
  const deployment = readFileSync(join(repository, "deploy", "deployment.yaml"), "utf8");
  const nodeOptions = /- name: NODE_OPTIONS\n\s+value: (.+)$/m.exec(deployment)?.[1]?.trim() ?? "";
  return { flags: command.slice(1, script), nodeOptions };
}

export interface ControllerOptions {
  /** Extra flags, e.g. --leader-elect=false. */
  args?: string[];
  /** Run Node as the shipped image does (deployedNode()); default: Node's defaults. */
  asDeployed?: boolean;
  /** Log at info and keep the lines (default: warnings to stderr only). */
  logs?: boolean;
  /** Let collectGarbage() run a full collection in the process. */
  gc?: boolean;
}

/** Starts `lbipam controller` in a process of its own against the cluster. */
export async function startController(
  cluster: Cluster,
  options: ControllerOptions = {},
): Promise<ControllerProcess> {
  const port = await freePort();
  const metricsUrl = `http://127.0.0.1:${port}`;
  const node = options.asDeployed ? deployedNode() : { flags: [], nodeOptions: "" };
  const child = spawn(
    process.execPath,
    [
      ...node.flags,
      ...(options.gc ? ["--expose-gc", "--import", new URL("./gc-on-signal.js", import.meta.url).href] : []),
      join(repository, "apps", "controller", "bin", "lbipam.js"),
      "controller",
      "--kubeconfig",
      cluster.kubeconfig,
      "--metrics-listen",
      `127.0.0.1:${port}`,
      "--kube-api-qps",
      "0",
      "--workers",
      String(IN_FLIGHT),
      "--log-level",
      options.logs ? "info" : "warn",
      ...(options.args ?? []),
    ],
    {
      stdio: ["ignore", options.logs ? "pipe" : "ignore", "inherit"],
      env: options.asDeployed ? { ...process.env, NODE_OPTIONS: node.nodeOptions } : process.env,
    },
  );
  const logs: LogLine[] = [];
  if (child.stdout) {
    createInterface({ input: child.stdout }).on("line", (line) => {
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        logs.push({ time: Date.now(), msg: line });
      }
    });
  }
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const pid = child.pid;
  if (pid === undefined) throw new Error("the controller process did not start");
  let ended = false;
  void exited.then(() => {
    ended = true;
  });
  return {
    child,
    pid,
    metricsUrl,
    logs,
    async ready(limitMs = 300_000, everyMs = 50) {
      const end = performance.now() + limitMs;
      while (performance.now() < end) {
        if (ended) throw new Error(`the controller exited (code ${child.exitCode}, ${child.signalCode})`);
        const ok = await fetch(`${metricsUrl}/readyz`).then(
          async (reply) => {
            await reply.arrayBuffer();
            return reply.status === 200;
          },
          () => false,
        );
        if (ok) return Date.now();
        await sleep(everyMs);
      }
      const last = logs.slice(-5).map((line) => `${new Date(line.time).toISOString()} ${line.msg}`);
      throw new Error(
        `timed out waiting for the controller to be ready${last.length > 0 ? `; its last log lines: ${last.join("; ")}` : ""}`,
      );
    },
    metrics: async () => (await fetch(`${metricsUrl}/metrics`)).text(),
    procStatus() {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const kib = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
      const threads = /^Threads:\s+(\d+)/m.exec(status)?.[1];
      if (kib === undefined || threads === undefined)
        throw new Error(`no VmRSS or Threads for process ${pid}`);
      return { residentBytes: Number(kib) * 1024, threads: Number(threads) };
    },
    async collectGarbage() {
      if (!options.gc) throw new Error("the controller was not started with gc");
      child.kill("SIGUSR2");
      // The collection runs when the process takes the signal: give it time to.
      await sleep(2000);
    },
    exited,
    async stop(signal = "SIGTERM") {
      if (ended) return;
      child.kill(signal);
      // A controller that does not stop in time is killed.
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** User plus system CPU seconds a process has used so far (/proc/PID/stat, in clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  // The fields after the command name, which is in parentheses and may hold spaces.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export interface IdealControllerProcess {
  pid: number;
  stop(): Promise<void>;
}

/** Starts the ideal controller (ideal-controller.ts) against the cluster, giving addresses from `firstAddress` on. */
export async function startIdealController(
  cluster: Cluster,
  firstAddress: string,
): Promise<IdealControllerProcess> {
  const ca = join(mkdtempSync(join(tmpdir(), "lbipam-ideal-")), "ca.pem");
  writeFileSync(ca, cluster.server.caPem);
  const child = spawn(
    process.execPath,
    [
      fileURLToPath(new URL("./ideal-controller.js", import.meta.url)),
      cluster.server.url,
      cluster.server.token,
      ca,
      firstAddress,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error("the ideal controller did not start");
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", (line) =>
      line === "ready" ? resolve() : reject(new Error(`the ideal controller said ${line}`)),
    );
    child.once("exit", (code) => reject(new Error(`the ideal controller exited (${code})`)));
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    pid,
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}
