// What operators watch, checked with Prometheus' own tools: the live
// /metrics passes `promtool check metrics`, the alert rules pass
// `promtool check rules` and their unit tests, each alert has a runbook, and
// every Grafana panel's query returns data from a real Prometheus scraping a
// controller at work. Skipped, with the reason printed, where Prometheus is
// not installed (.ci/run installs Debian's `prometheus` package).
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parse, stringify } from "yaml";
import type { Controller } from "../src/controller/controller.js";
import type { ListeningServer } from "../src/controller/http-routes.js";
import { startMetricsServer } from "../src/controller/metrics-server.js";
import {
  createPool,
  loadBalancer,
  oneAddressOf,
  startCluster,
  startController,
  type TestCluster,
  waitFor,
} from "./helpers/cluster.js";
import { type RunningPrometheus, startPrometheus, whyMissing } from "./helpers/prometheus.js";

const run = promisify(execFile);
const repository = fileURLToPath(new URL("../../../../", import.meta.url));
const ruleFile = join(repository, "deploy", "prometheus", "prometheus-rule.yaml");
const ruleTests = join(repository, "deploy", "prometheus", "rules.test.yaml");
const dashboardFile = join(repository, "deploy", "grafana", "lbipam-dashboard.json");
const operations = join(repository, "docs", "operations.md");

const promtoolMissing = await whyMissing("promtool");
const prometheusMissing = await whyMissing("prometheus");
if (promtoolMissing) console.log(`# skipping promtool checks: ${promtoolMissing}`);
if (prometheusMissing) console.log(`# skipping the dashboard check: ${prometheusMissing}`);

interface RuleGroup {
  name: string;
  rules: { alert?: string; expr: string }[];
}
const groups = (parse(readFileSync(ruleFile, "utf8")) as { spec: { groups: RuleGroup[] } }).spec.groups;
const alerts = groups.flatMap((g) => g.rules.map((r) => r.alert).filter((a): a is string => a !== undefined));

describe("alert rules", () => {
  it("each alert has a runbook section in docs/operations.md", () => {
    const headings = readFileSync(operations, "utf8")
      .split("\n")
      .filter((line) => line.startsWith("### "))
      .map((line) => line.slice(4).trim());
    assert.ok(alerts.length >= 7);
    for (const alert of alerts)
      assert.ok(headings.includes(alert), `no "### ${alert}" in docs/operations.md`);
  });

  it("pass promtool check rules and their unit tests", {
    skip: promtoolMissing ?? false,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "lbipam-rules-"));
    writeFileSync(join(dir, "rules.yaml"), stringify({ groups }));
    copyFileSync(ruleTests, join(dir, "rules.test.yaml"));
    const checked = await run("promtool", ["check", "rules", join(dir, "rules.yaml")]);
    assert.match(checked.stdout, new RegExp(`SUCCESS: ${groups.flatMap((g) => g.rules).length} rules found`));
    const tested = await run("promtool", ["test", "rules", join(dir, "rules.test.yaml")]);
    assert.match(tested.stdout, /SUCCESS/);
    // Every alert is exercised by the unit tests.
    const tests = readFileSync(ruleTests, "utf8");
    for (const alert of alerts)
      assert.match(tests, new RegExp(`alertname: ${alert}\\b`), `${alert} has no unit test`);
  });
});

describe("a controller at work, scraped", () => {
  let cluster: TestCluster;
  let controller: Controller;
  let metrics: ListeningServer;
  let prometheus: RunningPrometheus | undefined;

  before(async () => {
    cluster = await startCluster();
    await createPool(cluster, "observed", { cidr: "10.60.0.0/29", blockSize: 29 });
    controller = startController(cluster);
    await controller.start();
    metrics = await startMetricsServer("127.0.0.1", 0, controller.metrics.registry, { secure: false });
  });
  after(async () => {
    await prometheus?.stop();
    await metrics?.close();
    await controller?.stop();
    await cluster?.stop();
  });

  it("serves metrics that pass promtool check metrics", {
    skip: promtoolMissing ?? false,
  }, async () => {
    await cluster.core.createNamespacedService({ namespace: "default", body: loadBalancer("scraped") });
    await oneAddressOf(cluster, "default", "scraped");
    const text = await (await fetch(`${metrics.url}/metrics`)).text();
    const checked = spawn("promtool", ["check", "metrics"]);
    let output = "";
    checked.stdout.on("data", (d: Buffer) => (output += d));
    checked.stderr.on("data", (d: Buffer) => (output += d));
    checked.stdin.end(text);
    const code = await new Promise((resolve) => checked.on("close", resolve));
    assert.equal(code, 0, output);
  });

  it("answers every dashboard panel's query", {
    skip: prometheusMissing ?? false,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "lbipam-prometheus-"));
    const target = new URL(metrics.url).host;
    prometheus = await startPrometheus(dir, {
      global: { scrape_interval: "1s", evaluation_interval: "1s" },
      scrape_configs: [{ job_name: "lbipam", static_configs: [{ targets: [target] }] }],
    });
    const running = prometheus;
    const query = async (expr: string) => {
      const reply = await running.api<{ result: unknown[] }>(
        `/api/v1/query?query=${encodeURIComponent(expr)}`,
      );
      assert.equal(reply?.status, "success", `${expr}: ${reply?.error ?? "no answer"}`);
      return reply?.data?.result ?? [];
    };
    await waitFor(
      () => query("up").catch(() => []),
      (result) => result.length === 1,
      "Prometheus to scrape the controller",
    );
    // Work while scraped: assignments, a Service left waiting (the pool holds 8), releases.
    for (let i = 0; i < 10; i++) {
      await cluster.core.createNamespacedService({ namespace: "default", body: loadBalancer(`load-${i}`) });
    }
    await oneAddressOf(cluster, "default", "load-6");
    await cluster.core.deleteNamespacedService({ namespace: "default", name: "load-0" });
    await oneAddressOf(cluster, "default", "load-7");
    const dashboard = JSON.parse(readFileSync(dashboardFile, "utf8")) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    for (const panel of dashboard.panels) {
      for (const { expr } of panel.targets) {
        await waitFor(
          () => query(expr),
          (result) => result.length > 0,
          `data for "${panel.title}": ${expr}`,
        );
      }
    }
  });
});
