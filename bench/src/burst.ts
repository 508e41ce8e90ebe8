// A burst, as e2e and scale measure it (issue 16): Services created
// IN_FLIGHT at a time while a controller assigns them, timed from the first
// creation to the last status write, with the CPU the controller's process
// used meanwhile. lbipam and the ideal controller (ideal-controller.ts) go
// through the same burst, each on a server of its own holding the same
// objects, so the ratios of the two are what lbipam's IPAM costs.
import { performance } from "node:perf_hooks";
import { type Cluster, cpuSeconds, startIdealController, waitUntil } from "./cluster.js";
import type { BenchResult } from "./harness.js";

export interface BurstServices {
  count: number;
  /** The i-th Service's manifest. */
  manifest(i: number): object;
}

export interface Burst {
  /** From the first creation to the count-th status patch answered 200. */
  seconds: number;
  /** User plus system CPU of the controller's process meanwhile. */
  cpuSeconds: number;
}

/** Waits until the server has answered `count` status patches with 200 since it had answered `before`. */
export async function untilAssigned(
  cluster: Cluster,
  before: number,
  count: number,
  limitMs: number,
): Promise<void> {
  await waitUntil(
    () => cluster.statusPatches(200) - before >= count,
    "every Service to be assigned",
    limitMs,
  );
}

/** Creates the Services while the running controller of process `pid` assigns them. */
export async function measureBurst(
  cluster: Cluster,
  pid: number,
  services: BurstServices,
  limitMs: number,
): Promise<Burst> {
  const cpuBefore = cpuSeconds(pid);
  const before = cluster.statusPatches(200);
  const start = performance.now();
  await cluster.createServices(services.count, services.manifest);
  await untilAssigned(cluster, before, services.count, limitMs);
  return { seconds: (performance.now() - start) / 1000, cpuSeconds: cpuSeconds(pid) - cpuBefore };
}

/** The ideal controller through the burst on `cluster`, giving addresses from `firstAddress` on. */
export async function idealBurst(
  cluster: Cluster,
  firstAddress: string,
  services: BurstServices,
  limitMs: number,
): Promise<Burst> {
  const ideal = await startIdealController(cluster, firstAddress);
  try {
    return await measureBurst(cluster, ideal.pid, services, limitMs);
  } finally {
    await ideal.stop();
  }
}

/**
 * `burst-SIZE` (lbipam's throughput over the ideal controller's),
 * `burst-SIZE-vs-floor` (over the raw status-patch floor, for reference) and
 * `cpu-per-service-SIZE` (lbipam's CPU per Service over the ideal controller's).
 */
export function burstResults(
  size: string,
  count: number,
  lbipam: Burst,
  ideal: Burst,
  floor: number,
  note = "",
): BenchResult[] {
  const throughput = count / lbipam.seconds;
  const idealThroughput = count / ideal.seconds;
  const cpuPerService = lbipam.cpuSeconds / count;
  const idealCpuPerService = ideal.cpuSeconds / count;
  return [
    {
      name: `burst-${size}`,
      value: throughput / idealThroughput,
      unit: "x ideal controller",
      target: ">= 0.95",
      pass: throughput / idealThroughput >= 0.95,
      note:
        `${Math.round(throughput)} Services assigned/s against the ideal controller's ${Math.round(idealThroughput)}/s, ` +
        `each on a server of its own with the same objects and the same creations in the window${note ? `; ${note}` : ""}`,
    },
    {
      name: `burst-${size}-vs-floor`,
      value: throughput / floor,
      unit: "x API floor",
      target: "none (the raw patch floor, for reference)",
      pass: null,
      note: `${Math.round(throughput)} Services assigned/s, their creation included, vs ${Math.round(floor)} raw status patches/s`,
    },
    {
      name: `cpu-per-service-${size}`,
      value: cpuPerService / idealCpuPerService,
      unit: "x ideal controller",
      target: "<= 1.5",
      pass: cpuPerService / idealCpuPerService <= 1.5,
      note: `${(cpuPerService * 1e6).toFixed(0)} µs of CPU (user+system) per Service assigned, the ideal controller ${(idealCpuPerService * 1e6).toFixed(0)} µs`,
    },
  ];
}
