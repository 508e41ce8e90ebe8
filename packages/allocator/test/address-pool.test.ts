// Scripted step tables against one pool at a time, for both storages.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AddressPool, InvalidAddressError, parseAddress, parseCidr } from "../src/index.js";

type Step =
  | { allocate: string | null }
  | { allocateMany: number; expect: string[] }
  | { claim: string; ok: boolean }
  | { release: string; ok: boolean }
  | { allocated: string; is: boolean }
  | { reserve: string[] }
  | { counts: { allocated: number; reserved: bigint; free: bigint } }
  | { blocks: string[] };

function run(pool: AddressPool, steps: Step[]): void {
  const v = (text: string) => parseAddress(text).value;
  steps.forEach((step, i) => {
    const at = `step ${i}: ${JSON.stringify(step, (_, value) => (typeof value === "bigint" ? `${value}n` : value))}`;
    if ("allocate" in step) {
      const got = pool.allocate();
      assert.equal(got === undefined ? null : pool.format(got), step.allocate, at);
    } else if ("allocateMany" in step) {
      assert.deepEqual(
        pool.allocateMany(step.allocateMany).map((a) => pool.format(a)),
        step.expect,
        at,
      );
    } else if ("claim" in step) {
      assert.equal(pool.claim(v(step.claim)), step.ok, at);
    } else if ("release" in step) {
      assert.equal(pool.release(v(step.release)), step.ok, at);
    } else if ("allocated" in step) {
      assert.equal(pool.isAllocated(v(step.allocated)), step.is, at);
    } else if ("reserve" in step) {
      pool.setReservations(step.reserve.map((c) => parseCidr(c)));
    } else if ("counts" in step) {
      const { allocated, reserved, free } = pool.counts();
      assert.deepEqual({ allocated, reserved, free }, step.counts, at);
    } else {
      assert.deepEqual(pool.blocksInUse(), step.blocks, at);
    }
  });
  const report = pool.scan();
  assert.deepEqual(report.problems, [], "scan after the steps");
}

describe("AddressPool, dense IPv4", () => {
  it("hands out the lowest address, then fills a partly used block before opening another", () => {
    const pool = AddressPool.create({ name: "p", cidr: "10.0.0.0/28", blockSize: 30 });
    assert.equal(pool.storage, "dense");
    run(pool, [
      { allocate: "10.0.0.0" },
      { claim: "10.0.0.9", ok: true },
      { allocate: "10.0.0.1" },
      { allocate: "10.0.0.2" },
      { allocate: "10.0.0.3" },
      // Block 0 is full; block 2 (10.0.0.8/30) is partly used and beats the empty block 1.
      { allocate: "10.0.0.8" },
      { allocate: "10.0.0.10" },
      { allocate: "10.0.0.11" },
      { allocate: "10.0.0.4" },
      { release: "10.0.0.1", ok: true },
      { release: "10.0.0.1", ok: false },
      // Block 0 is partly used again and comes before block 1.
      { allocate: "10.0.0.1" },
      { counts: { allocated: 9, reserved: 0n, free: 7n } },
      { blocks: ["10.0.0.0/30", "10.0.0.4/30", "10.0.0.8/30"] },
    ]);
  });

  it("s2 can't grab s1's address", () => {
    const pool = AddressPool.create({ name: "p", cidr: "192.168.0.0/24" });
    run(pool, [
      { claim: "192.168.0.10", ok: true },
      { claim: "192.168.0.10", ok: false },
      { allocated: "192.168.0.10", is: true },
      { allocated: "192.168.0.11", is: false },
      { release: "192.168.0.10", ok: true },
      { claim: "192.168.0.10", ok: true },
    ]);
  });

  it("skips reserved addresses automatically but lets them be claimed", () => {
    const pool = AddressPool.create({ name: "p", cidr: "10.1.0.0/24", blockSize: 26 });
    run(pool, [
      { reserve: ["10.1.0.0/31", "10.1.0.3/32", "10.2.0.0/16", "2001:db8::/64"] },
      { counts: { allocated: 0, reserved: 3n, free: 253n } },
      { allocate: "10.1.0.2" },
      { allocate: "10.1.0.4" },
      { claim: "10.1.0.0", ok: true },
      { counts: { allocated: 3, reserved: 3n, free: 251n } },
      // Lifting the reservation frees 10.1.0.1 and 10.1.0.3 for automatic use; 10.1.0.0 stays held.
      { reserve: [] },
      { counts: { allocated: 3, reserved: 0n, free: 253n } },
      { allocate: "10.1.0.1" },
      { allocate: "10.1.0.3" },
    ]);
  });

  it("a fully reserved block is never opened automatically", () => {
    const pool = AddressPool.create({ name: "p", cidr: "10.1.0.0/24", blockSize: 26 });
    run(pool, [
      { reserve: ["10.1.0.0/26", "10.1.0.128/25"] },
      { allocateMany: 3, expect: ["10.1.0.64", "10.1.0.65", "10.1.0.66"] },
    ]);
  });

  it("gives the first and the last address and then reports full", () => {
    const pool = AddressPool.create({ name: "p", cidr: "10.0.0.0/30", blockSize: 30 });
    run(pool, [
      { allocateMany: 5, expect: ["10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3"] },
      { allocate: null },
      { allocated: "10.0.0.3", is: true },
      { counts: { allocated: 4, reserved: 0n, free: 0n } },
      { release: "10.0.0.3", ok: true },
      { allocate: "10.0.0.3" },
    ]);
  });

  it("serves a /32 pool of one address", () => {
    const pool = AddressPool.create({ name: "p", cidr: "10.9.9.9/32", blockSize: 32 });
    run(pool, [{ allocate: "10.9.9.9" }, { allocate: null }, { blocks: ["10.9.9.9/32"] }]);
  });

  it("refuses addresses outside the pool with a clear error", () => {
    const pool = AddressPool.create({ name: "p", cidr: "10.0.0.0/24" });
    assert.throws(() => pool.claim(parseAddress("10.0.1.0").value), InvalidAddressError);
    assert.throws(() => pool.parse("2001:db8::1"), /pool p is IPv4/);
  });

  it("fills a /20 in 4096 allocations and finds the one free address left", () => {
    const pool = AddressPool.create({ name: "p", cidr: "10.16.0.0/20", blockSize: 24 });
    assert.equal(pool.allocateMany(5000).length, 4096);
    pool.release(parseAddress("10.16.9.77").value);
    assert.equal(pool.format(pool.allocate()!), "10.16.9.77");
    assert.equal(pool.allocate(), undefined);
    assert.equal(pool.counts().free, 0n);
  });
});

describe("AddressPool, dense IPv6", () => {
  it("allocates, claims and releases at both ends of a /120", () => {
    const pool = AddressPool.create({ name: "p6", cidr: "2001:db8::/120" });
    assert.equal(pool.storage, "dense");
    run(pool, [
      { allocate: "2001:db8::" },
      { claim: "2001:db8::ff", ok: true },
      { allocate: "2001:db8::1" },
      { blocks: ["2001:db8::/122", "2001:db8::c0/122"] },
      // The partly used last block comes before the empty middle ones once the first is full.
      { allocateMany: 62, expect: Array.from({ length: 62 }, (_, i) => `2001:db8::${(i + 2).toString(16)}`) },
      { allocate: "2001:db8::c0" },
    ]);
  });

  it("serves a /128 pool of one address", () => {
    const pool = AddressPool.create({ name: "p", cidr: "2001:db8::7/128", blockSize: 128 });
    run(pool, [
      { allocate: "2001:db8::7" },
      { allocate: null },
      { release: "2001:db8::7", ok: true },
      { allocate: "2001:db8::7" },
    ]);
  });
});

describe("AddressPool, sparse IPv6", () => {
  it("keeps only the blocks in use of a /64", () => {
    const pool = AddressPool.create({ name: "big", cidr: "2001:db8:1::/64", blockSize: 122 });
    assert.equal(pool.storage, "sparse");
    run(pool, [
      { allocate: "2001:db8:1::" },
      { claim: "2001:db8:1::ffff:ffff:ffff:ffff", ok: true },
      { allocate: "2001:db8:1::1" },
      { blocks: ["2001:db8:1::/122", "2001:db8:1:0:ffff:ffff:ffff:ffc0/122"] },
      {
        allocateMany: 62,
        expect: Array.from({ length: 62 }, (_, i) => `2001:db8:1::${(i + 2).toString(16)}`),
      },
      // The first block is full; the partly used last block comes before the empty second one.
      { allocate: "2001:db8:1:0:ffff:ffff:ffff:ffc0" },
      { release: "2001:db8:1::5", ok: true },
      { release: "2001:db8:1::5", ok: false },
      { release: "2001:db8:1:0:1::", ok: false },
      { allocate: "2001:db8:1::5" },
      { counts: { allocated: 66, reserved: 0n, free: 2n ** 64n - 66n } },
    ]);
  });

  it("skips reserved ranges, including whole reserved subtrees", () => {
    const pool = AddressPool.create({ name: "big", cidr: "2001:db8:2::/64", blockSize: 122 });
    run(pool, [
      { reserve: ["2001:db8:2::/80", "2001:db8:2:0:1::/127"] },
      { allocate: "2001:db8:2:0:1::2" },
      { claim: "2001:db8:2::", ok: true },
      { counts: { allocated: 2, reserved: 2n ** 48n + 2n, free: 2n ** 64n - 2n ** 48n - 2n - 1n } },
      { reserve: [] },
      // Block 2001:db8:2::/122 now has the claimed address and free ones: partly used, and lowest.
      { allocate: "2001:db8:2::1" },
    ]);
  });

  // A reservation of 2^64 or more addresses overflowed the count's 64 bits and read as 0 (#11).
  it("counts reservations of whole /64s and of the whole address space exactly", () => {
    const pool = AddressPool.create({ name: "huge", cidr: "3000::/8", blockSize: 122 });
    run(pool, [
      { reserve: ["3000::/64"] },
      { counts: { allocated: 0, reserved: 2n ** 64n, free: 2n ** 120n - 2n ** 64n } },
      { reserve: ["3000::/64", "3000:0:0:1::/64", "3000:1::/32"] },
      { counts: { allocated: 0, reserved: 2n ** 65n + 2n ** 96n, free: 2n ** 120n - 2n ** 65n - 2n ** 96n } },
      { claim: "3000::1", ok: true },
      { counts: { allocated: 1, reserved: 2n ** 65n + 2n ** 96n, free: 2n ** 120n - 2n ** 65n - 2n ** 96n } },
      { reserve: ["::/0"] },
      { counts: { allocated: 1, reserved: 2n ** 120n, free: 0n } },
    ]);
    const all = AddressPool.create({ name: "all", cidr: "::/0", blockSize: 128 });
    run(all, [
      { reserve: ["::/0"] },
      { counts: { allocated: 0, reserved: 2n ** 128n, free: 0n } },
      // The range's end, 2^128, does not fit the shared words: stored as its last offset, it is enforced.
      { allocate: null },
      { reserve: ["::/1"] },
      { counts: { allocated: 0, reserved: 2n ** 127n, free: 2n ** 127n } },
    ]);
  });

  it("serves a sparse pool whose block numbers do not fill the top node", () => {
    // 2^(122-56) = 2^66 blocks: eleven levels, the top one using 2^6 of its digits after 60 bits below.
    const pool = AddressPool.create({ name: "wide", cidr: "2001:db8::/56", blockSize: 128 });
    run(pool, [
      { allocate: "2001:db8::" },
      { claim: "2001:db8:0:ff:ffff:ffff:ffff:ffff", ok: true },
      { allocate: "2001:db8::1" },
    ]);
  });
});

describe("AddressPool.attach", () => {
  it("shares one pool between two handles", () => {
    for (const cidr of ["10.0.0.0/24", "2001:db8::/64"]) {
      const owner = AddressPool.create({ name: "p", cidr });
      const other = AddressPool.attach(owner.shared());
      const a = owner.allocate()!;
      const b = other.allocate()!;
      assert.notEqual(a, b);
      assert.ok(owner.isAllocated(b));
      assert.equal(owner.counts().allocated, 2);
      assert.equal(other.counts().allocated, 2);
    }
  });
});
