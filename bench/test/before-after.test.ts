import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { comparedWithBefore, interleavedSides, medianOfRounds } from "../src/before-after.js";
import type { BenchResult } from "../src/harness.js";

const throughput = (value: number): BenchResult => ({
  name: "status-patch-throughput",
  value,
  unit: "patches/s",
  target: "floor",
  pass: null,
  note: "10000 Services",
});
const memory = (value: number): BenchResult => ({
  name: "memory-per-open-watch",
  value,
  unit: "KiB",
  target: "<= 256",
  pass: value <= 256,
});

describe("interleavedSides", () => {
  it("alternates before and after, before first, once per round", () => {
    assert.deepEqual(interleavedSides(2), ["before", "after", "before", "after"]);
    assert.deepEqual(interleavedSides(1), ["before", "after"]);
  });

  it("refuses a round count that is not a positive integer", () => {
    for (const rounds of [0, -1, 1.5, Number.NaN]) assert.throws(() => interleavedSides(rounds), RangeError);
  });
});

describe("medianOfRounds", () => {
  it("takes each result's median by name, whatever order a round lists them in", () => {
    const combined = medianOfRounds([
      [throughput(1000), memory(100)],
      [memory(300), throughput(3000)],
      [throughput(1200), memory(200)],
    ]);
    assert.deepEqual(
      combined.map((r) => [r.name, r.value]),
      [
        ["status-patch-throughput", 1200],
        ["memory-per-open-watch", 200],
      ],
    );
  });

  it("averages the middle two of an even number of rounds", () => {
    assert.equal(medianOfRounds([[throughput(1000)], [throughput(1100)]])[0]?.value, 1050);
  });

  it("refuses rounds that do not report the same results", () => {
    assert.throws(() => medianOfRounds([[throughput(1000), memory(1)], [throughput(1000)]]), /no memory/);
    assert.throws(() => medianOfRounds([]), RangeError);
  });
});

describe("comparedWithBefore", () => {
  const commit = "4838002cd26f1ec7acdd45719eb559e7289c6529";
  const ratios = [{ name: "status-patch-throughput", atLeast: 0.95 }];

  it("gives the after results, each before figure as a reference, and the ratio against its target", () => {
    const results = comparedWithBefore(
      [throughput(960), memory(100)],
      [throughput(1000), memory(6000)],
      commit,
      ratios,
    );
    assert.deepEqual(
      results.map((r) => [r.name, r.value, r.target, r.pass]),
      [
        ["status-patch-throughput", 960, "floor", null],
        ["memory-per-open-watch", 100, "<= 256", true],
        ["status-patch-throughput-before", 1000, "reference", null],
        ["memory-per-open-watch-before", 6000, "reference", null],
        ["status-patch-throughput-vs-before", 0.96, ">= 0.95", true],
      ],
    );
  });

  it("misses when the after side lost more than the target allows", () => {
    const ratio = comparedWithBefore([throughput(940)], [throughput(1000)], commit, ratios).at(-1);
    assert.equal(ratio?.pass, false);
  });

  it("records the before commit in the before figures' and the ratio's notes", () => {
    const results = comparedWithBefore([throughput(1000)], [throughput(1000)], commit, ratios);
    for (const name of ["status-patch-throughput-before", "status-patch-throughput-vs-before"])
      assert.match(results.find((r) => r.name === name)?.note ?? "", new RegExp(commit));
  });
});
