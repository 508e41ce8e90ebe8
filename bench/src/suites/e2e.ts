// End to end: 10,000 LoadBalancer Services created against the embedded API
// server, a controller (its own process, as in a cluster) assigning them.
// Throughput is compared with the API server's raw status-patch throughput
// measured in the same run (the apiserver suite).
import { performance } from "node:perf_hooks";
import {
  apiServerFloor,
  type Cluster,
  type ControllerProcess,
  sampleValue,
  sleep,
  startCluster,
  startController,
  waitUntil,
} from "../cluster.js";
import type { BenchResult } from "../harness.js";

const SERVICES = 10_000;

interface Stage {
  cluster: Cluster;
  startController(): Promise<ControllerProcess>;
  createServices(): Promise<void>;
  /** Resolves when every Service has an address; checks they are distinct. */
  allAssigned(patchesBefore: number): Promise<void>;
  stop(): Promise<void>;
}

async function stage(): Promise<Stage> {
  const cluster = await startCluster(6 * SERVICES);
  await cluster.createPool("burst", { cidr: "10.128.0.0/18", allowedUses: ["LoadBalancer"] });
  let controller: ControllerProcess | undefined;
  return {
    cluster,
    async startController() {
      controller = await startController(cluster);
      await controller.ready(120_000);
      return controller;
    },
    createServices: () =>
      cluster.createServices(SERVICES, (i) => ({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: `burst-${i}` },
        spec: { type: "LoadBalancer", allocateLoadBalancerNodePorts: false, ports: [{ port: 80 }] },
      })),
    async allAssigned(patchesBefore: number) {
      await waitUntil(
        () => cluster.statusPatches() - patchesBefore >= SERVICES,
        "every Service to be assigned",
        600_000,
      );
      const list = JSON.parse(
        (await cluster.api.send("GET", "/api/v1/namespaces/default/services")).body,
      ) as {
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
      await controller?.stop();
      await cluster.stop();
    },
  };
}

export async function run(): Promise<BenchResult[]> {
  const { results: floorResults, patchesPerSecond: floor } = await apiServerFloor();

  // Burst: the controller runs while the Services are created.
  const burst = await stage();
  let burstSeconds: number;
  let writes: number;
  let delayP99: number;
  try {
    const controller = await burst.startController();
    // A scrape resets the event-loop delay gauge: what the next one shows is the burst's.
    await controller.metrics();
    const before = burst.cluster.statusPatches();
    const start = performance.now();
    await burst.createServices();
    await burst.allAssigned(before);
    burstSeconds = (performance.now() - start) / 1000;
    delayP99 = sampleValue(await controller.metrics(), "lbipam_event_loop_delay_p99_seconds") ?? Number.NaN;
    // Let any further write land before counting writes per Service.
    await sleep(2000);
    writes = burst.cluster.statusPatches() - before;
  } finally {
    await burst.stop();
  }

  // Backlog: the Services exist first; the controller starts and assigns them all.
  const backlog = await stage();
  let backlogSeconds: number;
  try {
    await backlog.createServices();
    const before = backlog.cluster.statusPatches();
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
