import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Piscina } from "piscina";
import {
  AddressPool,
  ALLOCATOR_WORKER_URL,
  type AllocatorResult,
  type AllocatorTask,
  allocateGroups,
  createAllocationResults,
  runAllocatorTask,
} from "../src/index.js";
import { HEADER } from "../src/layout.js";

describe("allocator worker tasks", () => {
  it("allocates a batch across pools in preference order, inline", () => {
    const small = AddressPool.create({ name: "small", cidr: "10.0.0.0/30", blockSize: 30 });
    const v6 = AddressPool.create({ name: "v6", cidr: "2001:db8::/64" });
    const results = createAllocationResults(7);
    const result = runAllocatorTask({
      kind: "allocate",
      results: results.buffer,
      pools: [small.shared(), v6.shared()],
      groups: [
        { preferences: [0, 1], count: 2 },
        { preferences: [0], count: 3 },
        { preferences: [1], count: 1 },
        { preferences: [], count: 1 },
      ],
    });
    assert.deepEqual(result, { kind: "allocate", served: 5 });
    assert.deepEqual([...results.pool], [0, 0, 0, 0, -1, 1, -1]);
    const pools = [small, v6];
    const got = [...results.pool].map((p, i) =>
      p < 0 ? null : pools[p]!.format(pools[p]!.valueOfHandle(results.handle[i]!)),
    );
    assert.deepEqual(got, ["10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3", null, "2001:db8::", null]);
  });

  it("allocates on pools at hand as the task does on the pools it attaches", () => {
    const groups = [
      { preferences: [0, 1], count: 3 },
      { preferences: [1], count: 2 },
    ];
    const make = () => [
      AddressPool.create({ name: "a", cidr: "10.0.0.0/31", blockSize: 31 }),
      AddressPool.create({ name: "b", cidr: "10.0.1.0/24" }),
    ];
    const [attached, atHand] = [make(), make()];
    const viaTask = createAllocationResults(5);
    runAllocatorTask({
      kind: "allocate",
      results: viaTask.buffer,
      pools: attached.map((p) => p.shared()),
      groups,
    });
    const direct = createAllocationResults(5);
    assert.equal(allocateGroups(atHand, groups, direct), 5);
    assert.deepEqual([...direct.pool], [...viaTask.pool]);
    assert.deepEqual([...direct.handle], [...viaTask.handle]);
    assert.deepEqual(
      atHand.map((pool) => pool.counts().allocated),
      [2, 3],
    );
  });

  it("rebuilds a pool from addresses in use and reports duplicates and strays", () => {
    for (const [cidr, inside, outside] of [
      ["10.0.0.0/24", ["10.0.0.5", "10.0.0.200", "10.0.0.5"], ["10.0.1.1", "2001:db8::1", "not-an-ip"]],
      ["2001:db8::/64", ["2001:db8::5", "2001:db8::ffff:0:0:1", "2001:db8::5"], ["2001:db9::1", "10.0.0.1"]],
    ] as const) {
      const pool = AddressPool.create({ name: "p", cidr });
      const result = runAllocatorTask({
        kind: "rebuild",
        pool: pool.shared(),
        addresses: [...inside, ...outside],
      });
      assert.equal(result.kind, "rebuild");
      if (result.kind !== "rebuild") return;
      assert.equal(result.claimed, 2);
      assert.deepEqual(result.duplicates, [inside[0]]);
      assert.deepEqual(
        result.invalid.map((i) => i.address),
        [...outside],
      );
      assert.match(result.invalid[0]!.reason, /not in pool p/);
      assert.equal(pool.counts().allocated, 2);
      assert.ok(pool.isAllocated(pool.parse(inside[1])));
    }
  });

  it("runs allocate, rebuild and scan in Piscina workers on shared memory", async () => {
    const workers = new Piscina<AllocatorTask, AllocatorResult>({
      filename: ALLOCATOR_WORKER_URL,
      maxThreads: 2,
    });
    try {
      const pool = AddressPool.create({ name: "p", cidr: "10.8.0.0/22", blockSize: 24 });
      const rebuilt = await workers.run({
        kind: "rebuild",
        pool: pool.shared(),
        addresses: ["10.8.0.0", "10.8.3.255"],
      });
      assert.equal(rebuilt.kind === "rebuild" && rebuilt.claimed, 2);
      assert.ok(pool.isAllocated(pool.parse("10.8.3.255")), "the main thread sees the worker's claims");
      const results = createAllocationResults(2);
      const allocated = await workers.run({
        kind: "allocate",
        results: results.buffer,
        pools: [pool.shared()],
        groups: [{ preferences: [0], count: 2 }],
      });
      assert.deepEqual(allocated, { kind: "allocate", served: 2 });
      // 10.8.0.0/24 and 10.8.3.0/24 are partly used: the lower one is filled first.
      assert.deepEqual(
        [...results.handle].map((h) => pool.format(pool.valueOfHandle(h))),
        ["10.8.0.1", "10.8.0.2"],
      );
      const scan = await workers.run({ kind: "scan", pool: pool.shared(), repair: false });
      assert.equal(scan.kind, "scan");
      if (scan.kind !== "scan") return;
      assert.equal(scan.consistent, true);
      assert.equal(scan.counts.allocated, 4);
    } finally {
      await workers.destroy();
    }
  });

  it("scan finds and repairs a counter that disagrees with the bitmap", () => {
    const pool = AddressPool.create({ name: "p", cidr: "10.0.0.0/24" });
    pool.allocateMany(10);
    // Damage the shared allocated counter the way a crashed writer could.
    const memory = new Int32Array(pool.shared().buffer);
    Atomics.add(memory, HEADER.SHARED_ALLOCATED, 5);
    const report = runAllocatorTask({ kind: "scan", pool: pool.shared(), repair: true });
    assert.equal(report.kind, "scan");
    if (report.kind !== "scan") return;
    assert.equal(report.consistent, false);
    assert.match(report.problems.join("\n"), /pool counts 15 allocated, bitmap has 10/);
    assert.equal(pool.counts().allocated, 10);
    assert.deepEqual(pool.scan().problems, []);
  });

  it("finds the last free addresses of a pool 99.99% full through its hints", () => {
    const pool = AddressPool.create({ name: "p", cidr: "10.32.0.0/12", blockSize: 24 });
    assert.equal(pool.allocateMany(2 ** 20).length, 2 ** 20);
    const freed = ["10.37.128.9", "10.47.255.255", "10.32.0.0"];
    for (const text of freed) assert.ok(pool.release(pool.parse(text)));
    const again = [pool.allocate(), pool.allocate(), pool.allocate(), pool.allocate()].map((v) =>
      v === undefined ? null : pool.format(v),
    );
    assert.deepEqual(again, ["10.32.0.0", "10.37.128.9", "10.47.255.255", null]);
  });
});
