// End to end: 10,000 LoadBalancer Services created against the embedded API
// server, a controller (its own process, as in a cluster) assigning them.
// Throughput is compared with the API server's raw status-patch throughput
// measured in the same run (the apiserver suite).
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { startApiServer } from "@lbipam/apiserver";
import type { BenchResult } from "../harness.js";
import { inLanes, jsonClient } from "../http.js";
import { run as runApiServerSuite } from "./apiserver.js";

const SERVICES = 10_000;
const IN_FLIGHT = 16;
const repository = fileURLToPath(new URL("../../../../", import.meta.url));

async function scrape(url: string): Promise<string> {
  const response = await fetch(`${url}/metrics`);
  return response.text();
}

function sampleValue(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(" ")[1]);
}

async function waitUntil(check: () => Promise<boolean>, what: string, limitMs: number): Promise<void> {
  const end = performance.now() + limitMs;
  while (performance.now() < end) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface Stage {
  server: Awaited<ReturnType<typeof startApiServer>>;
  api: ReturnType<typeof jsonClient>;
  metricsUrl: string;
  startController(): Promise<void>;
  createServices(): Promise<void>;
  /** Resolves when every Service has an address; checks they are distinct. */
  allAssigned(patchesBefore: number): Promise<void>;
  patches(): number;
  stop(): Promise<void>;
}

async function stage(): Promise<Stage> {
  const server = await startApiServer({
    changeWindow: 6 * SERVICES,
    crdDirectory: join(repository, "deploy", "crds"),
  });
  const kubeconfig = join(mkdtempSync(join(tmpdir(), "lbipam-e2e-")), "kubeconfig");
  server.writeKubeconfig(kubeconfig);
  const api = jsonClient(server, IN_FLIGHT);
  const metricsPort = 20000 + Math.floor(Math.random() * 20000);
  const metricsUrl = `http://127.0.0.1:${metricsPort}`;
  let controller: ReturnType<typeof spawn> | undefined;
  const created = await api.send("POST", "/apis/projectcalico.org/v3/ippools", {
    apiVersion: "projectcalico.org/v3",
    kind: "IPPool",
    metadata: { name: "burst" },
    spec: { cidr: "10.128.0.0/18", allowedUses: ["LoadBalancer"] },
  });
  if (created.status !== 201) throw new Error(`creating the pool: HTTP ${created.status} ${created.body}`);
  const patches = () => server.counters.total({ verb: "patch", resource: "services", subresource: "status" });
  return {
    server,
    api,
    metricsUrl,
    patches,
    async startController() {
      controller = spawn(
        process.execPath,
        [
          join(repository, "apps", "controller", "bin", "lbipam.js"),
          "controller",
          "--kubeconfig",
          kubeconfig,
          "--metrics-listen",
          `127.0.0.1:${metricsPort}`,
          "--kube-api-qps",
          "0",
          "--workers",
          String(IN_FLIGHT),
          "--log-level",
          "warn",
        ],
        { stdio: ["ignore", "ignore", "inherit"] },
      );
      await waitUntil(
        async () => (await fetch(`${metricsUrl}/readyz`)).status === 200,
        "the controller to be ready",
        120_000,
      );
    },
    async createServices() {
      await inLanes(SERVICES, IN_FLIGHT, async (i) => {
        const reply = await api.send("POST", "/api/v1/namespaces/default/services", {
          apiVersion: "v1",
          kind: "Service",
          metadata: { name: `burst-${i}` },
          spec: { type: "LoadBalancer", allocateLoadBalancerNodePorts: false, ports: [{ port: 80 }] },
        });
        if (reply.status !== 201) throw new Error(`creating burst-${i}: HTTP ${reply.status}`);
      });
    },
    async allAssigned(patchesBefore: number) {
      await waitUntil(
        async () => patches() - patchesBefore >= SERVICES,
        "every Service to be assigned",
        600_000,
      );
      const list = JSON.parse((await api.send("GET", "/api/v1/namespaces/default/services")).body) as {
        items: { status?: { loadBalancer?: { ingress?: { ip?: string }[] } } }[];
      };
      const ips = list.items.map((s) => s.status?.loadBalancer?.ingress?.[0]?.ip).filter(Boolean);
      if (ips.length !== SERVICES || new Set(ips).size !== SERVICES) {
        throw new Error(
          `expected ${SERVICES} distinct addresses, found ${ips.length} (${new Set(ips).size} distinct)`,
        );
      }
    },
    async stop() {
      controller?.kill("SIGTERM");
      api.close();
      await server.stop();
    },
  };
}

export async function run(): Promise<BenchResult[]> {
  const floorResults = await runApiServerSuite();
  const floor = floorResults.find((r) => r.name === "status-patch-throughput")?.value;
  if (!floor) throw new Error("the apiserver suite gave no status-patch-throughput");

  // Burst: the controller runs while the Services are created.
  const burst = await stage();
  let burstSeconds: number;
  let writes: number;
  let delayP99: number;
  try {
    await burst.startController();
    // A scrape resets the event-loop delay gauge: what the next one shows is the burst's.
    await scrape(burst.metricsUrl);
    const before = burst.patches();
    const start = performance.now();
    await burst.createServices();
    await burst.allAssigned(before);
    burstSeconds = (performance.now() - start) / 1000;
    delayP99 =
      sampleValue(await scrape(burst.metricsUrl), "lbipam_event_loop_delay_p99_seconds") ?? Number.NaN;
    // Let any further write land before counting writes per Service.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    writes = burst.patches() - before;
  } finally {
    await burst.stop();
  }

  // Backlog: the Services exist first; the controller starts and assigns them all.
  const backlog = await stage();
  let backlogSeconds: number;
  try {
    await backlog.createServices();
    const before = backlog.patches();
    const start = performance.now();
    await backlog.startController();
    await backlog.allAssigned(before);
    backlogSeconds = (performance.now() - start) / 1000;
  } finally {
    await backlog.stop();
  }

  const throughput = SERVICES / burstSeconds;
  const backlogThroughput = SERVICES / backlogSeconds;
  return [
    ...floorResults,
    {
      name: "burst-10k",
      value: throughput / floor,
      unit: "x API floor",
      target: ">= 0.8",
      pass: throughput / floor >= 0.8,
      note: `${Math.round(throughput)} Services assigned/s, their creation included (the one-threaded server also serves the creates and the watch) vs ${Math.round(floor)} raw status patches/s`,
    },
    {
      name: "backlog-10k",
      value: backlogThroughput / floor,
      unit: "x API floor",
      target: "none (the controller alone)",
      pass: null,
      note: `${Math.round(backlogThroughput)} Services assigned/s from controller start, the 10,000 Services created beforehand`,
    },
    {
      name: "status-writes-per-service",
      value: writes / SERVICES,
      unit: "writes",
      target: "= 1.0",
      pass: writes === SERVICES,
    },
    {
      name: "event-loop-delay-p99",
      value: delayP99 * 1000,
      unit: "ms",
      target: "<= 20",
      pass: delayP99 * 1000 <= 20,
      note: "the controller process during the burst (timer lateness beyond the monitor's period)",
    },
  ];
}
