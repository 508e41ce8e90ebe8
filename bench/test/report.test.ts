import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { SuiteReport } from "../src/harness.js";
import { parseTarget, progress, suiteChart, writeReport } from "../src/report.js";

const report: SuiteReport = {
  suite: "sample",
  date: "2026-11-27T00:00:00.000Z",
  machine: { cpuModel: "test cpu", cores: 2, memoryGiB: 24, node: "v20", os: "linux" },
  results: [
    { name: "fast-enough", value: 12_000_000, unit: "ops/s", target: ">= 10,000,000", pass: true },
    { name: "too-slow", value: 2_000_000, unit: "ops/s", target: ">= 10,000,000", pass: false },
    { name: "small", value: 2, unit: "x", target: "<= 5", pass: true },
    { name: "reference", value: 1234, unit: "patches/s", target: "floor", pass: null },
  ],
};

/** The length of each bar drawn (paths "M x,y h WIDTH v ..."), in order. */
function barWidths(svg: string): number[] {
  const bars = svg.match(/<path[^>]*aria-roledescription="bar"[^>]*>/g) ?? [];
  return bars.map((bar) => Number(/ d="M[-0-9.e]+,[-0-9.e]+h([-0-9.e]+)v/.exec(bar)?.[1]));
}

describe("benchmark report", () => {
  it("reads targets and measures progress towards them", () => {
    assert.deepEqual(parseTarget(">= 5,000,000"), { comparison: ">=", limit: 5_000_000 });
    assert.deepEqual(parseTarget("<= 8"), { comparison: "<=", limit: 8 });
    assert.deepEqual(parseTarget("= 1.0"), { comparison: "=", limit: 1 });
    assert.equal(parseTarget("floor"), undefined);
    assert.equal(parseTarget("measured (sets WORKER_MIN_BATCH)"), undefined);
    const r = report.results;
    assert.equal(progress(r[0]!, parseTarget(r[0]!.target)!), 1.2);
    assert.equal(progress(r[1]!, parseTarget(r[1]!.target)!), 0.2);
    assert.equal(progress(r[2]!, parseTarget(r[2]!.target)!), 2.5);
  });

  it('measures "= 0" targets, such as writes that must not happen', () => {
    const zero = parseTarget("= 0")!;
    assert.deepEqual(zero, { comparison: "=", limit: 0 });
    const writes = (value: number) => ({
      name: "writes",
      value,
      unit: "writes",
      target: "= 0",
      pass: value === 0,
    });
    assert.equal(progress(writes(0), zero), 1);
    assert.equal(progress(writes(1), zero), 0.5);
    assert.ok(progress(writes(100_000), zero) < 0.001);
  });

  it("draws a bar for a result far off its target on the logarithmic axis", async () => {
    const svg = (await suiteChart({
      ...report,
      results: [
        { name: "no-writes", value: 0, unit: "writes", target: "= 0", pass: true },
        { name: "many-writes", value: 100_000, unit: "writes", target: "= 0", pass: false },
      ],
    }))!;
    const [none, many] = barWidths(svg);
    assert.ok(many! > 0, "the missed result still shows a bar");
    assert.ok(none! > many!);
  });

  it("draws one bar per result with a target, red where missed", async () => {
    const svg = (await suiteChart(report))!;
    assert.match(svg, /^<svg/);
    const bars = svg.match(/aria-roledescription="bar"/g) ?? [];
    assert.equal(bars.length, 3, "the result without a target has no bar");
    for (const name of ["fast-enough", "too-slow", "small"])
      assert.match(svg, new RegExp(`scenario: ${name}`));
    assert.doesNotMatch(svg, /scenario: reference/);
    const [fast, slow, small] = barWidths(svg);
    assert.ok(slow! > 0 && fast! > slow! && small! > fast!, "bar lengths follow progress");
    const red = svg.match(/<path[^>]*aria-label="[^"]*scenario: too-slow[^"]*"[^>]*>/)?.[0] ?? "";
    assert.match(red, /fill="#c62828"/);
  });

  it("writes report.md with every suite's chart and numbers", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lbipam-report-"));
    mkdirSync(join(dir, "results"));
    writeFileSync(join(dir, "results", "sample.json"), JSON.stringify(report));
    const path = await writeReport(join(dir, "results"), dir);
    const markdown = readFileSync(path, "utf8");
    assert.match(markdown, /!\[sample against its targets\]\(charts\/sample\.svg\)/);
    assert.match(markdown, /\| too-slow \| 2,000,000 ops\/s \| >= 10,000,000 \| \*\*missed\*\* \|/);
    assert.match(markdown, /\| reference \| 1,234 patches\/s \| floor \| {2}\|/);
    assert.match(readFileSync(join(dir, "charts", "sample.svg"), "utf8"), /<svg/);
  });
});
