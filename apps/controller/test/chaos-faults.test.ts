// Chaos in the cluster around a running controller: API server faults
// (dropped watches, 409/429/500 answers, latency) and pool edits (disable,
// delete, add, an overlapping pool) during bursts. The end state must be
// complete and as behaviour.md says, and no stored status may ever show an
// address held by another Service.
import assert from "node:assert/strict";
import { after, afterEach, beforeEach, describe, it } from "node:test";
import type { Controller } from "../src/controller/controller.js";
import {
  createPool,
  loadBalancer,
  mergePatch,
  startCluster,
  startController,
  type TestCluster,
  waitFor,
} from "./helpers/cluster.js";
import { ipsOf, type StatusWatch, watchStatuses } from "./helpers/status-watch.js";

const NS = "chaos";
const group = { group: "projectcalico.org", version: "v3", plural: "ippools" };
let cluster: TestCluster;
let controller: Controller;
let watch: StatusWatch;

beforeEach(async () => {
  cluster = await startCluster();
  await cluster.core.createNamespace({ body: { metadata: { name: NS } } });
  watch = await watchStatuses(cluster, NS);
});
afterEach(async () => {
  await watch?.stop();
  await controller?.stop();
  await cluster?.stop();
});
after(() => {});

async function services() {
  return (await cluster.core.listNamespacedService({ namespace: NS })).items;
}

/** Waits until every Service shows exactly one address, then checks none is shown twice. */
async function allServed(count: number) {
  const list = await waitFor(
    services,
    (items) => items.length === count && items.every((s) => ipsOf(s).length === 1),
    `all ${count} Services to hold one address`,
  );
  const ips = list.flatMap(ipsOf);
  assert.equal(new Set(ips).size, ips.length, "no address held twice at the end");
  assert.deepEqual(watch.violations, [], "no stored status ever showed an address held by another Service");
  return list;
}

describe("chaos around a running controller", () => {
  it("ends complete and correct after dropped watches, 409/429/500 answers and latency", async () => {
    await createPool(cluster, "faulty", { cidr: "10.90.0.0/24" });
    controller = startController(cluster);
    await controller.start();
    const faults = cluster.server.faults;
    for (let i = 0; i < 40; i++) {
      if (i % 8 === 0) faults.closeWatches();
      if (i % 10 === 1)
        faults.failNext({ verb: "patch", resource: "services", subresource: "status", code: 409, count: 3 });
      if (i % 10 === 4)
        faults.failNext({ verb: "patch", resource: "services", subresource: "status", code: 429, count: 3 });
      if (i % 10 === 7)
        faults.failNext({ verb: "patch", resource: "services", subresource: "status", code: 500, count: 3 });
      if (i === 15) faults.setLatency(25);
      if (i === 30) faults.setLatency(0);
      await cluster.core.createNamespacedService({ namespace: NS, body: loadBalancer(`f-${i}`) });
    }
    faults.closeWatches();
    await allServed(40);
    assert.ok(cluster.server.counters.total({ subresource: "status", code: 500 }) > 0, "the faults were hit");
  });

  it("follows pool edits made during a burst", async () => {
    await createPool(cluster, "p-a", { cidr: "10.80.0.0/27", blockSize: 27 });
    await createPool(cluster, "p-b", { cidr: "10.81.0.0/27", blockSize: 27 });
    controller = startController(cluster);
    await controller.start();
    for (let i = 0; i < 10; i++)
      await cluster.core.createNamespacedService({ namespace: NS, body: loadBalancer(`e-${i}`) });
    await waitFor(
      services,
      (items) => items.filter((s) => ipsOf(s).length === 1).length === 10,
      "the first ten served",
    );
    const inA = new Map((await services()).map((s) => [s.metadata?.name ?? "", ipsOf(s)[0] ?? ""]));
    // p-a stops taking new Services: the next ones go to p-b.
    await cluster.custom.patchClusterCustomObject(
      { ...group, name: "p-a", body: { spec: { disabled: true } } },
      mergePatch,
    );
    for (let i = 10; i < 20; i++)
      await cluster.core.createNamespacedService({ namespace: NS, body: loadBalancer(`e-${i}`) });
    // p-b goes away mid-burst; a new pool and a newer one overlapping it arrive.
    await cluster.custom.deleteClusterCustomObject({ ...group, name: "p-b" });
    await createPool(cluster, "p-c", { cidr: "10.82.0.0/26", blockSize: 26 });
    await createPool(cluster, "p-d-overlap", { cidr: "10.82.0.32/27", blockSize: 27 });
    for (let i = 20; i < 25; i++)
      await cluster.core.createNamespacedService({ namespace: NS, body: loadBalancer(`e-${i}`) });
    const list = await allServed(25);
    for (const service of list) {
      const name = service.metadata?.name ?? "";
      const ip = ipsOf(service)[0]!;
      assert.ok(!ip.startsWith("10.81."), `${name} still shows ${ip} of the deleted pool p-b`);
      // A disabled pool keeps what it gave.
      if (inA.get(name)?.startsWith("10.80."))
        assert.equal(ip, inA.get(name), `${name} moved off the disabled pool`);
      else assert.ok(!ip.startsWith("10.80."), `${name} got ${ip} from the disabled pool p-a`);
    }
    const overlap = (await cluster.custom.getClusterCustomObject({ ...group, name: "p-d-overlap" })) as {
      status?: { conditions?: { type: string; reason: string }[] };
    };
    assert.equal(overlap.status?.conditions?.find((c) => c.type === "Allocatable")?.reason, "CIDROverlap");
  });
});
