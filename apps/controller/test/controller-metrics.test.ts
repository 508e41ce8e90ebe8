// /metrics, /healthz and /readyz of a running controller, served together as plain HTTP
// (the default of `lbipam controller`, and `npm start`).
import assert from "node:assert/strict";
import { after, before, it } from "node:test";
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

let cluster: TestCluster;
let controller: Controller;
let served: ListeningServer;
/** Started once, by whichever test needs it first (the first one looks before). */
let started: Promise<void> | undefined;
const start = () => {
  started ??= controller.start();
  return started;
};

before(async () => {
  cluster = await startCluster();
  await createPool(cluster, "metered", { cidr: "10.40.0.0/30", blockSize: 30 });
  controller = startController(cluster);
  served = await startMetricsServer("127.0.0.1", 0, controller.metrics.registry, {
    secure: false,
    probes: {
      healthy: () => ({ ok: true, detail: "ok" }),
      ready: () =>
        controller.ready ? { ok: true, detail: "ready" } : { ok: false, detail: "caches not synced" },
    },
  });
});
after(async () => {
  await served?.close();
  await controller?.stop();
  await cluster?.stop();
});

const get = async (path: string) => {
  const response = await fetch(`${served.url}${path}`);
  return { status: response.status, text: await response.text() };
};

/** The value of one sample line, e.g. `lbipam_pool_size_addresses{pool="metered",family="4"}`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-z_:]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const body = match[2] ?? "";
    if (Object.entries(labels).every(([k, v]) => body.includes(`${k}="${v}"`))) return Number(match[3]);
  }
  return undefined;
}

it("is live at once and ready only once its caches are synced", async () => {
  assert.equal((await get("/healthz")).status, 200);
  const notReady = await get("/readyz");
  assert.equal(notReady.status, 503);
  assert.match(notReady.text, /caches not synced/);
  await start();
  assert.equal((await get("/readyz")).status, 200);
  assert.equal((await get("/nope")).status, 404);
});

it("exports pools, Services by state, allocations and reconciles", async () => {
  await start();
  await cluster.core.createNamespacedService({ namespace: "default", body: loadBalancer("m1") });
  await oneAddressOf(cluster, "default", "m1");
  const { status, text } = await get("/metrics");
  assert.equal(status, 200);
  const pool = { pool: "metered", family: "IPv4" };
  assert.equal(sample(text, "lbipam_pool_size_addresses", pool), 4);
  assert.equal(sample(text, "lbipam_pool_allocated_addresses", pool), 1);
  assert.equal(sample(text, "lbipam_pool_free_addresses", pool), 3);
  assert.equal(sample(text, "lbipam_pool_allocatable", pool), 1);
  assert.equal(sample(text, "lbipam_services", { state: "allocated" }), 1);
  assert.equal(sample(text, "lbipam_allocations_total", { pool: "metered", family: "IPv4" }), 1);
  assert.ok((sample(text, "lbipam_reconcile_duration_seconds_count", { outcome: "done" }) ?? 0) >= 1);
  assert.equal(sample(text, "lbipam_workqueue_depth"), 0);
  assert.equal(sample(text, "lbipam_leader"), 1);
  assert.ok(
    sample(text, "lbipam_process_resident_memory_bytes") !== undefined,
    "default Node metrics are there",
  );
});
