// End to end: 10,000 LoadBalancer Services created against the embedded API
// server, a controller (its own process, as in a cluster) assigning them.
// Throughput and CPU are compared with the ideal controller's
// (ideal-controller.ts: the same client stack and writes, no IPAM) on the
// same server with the same creations, and the API server's raw
// status-patch throughput measured in the same run (the apiserver suite).
import { request } from "node:https";
import { performance } from "node:perf_hooks";
import {
  type Burst,
  type BurstServices,
  burstResults,
  idealBurst,
  measureBurst,
  untilAssigned,
} from "../burst.js";
import {
  apiServerFloor,
  type Cluster,
  sampleValue,
  sleep,
  startCluster,
  startController,
  startIdealController,
  waitUntil,
} from "../cluster.js";
import { type BenchResult, quantile } from "../harness.js";

const SERVICES = 10_000;
const ASSIGNED_LIMIT_MS = 600_000;

const BURST: BurstServices = {
  count: SERVICES,
  manifest: (i) => ({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: `burst-${i}` },
    spec: { type: "LoadBalancer", allocateLoadBalancerNodePorts: false, ports: [{ port: 80 }] },
  }),
};

/** A server with the burst's pool, for one run of it; stopped after `use`. */
async function onStage<T>(use: (cluster: Cluster) => Promise<T>): Promise<T> {
  const cluster = await startCluster(6 * SERVICES);
  try {
    await cluster.createPool("burst", { cidr: "10.128.0.0/18", allowedUses: ["LoadBalancer"] });
    return await use(cluster);
  } finally {
    await cluster.stop();
  }
}

/** Every Service shows an address, no address twice. */
async function checkDistinctAddresses(cluster: Cluster): Promise<void> {
  const list = JSON.parse((await cluster.api.send("GET", "/api/v1/namespaces/default/services")).body) as {
    items: { status?: { loadBalancer?: { ingress?: { ip?: string }[] } } }[];
  };
  const ips = list.items.map((s) => s.status?.loadBalancer?.ingress?.[0]?.ip).filter(Boolean);
  if (ips.length !== SERVICES || new Set(ips).size !== SERVICES) {
    throw new Error(
      `expected ${SERVICES} distinct addresses, found ${ips.length} (${new Set(ips).size} distinct)`,
    );
  }
}

/** Seconds each Service created at `rate` per second for LATENCY_SECONDS waited for its address, as a watcher saw it. */
const LATENCY_SECONDS = 30;

async function creationToAddress(kind: "lbipam" | "ideal", rate: number): Promise<number[]> {
  const count = rate * LATENCY_SECONDS;
  const cluster = await startCluster(6 * count);
  await cluster.createPool("steady", { cidr: "10.129.0.0/16", allowedUses: ["LoadBalancer"] });
  const created = new Map<string, number>();
  const addressed = new Map<string, number>();
  // A watcher of its own (not the controller's): when each Service first shows an address.
  const watcher = request(
    new URL("/api/v1/namespaces/default/services?watch=1", cluster.server.url),
    { ca: cluster.server.caPem, agent: false, headers: { Authorization: `Bearer ${cluster.server.token}` } },
    (res) => {
      let buffered = "";
      res.on("data", (chunk: Buffer) => {
        const now = performance.now();
        buffered += chunk.toString();
        let newline = buffered.indexOf("\n");
        while (newline >= 0) {
          const event = JSON.parse(buffered.slice(0, newline)) as {
            object: { metadata: { name: string }; status?: { loadBalancer?: { ingress?: unknown[] } } };
          };
          buffered = buffered.slice(newline + 1);
          const name = event.object.metadata.name;
          if ((event.object.status?.loadBalancer?.ingress?.length ?? 0) > 0 && !addressed.has(name))
            addressed.set(name, now);
          newline = buffered.indexOf("\n");
        }
      });
    },
  );
  watcher.end();
  const controller =
    kind === "lbipam" ? await startController(cluster) : await startIdealController(cluster, "10.129.0.0");
  try {
    if ("ready" in controller) await controller.ready(120_000);
    const start = performance.now();
    const creations: Promise<unknown>[] = [];
    for (let i = 0; i < count; i++) {
      const due = start + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      const name = `steady-${i}`;
      created.set(name, performance.now());
      creations.push(
        cluster.api.send("POST", "/api/v1/namespaces/default/services", {
          apiVersion: "v1",
          kind: "Service",
          metadata: { name },
          spec: { type: "LoadBalancer", allocateLoadBalancerNodePorts: false, ports: [{ port: 80 }] },
        }),
      );
    }
    await Promise.all(creations);
    await waitUntil(
      () => addressed.size >= count,
      `${count} Services addressed (${kind}, ${rate}/s)`,
      120_000,
    );
    return [...created].map(([name, at]) => (addressed.get(name)! - at) / 1000);
  } finally {
    watcher.destroy();
    await controller.stop();
    await cluster.stop();
  }
}

/** p50, p99 and max creation-to-address at 200/s and 500/s, for lbipam beside the ideal controller. */
async function latencyResults(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const rate of [200, 500]) {
    const ideal = await creationToAddress("ideal", rate);
    const lbipam = await creationToAddress("lbipam", rate);
    const p99 = quantile(lbipam, 0.99) * 1000;
    const idealP99 = quantile(ideal, 0.99) * 1000;
    const note = `${rate} Services/s for ${LATENCY_SECONDS} s; the ideal controller: p50 ${(quantile(ideal, 0.5) * 1000).toFixed(1)} ms, p99 ${idealP99.toFixed(1)} ms, max ${(Math.max(...ideal) * 1000).toFixed(1)} ms`;
    const steady = rate === 200;
    results.push(
      {
        name: `latency-${rate}-p50`,
        value: quantile(lbipam, 0.5) * 1000,
        unit: "ms",
        target: "none",
        pass: null,
        note,
      },
      {
        name: `latency-${rate}-p99`,
        value: p99,
        unit: "ms",
        target: steady ? "<= 50 and <= 1.2 x ideal" : "none",
        pass: steady ? p99 <= 50 && p99 <= 1.2 * idealP99 : null,
        note,
      },
      {
        name: `latency-${rate}-max`,
        value: Math.max(...lbipam) * 1000,
        unit: "ms",
        target: "none",
        pass: null,
        note,
      },
    );
  }
  return results;
}

export async function run(): Promise<BenchResult[]> {
  const { results: floorResults, patchesPerSecond: floor } = await apiServerFloor();
  const ideal = await onStage((cluster) => idealBurst(cluster, "10.128.0.0", BURST, ASSIGNED_LIMIT_MS));
  const latency = await latencyResults();

  // Burst: the controller runs while the Services are created.
  const { lbipam, writes, delayP99 } = await onStage(async (cluster) => {
    const controller = await startController(cluster);
    try {
      await controller.ready(120_000);
      // A scrape resets the event-loop delay gauge: what the next one shows is the burst's.
      await controller.metrics();
      const before = cluster.statusPatches();
      const lbipam: Burst = await measureBurst(cluster, controller.pid, BURST, ASSIGNED_LIMIT_MS);
      const delayP99 =
        sampleValue(await controller.metrics(), "lbipam_event_loop_delay_p99_seconds") ?? Number.NaN;
      await checkDistinctAddresses(cluster);
      // Let any further write land before counting writes per Service.
      await sleep(2000);
      return { lbipam, writes: cluster.statusPatches() - before, delayP99 };
    } finally {
      await controller.stop();
    }
  });

  // Backlog: the Services exist first; the controller starts and assigns them all.
  const backlogSeconds = await onStage(async (cluster) => {
    await cluster.createServices(SERVICES, BURST.manifest);
    const before = cluster.statusPatches(200);
    const start = performance.now();
    const controller = await startController(cluster);
    try {
      await controller.ready(120_000);
      await untilAssigned(cluster, before, SERVICES, ASSIGNED_LIMIT_MS);
      const seconds = (performance.now() - start) / 1000;
      await checkDistinctAddresses(cluster);
      return seconds;
    } finally {
      await controller.stop();
    }
  });

  const backlogThroughput = SERVICES / backlogSeconds;
  return [
    ...floorResults,
    ...latency,
    ...burstResults("10k", SERVICES, lbipam, ideal, floor),
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
