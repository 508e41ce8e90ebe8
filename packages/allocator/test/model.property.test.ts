// Random sequences of allocate / claim / release / reserve over several pools
// of both families and both storages, checked step by step against a plain
// model: a Set of allocated offsets and the policy written the naive way.
import assert from "node:assert/strict";
import { it } from "node:test";
import fc from "fast-check";
import { AddressPool, type Cidr } from "../src/index.js";

const POOLS = [
  { name: "v4-small-blocks", cidr: "10.0.0.0/26", blockSize: 29 },
  { name: "v4-one-block", cidr: "10.0.1.0/28", blockSize: 28 },
  { name: "v4-wide-blocks", cidr: "10.1.0.0/23", blockSize: 26 },
  { name: "v6-dense", cidr: "2001:db8::/120", blockSize: 124 },
  { name: "v6-sparse", cidr: "2001:db8:1::/64", blockSize: 124 },
  { name: "v6-sparse-wide", cidr: "2001:db8:2::/96", blockSize: 122 },
];

class ModelPool {
  readonly allocated = new Set<bigint>();
  reserved: { from: bigint; to: bigint }[] = [];
  constructor(
    readonly size: bigint,
    readonly blockLength: bigint,
  ) {}

  isReserved(offset: bigint): boolean {
    return this.reserved.some((r) => offset >= r.from && offset < r.to);
  }

  private freeIn(block: bigint): bigint | undefined {
    for (let o = block * this.blockLength; o < (block + 1n) * this.blockLength; o++) {
      if (!this.allocated.has(o) && !this.isReserved(o)) return o;
    }
    return undefined;
  }

  /** The policy as the spec says it: partly used blocks first, lowest first; then the lowest unused block. */
  next(): bigint | undefined {
    const used = [...new Set([...this.allocated].map((o) => o / this.blockLength))].sort((a, b) =>
      a < b ? -1 : 1,
    );
    for (const block of used) {
      const free = this.freeIn(block);
      if (free !== undefined) return free;
    }
    const usedSet = new Set(used);
    for (let block = 0n; block * this.blockLength < this.size; block++) {
      if (usedSet.has(block)) continue;
      const free = this.freeIn(block);
      if (free !== undefined) return free;
    }
    return undefined;
  }

  counts() {
    let reserved = 0n;
    let both = 0;
    for (const r of this.reserved) reserved += r.to - r.from;
    for (const o of this.allocated) if (this.isReserved(o)) both++;
    const allocated = this.allocated.size;
    return {
      allocated,
      reserved,
      free: this.size - BigInt(allocated) - reserved + BigInt(both),
    };
  }
}

type Action =
  | { kind: "allocate"; pool: number; count: number }
  | { kind: "claim"; pool: number; offset: number; fromTop: boolean }
  | { kind: "release"; pool: number; pick: number }
  | { kind: "test"; pool: number; offset: number }
  | { kind: "reserve"; ranges: { pool: number; start: number; log2: number }[] };

const pool = fc.integer({ min: 0, max: POOLS.length - 1 });
const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("allocate" as const),
      pool,
      count: fc.integer({ min: 1, max: 20 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("claim" as const),
      pool,
      offset: fc.integer({ min: 0, max: 63 }),
      fromTop: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("release" as const), pool, pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("test" as const),
      pool,
      offset: fc.integer({ min: 0, max: 63 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("reserve" as const),
      ranges: fc.array(
        fc.record({ pool, start: fc.integer({ min: 0, max: 63 }), log2: fc.integer({ min: 0, max: 3 }) }),
        {
          maxLength: 4,
        },
      ),
    }),
  },
);

it("agrees with a plain model over random operation sequences", () => {
  fc.assert(
    fc.property(fc.array(action, { minLength: 1, maxLength: 120 }), (actions) => {
      const real = POOLS.map((definition) => AddressPool.create(definition));
      const model = real.map((p) => new ModelPool(p.spec.size, 1n << BigInt(p.spec.blockShift)));
      for (const step of actions) {
        if (step.kind === "reserve") {
          const cidrs: Cidr[] = step.ranges.map(({ pool: i, start, log2 }) => {
            const p = real[i]!;
            const from = BigInt(start - (start % 2 ** log2));
            const bits = p.spec.family === 4 ? 32 : 128;
            return { family: p.spec.family, base: p.spec.cidr.base + from, prefixLength: bits - log2 };
          });
          real.forEach((p, i) => {
            p.setReservations(cidrs);
            const own = cidrs
              .filter((c) => c.family === p.spec.family && p.contains(c.base))
              .map((c) => ({
                from: c.base - p.spec.cidr.base,
                to: c.base - p.spec.cidr.base + (1n << BigInt((c.family === 4 ? 32 : 128) - c.prefixLength)),
              }));
            const merged = new Map<bigint, { from: bigint; to: bigint }>();
            for (let o = 0n; o < 64n && o < p.spec.size; o++)
              if (own.some((r) => o >= r.from && o < r.to)) merged.set(o, { from: o, to: o + 1n });
            model[i]!.reserved = [...merged.values()];
          });
        } else {
          const p = real[step.pool]!;
          const m = model[step.pool]!;
          const base = p.spec.cidr.base;
          if (step.kind === "allocate") {
            const expected: bigint[] = [];
            for (let k = 0; k < step.count; k++) {
              const next = m.next();
              if (next === undefined) break;
              m.allocated.add(next);
              expected.push(next);
            }
            const got =
              step.count === 1 ? [p.allocate()].filter((v) => v !== undefined) : p.allocateMany(step.count);
            assert.deepEqual(
              got.map((v) => v - base),
              expected,
            );
          } else if (step.kind === "claim") {
            const inside = BigInt(step.offset) % p.spec.size;
            const offset = step.fromTop ? p.spec.size - 1n - inside : inside;
            const expected = !m.allocated.has(offset);
            if (expected) m.allocated.add(offset);
            assert.equal(p.claim(base + offset), expected);
          } else if (step.kind === "release") {
            const held = [...m.allocated].sort((a, b) => (a < b ? -1 : 1));
            // Half the picks aim at an address not held, to check release refuses it.
            const offset =
              step.pick % 2 === 0 && held.length > 0
                ? held[(step.pick >> 1) % held.length]!
                : BigInt(step.pick % 64) % p.spec.size;
            const expected = m.allocated.delete(offset);
            assert.equal(p.release(base + offset), expected);
          } else {
            const offset = BigInt(step.offset) % p.spec.size;
            assert.equal(p.isAllocated(base + offset), m.allocated.has(offset));
          }
          const { allocated, reserved, free } = p.counts();
          assert.deepEqual({ allocated, reserved, free }, m.counts());
        }
      }
      for (const p of real) assert.deepEqual(p.scan().problems, []);
    }),
    { numRuns: 150 },
  );
});
