// The cache behind /metrics' reviews, as a scripted table of steps against one instance
// (keys, what each lookup computes, the clock): bounded, expiring, one computation per key
// at a time, failures not kept.
import assert from "node:assert/strict";
import { it } from "node:test";
import { ExpiringCache } from "../src/controller/expiring-cache.js";

it("keeps answers for their time, evicts the least recently used, and computes a miss once", async () => {
  let now = 0;
  const cache = new ExpiringCache<string>(2, () => now);
  const computed: string[] = [];
  /** Looks `key` up; a miss computes `key@now`, kept 10 time units. */
  const get = (key: string) =>
    cache.get(
      key,
      async () => {
        computed.push(key);
        return `${key}@${now}`;
      },
      () => 10,
    );
  const steps: [string, () => Promise<unknown>, string[], string?][] = [
    ["a is computed", () => get("a"), ["a"], "a@0"],
    ["a again is kept", () => get("a"), [], "a@0"],
    ["b is computed", () => get("b"), ["b"], "b@0"],
    ["a is used: b is now the oldest", () => get("a"), [], "a@0"],
    ["c is computed and evicts b", () => get("c"), ["c"], "c@0"],
    ["a was kept", () => get("a"), [], "a@0"],
    ["b was evicted", () => get("b"), ["b"], "b@0"],
    [
      "at 10 a has expired",
      async () => {
        now = 10;
        return get("a");
      },
      ["a"],
      "a@10",
    ],
  ];
  for (const [what, step, computes, value] of steps) {
    computed.length = 0;
    const result = await step();
    assert.deepEqual(computed, computes, what);
    if (value !== undefined) assert.equal(result, value, what);
    assert.ok(cache.size <= 2, `${what}: at most 2 kept`);
  }
});

it("shares one computation among concurrent lookups of a key", async () => {
  const cache = new ExpiringCache<number>(8);
  let computations = 0;
  let finish = (_value: number) => {};
  const compute = () => {
    computations++;
    return new Promise<number>((resolve) => {
      finish = resolve;
    });
  };
  const lookups = Array.from({ length: 20 }, () => cache.get("k", compute, () => 1000));
  finish(7);
  assert.deepEqual(await Promise.all(lookups), Array(20).fill(7));
  assert.equal(computations, 1);
});

it("keeps no failure, and no value whose time is 0; the waiting lookups still get them", async () => {
  const cache = new ExpiringCache<string>(8);
  let computations = 0;
  const failing = () => {
    computations++;
    return Promise.reject(new Error("the API said 500"));
  };
  const both = [cache.get("k", failing, () => 1000), cache.get("k", failing, () => 1000)];
  for (const lookup of both) await assert.rejects(lookup, /the API said 500/);
  assert.equal(computations, 1, "the two waited on one computation");
  assert.equal(
    await cache.get(
      "k",
      async () => "ok",
      () => 0,
    ),
    "ok",
    "a failure was not kept",
  );
  assert.equal(
    await cache.get(
      "k",
      async () => "again",
      () => 1000,
    ),
    "again",
    "time 0 was not kept",
  );
  assert.equal(cache.size, 1);
});
