// bench/report.md: where lbipam stands against each target, one chart per
// suite (SVG drawn by Vega-Lite) and the numbers behind it.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as vega from "vega";
import { compile } from "vega-lite";
import type { BenchResult, SuiteReport } from "./harness.js";

/** A target as the results write it: ">= 5,000,000", "<= 5", "= 1.0". */
export interface ParsedTarget {
  comparison: ">=" | "<=" | "=";
  limit: number;
}

export function parseTarget(target: string): ParsedTarget | undefined {
  const match = /^\s*(>=|<=|=)\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*$/.exec(target);
  if (!match) return undefined;
  return { comparison: match[1] as ParsedTarget["comparison"], limit: Number(match[2]!.replaceAll(",", "")) };
}

/**
 * How far a result is along its target: 1 is the target, above 1 is better
 * (for "<=" targets the ratio is inverted so that higher is better too).
 */
export function progress(result: BenchResult, target: ParsedTarget): number {
  if (target.comparison === ">=") return result.value / target.limit;
  if (target.comparison === "<=") return result.value === 0 ? 10 : target.limit / result.value;
  if (result.value === target.limit) return 1;
  // "= 0" missed by n: 1 / (1 + n), so one stray write is half way and many are far off.
  if (target.limit === 0) return 1 / (1 + Math.abs(result.value));
  return Math.min(result.value, target.limit) / Math.max(result.value, target.limit);
}

/** Results further off their target than these are drawn as these. */
const PROGRESS_MIN = 0.01;
const PROGRESS_MAX = 10;
/** Where the axis starts: below PROGRESS_MIN, so that every bar shows. */
const AXIS_START = PROGRESS_MIN / 2;

export async function suiteChart(report: SuiteReport): Promise<string | undefined> {
  const rows = report.results.flatMap((result) => {
    const target = parseTarget(result.target);
    if (!target) return [];
    return [
      {
        scenario: result.name,
        progress: Math.min(Math.max(progress(result, target), PROGRESS_MIN), PROGRESS_MAX),
        outcome: result.pass ? "met" : "missed",
        label: `${formatNumber(result.value)} ${result.unit} (target ${result.target})`,
      },
    ];
  });
  if (rows.length === 0) return undefined;
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: `${report.suite}: result / target (1 = target, higher is better)`,
    width: 480,
    data: { values: rows },
    layer: [
      {
        mark: "bar",
        encoding: {
          y: { field: "scenario", type: "nominal", sort: null, title: null },
          // A bar on a log axis has no zero to start from: each starts at the axis' left end.
          x: {
            field: "progress",
            type: "quantitative",
            scale: { type: "log", domain: [AXIS_START, PROGRESS_MAX], nice: false },
            title: "result / target (log)",
          },
          x2: { datum: AXIS_START },
          color: {
            field: "outcome",
            type: "nominal",
            scale: { domain: ["met", "missed"], range: ["#2e7d32", "#c62828"] },
          },
          tooltip: { field: "label" },
        },
      },
      { mark: { type: "rule", strokeDash: [4, 3] }, encoding: { x: { datum: 1 } } },
    ],
  };
  // biome-ignore lint/suspicious/noExplicitAny: Vega-Lite's compiled spec is Vega's Spec, typed apart.
  const view = new vega.View(vega.parse(compile(spec as any).spec), { renderer: "none" });
  return view.toSVG();
}

function formatNumber(value: number): string {
  return Math.abs(value) >= 1000 ? Math.round(value).toLocaleString("en-US") : value.toPrecision(4);
}

/** Writes report.md and one SVG per suite from every results file in `resultsDir`. */
export async function writeReport(resultsDir: string, benchDir: string): Promise<string> {
  const chartsDir = join(benchDir, "charts");
  mkdirSync(chartsDir, { recursive: true });
  const lines = [
    "# Benchmark report",
    "",
    "Written by `npm run bench`; what the numbers mean: docs/benchmarks.md.",
    "",
  ];
  for (const file of readdirSync(resultsDir)
    .filter((f) => f.endsWith(".json"))
    .sort()) {
    const report = JSON.parse(readFileSync(join(resultsDir, file), "utf8")) as SuiteReport;
    const m = report.machine;
    lines.push(
      `## ${report.suite}`,
      "",
      `${report.date}, ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}`,
      "",
    );
    const svg = await suiteChart(report);
    if (svg) {
      writeFileSync(join(chartsDir, `${report.suite}.svg`), svg);
      lines.push(`![${report.suite} against its targets](charts/${report.suite}.svg)`, "");
    }
    lines.push("| scenario | value | target | |", "|---|---|---|---|");
    for (const r of report.results) {
      const verdict = r.pass === null ? "" : r.pass ? "met" : "**missed**";
      lines.push(`| ${r.name} | ${formatNumber(r.value)} ${r.unit} | ${r.target} | ${verdict} |`);
    }
    lines.push("");
  }
  const path = join(benchDir, "report.md");
  writeFileSync(path, lines.join("\n"));
  return path;
}
