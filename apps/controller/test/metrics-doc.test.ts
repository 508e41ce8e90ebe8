// docs/metrics.md against what a running controller exports on /metrics: every lbipam_ family
// (but prom-client's default process metrics) is documented, every documented family is
// exported, with the documented type and labels.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, it } from "node:test";
import { fileURLToPath } from "node:url";
import { collectDefaultMetrics, Registry } from "prom-client";
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
} from "./helpers/cluster.js";

const page = fileURLToPath(new URL("../../../../docs/metrics.md", import.meta.url));

interface Documented {
  type: string;
  labels: string[];
}

/** The rows of the page's tables: | `name` | type | `label`, `label` | meaning | */
function documented(): Map<string, Documented> {
  const rows = new Map<string, Documented>();
  for (const line of readFileSync(page, "utf8").split("\n")) {
    const match = /^\| `(lbipam_[a-z0-9_]+)` \| ([a-z]+) \|([^|]*)\|/.exec(line);
    if (!match) continue;
    const [, name = "", type = "", labels = ""] = match;
    assert.ok(!rows.has(name), `${name} is documented once`);
    rows.set(name, { type, labels: [...labels.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]!).sort() });
  }
  return rows;
}

/** Family names of prom-client's default metrics with the controller's prefix. */
function defaultFamilies(): Set<string> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "lbipam_" });
  return new Set(registry.getMetricsAsArray().map((metric) => metric.name));
}

let cluster: TestCluster;
let controller: Controller;
let metrics: ListeningServer;
/** name -> type, from the `# TYPE` lines of a scrape. */
const exported = new Map<string, string>();
/** name -> label names, from the controller's registry. */
const labelNames = new Map<string, string[]>();

before(async () => {
  cluster = await startCluster();
  await createPool(cluster, "documented", { cidr: "10.41.0.0/30", blockSize: 30 });
  controller = startController(cluster);
  metrics = await startMetricsServer("127.0.0.1", 0, controller.metrics.registry, { secure: false });
  await controller.start();
  await cluster.core.createNamespacedService({ namespace: "default", body: loadBalancer("doc") });
  await oneAddressOf(cluster, "default", "doc");
  const response = await fetch(`${metrics.url}/metrics`);
  assert.equal(response.status, 200);
  for (const line of (await response.text()).split("\n")) {
    const match = /^# TYPE (lbipam_\S+) (\S+)$/.exec(line);
    if (match) exported.set(match[1]!, match[2]!);
  }
  for (const metric of controller.metrics.registry.getMetricsAsArray()) {
    const names = (metric as unknown as { labelNames?: string[] }).labelNames ?? [];
    labelNames.set(metric.name, [...names].sort());
  }
});
after(async () => {
  await metrics?.close();
  await controller?.stop();
  await cluster?.stop();
});

it("documents every lbipam_ metric family the controller exports", () => {
  const defaults = defaultFamilies();
  const rows = documented();
  const undocumented = [...exported.keys()].filter((name) => !defaults.has(name) && !rows.has(name));
  assert.deepEqual(undocumented, [], "exported but not in docs/metrics.md");
  assert.ok(exported.size > defaults.size, "the scrape has the controller's own metrics");
});

it("documents no family the controller does not export", () => {
  const absent = [...documented().keys()].filter((name) => !exported.has(name));
  assert.deepEqual(absent, [], "in docs/metrics.md but not exported");
});

it("documents each family's type and labels as exported", () => {
  for (const [name, row] of documented()) {
    assert.equal(row.type, exported.get(name), `type of ${name}`);
    assert.deepEqual(row.labels, labelNames.get(name), `labels of ${name}`);
  }
});
