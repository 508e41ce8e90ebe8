import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  AddressPool,
  ALLOCATOR_WORKER_URL,
  type AllocatorResult,
  type AllocatorTask,
} from "@lbipam/allocator";
import { Piscina } from "piscina";
import { AllocationBatcher } from "../src/controller/allocation-batcher.js";
import type { ControllerMetrics } from "../src/controller/metrics.js";
import { idleMetrics } from "./helpers/metrics.js";

let workers: Piscina<AllocatorTask, AllocatorResult>;
before(() => {
  workers = new Piscina({ filename: ALLOCATOR_WORKER_URL, maxThreads: 2 });
});
after(async () => {
  await workers.destroy();
});

const metrics = idleMetrics;

async function taskCount(m: ControllerMetrics, outcome: string): Promise<number> {
  const metric = await m.workerTasks.get();
  return metric.values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
}

describe("AllocationBatcher", () => {
  for (const [where, minBatch] of [
    ["worker", 1],
    ["inline", 1000],
  ] as const) {
    it(`batches requests of one turn, in order and by preference (${where})`, async () => {
      const small = AddressPool.create({ name: "small", cidr: "10.0.0.0/31", blockSize: 31 });
      const big = AddressPool.create({ name: "big", cidr: "10.1.0.0/24" });
      const m = metrics();
      const batcher = new AllocationBatcher(workers, minBatch, m);
      const got = await Promise.all([
        batcher.allocate([small, big]),
        batcher.allocate([small, big]),
        batcher.allocate([small, big]),
        batcher.allocate([small]),
        batcher.allocate([big]),
      ]);
      assert.deepEqual(
        got.map((a) => (a ? `${a.pool.name} ${a.pool.format(a.value)}` : null)),
        ["small 10.0.0.0", "small 10.0.0.1", "big 10.1.0.0", null, "big 10.1.0.1"],
      );
      assert.equal(await taskCount(m, where), 1, "one task for the whole batch");
      assert.equal(big.counts().allocated, 2, "the main thread sees what the task allocated");
    });
  }
});
