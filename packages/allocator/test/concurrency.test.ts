// Several Piscina workers and the main thread allocate from one pool at the
// same time, in the same shared memory.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Piscina } from "piscina";
import {
  AddressPool,
  ALLOCATOR_WORKER_URL,
  type AllocateResult,
  type AllocatorTask,
  createAllocationResults,
} from "../src/index.js";

const WORKERS = 3;
let workers: Piscina<AllocatorTask, AllocateResult>;

before(() => {
  workers = new Piscina({ filename: ALLOCATOR_WORKER_URL, minThreads: WORKERS, maxThreads: WORKERS });
});
after(async () => {
  await workers.destroy();
});

/** Runs `tasks` worker tasks of `batch` requests while the main thread allocates (and claims) in a loop. */
async function race(pool: AddressPool, tasks: number, batch: number, mainLimit: number) {
  const shared = pool.shared();
  const outputs = Array.from({ length: tasks }, () => createAllocationResults(batch));
  const pending = outputs.map((results) =>
    workers.run({
      kind: "allocate",
      results: results.buffer,
      pools: [shared],
      groups: [{ preferences: [0], count: batch }],
    }),
  );
  // Start competing once the workers are allocating, so both sides run at once.
  const gate = new Int32Array(new SharedArrayBuffer(4));
  while (pool.counts().allocated === 0) Atomics.wait(gate, 0, 0, 1);
  const mine: bigint[] = [];
  const span = pool.spec.size < 1n << 20n ? Number(pool.spec.size) : 1 << 20;
  for (let i = 0; i < mainLimit; i++) {
    // Every tenth step claims a specific address instead of taking the next one.
    if (i % 10 === 0) {
      const value = pool.spec.cidr.base + BigInt((i * 7919) % span);
      if (pool.claim(value)) mine.push(value);
      continue;
    }
    const value = pool.allocate();
    if (value === undefined) break;
    mine.push(value);
  }
  const theirs: bigint[] = [];
  const served = await Promise.all(pending);
  outputs.forEach((results, t) => {
    results.pool.forEach((index, i) => {
      if (index === 0) theirs.push(pool.valueOfHandle(results.handle[i]!));
    });
    assert.equal(served[t]!.served, results.pool.filter((index) => index === 0).length);
  });
  return { mine, theirs };
}

describe("concurrent allocation", () => {
  it("never hands out an address twice in a dense pool filled to the last address", async () => {
    const pool = AddressPool.create({ name: "race", cidr: "10.64.0.0/12", blockSize: 26 });
    const { mine, theirs } = await race(pool, 12, 100_000, 1 << 21);
    const all = [...mine, ...theirs];
    assert.ok(theirs.length > 0, "the workers got addresses");
    assert.ok(mine.length > 0, "the main thread got addresses");
    assert.equal(new Set(all).size, all.length, "no address handed out twice");
    assert.equal(all.length, 2 ** 20, "every address handed out exactly once");
    assert.equal(pool.counts().allocated, 2 ** 20);
    assert.equal(pool.counts().free, 0n);
    assert.deepEqual(pool.scan().problems, []);
  });

  it("never hands out an address twice in a sparse pool", async () => {
    const pool = AddressPool.create({ name: "race6", cidr: "2001:db8:9::/64", blockSize: 122 });
    const { mine, theirs } = await race(pool, 8, 20_000, 100_000);
    const all = [...mine, ...theirs];
    assert.equal(new Set(all).size, all.length, "no address handed out twice");
    assert.equal(theirs.length, 160_000);
    assert.ok(mine.length > 90_000);
    assert.equal(pool.counts().allocated, all.length, "the count is exact");
    assert.deepEqual(pool.scan().problems, []);
  });
});
