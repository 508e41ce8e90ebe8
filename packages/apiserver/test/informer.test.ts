// The real client-node informer over the server: list+watch, every write seen, resume after a
// dropped watch (no relist), relist after 410.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { CoreV1Api, type Informer, KubeConfig, makeInformer, type V1Service } from "@kubernetes/client-node";
import { type ApiServer, startApiServer } from "../src/index.js";
import { ApiClient } from "./helpers/api-client.js";

let server: ApiServer;
let api: ApiClient;
let informer: Informer<V1Service>;
const seen: { event: string; name: string; rv: string; labels: Record<string, string> }[] = [];
const errors: unknown[] = [];
const waiters: (() => void)[] = [];
const services = "/api/v1/namespaces/default/services";

function record(event: string) {
  return (obj: V1Service) => {
    seen.push({
      event,
      name: obj.metadata?.name ?? "",
      rv: obj.metadata?.resourceVersion ?? "",
      labels: obj.metadata?.labels ?? {},
    });
    for (const wake of waiters.splice(0)) wake();
  };
}

/** Waits until the informer has seen an event matching `predicate`. */
async function eventually(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise<void>((resolve) => waiters.push(resolve));
}

function service(name: string) {
  return { apiVersion: "v1", kind: "Service", metadata: { name }, spec: { ports: [{ port: 80 }] } };
}

before(async () => {
  server = await startApiServer();
  api = new ApiClient(server);
  await api.post(services, service("before-start"));
  const config = new KubeConfig();
  config.loadFromString(server.kubeconfig());
  const core = config.makeApiClient(CoreV1Api);
  informer = makeInformer(config, services, () => core.listNamespacedService({ namespace: "default" }));
  informer.on("add", record("add"));
  informer.on("update", record("update"));
  informer.on("delete", record("delete"));
  informer.on("error", (error) => errors.push(error));
  await informer.start();
});

after(async () => {
  await informer.stop();
  api.close();
  await server.stop();
});

test("the informer lists existing objects and watches new ones", { timeout: 15_000 }, async () => {
  await eventually(() => seen.some((s) => s.event === "add" && s.name === "before-start"));
  await api.post(services, service("after-start"));
  await eventually(() => seen.some((s) => s.event === "add" && s.name === "after-start"));
  await api.delete(`${services}/after-start`);
  await eventually(() => seen.some((s) => s.event === "delete" && s.name === "after-start"));
  assert.deepEqual(errors, []);
});

test("every write reaches the informer as an update", { timeout: 15_000 }, async () => {
  await api.post(services, service("busy"));
  for (let i = 0; i < 5; i++)
    await api.patch(`${services}/busy`, { metadata: { labels: { step: String(i) } } });
  await eventually(() =>
    seen.some((s) => s.event === "update" && s.name === "busy" && s.labels.step === "4"),
  );
  const steps = seen.filter((s) => s.event === "update" && s.name === "busy").map((s) => s.labels.step);
  assert.deepEqual(steps, ["0", "1", "2", "3", "4"]);
});

test("a dropped watch resumes from the last resourceVersion without a new list", {
  timeout: 15_000,
}, async () => {
  server.counters.reset();
  assert.ok(server.faults.closeWatches() >= 1);
  await api.post(services, service("after-drop"));
  await eventually(() => seen.some((s) => s.event === "add" && s.name === "after-drop"));
  assert.equal(server.counters.total({ verb: "list", resource: "services" }), 0);
  assert.ok(server.counters.total({ verb: "watch", resource: "services" }) >= 1);
});

test("a watch answered with 410 Gone makes the informer list again", { timeout: 15_000 }, async () => {
  server.counters.reset();
  server.faults.failNext({ verb: "watch", resource: "services", code: 410, count: 1 });
  server.faults.closeWatches();
  await api.post(services, service("after-gone"));
  await eventually(() => seen.some((s) => s.event === "add" && s.name === "after-gone"));
  assert.equal(server.counters.total({ verb: "list", resource: "services" }), 1);
  assert.deepEqual(errors, []);
});
