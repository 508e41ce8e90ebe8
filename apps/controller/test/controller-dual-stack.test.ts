// One address per IP family, in spec.ipFamilies order, per ipFamilyPolicy.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Controller } from "../src/controller/controller.js";
import {
  createPool,
  ingressOf,
  loadBalancer,
  startCluster,
  startController,
  type TestCluster,
  waitFor,
} from "./helpers/cluster.js";

const NS = "dual";
let cluster: TestCluster;
let controller: Controller;

before(async () => {
  cluster = await startCluster();
  await cluster.core.createNamespace({ body: { metadata: { name: NS } } });
  await createPool(cluster, "v4", { cidr: "10.30.0.0/24" });
  controller = startController(cluster);
  await controller.start();
});
after(async () => {
  await controller?.stop();
  await cluster?.stop();
});

const service = (name: string, policy: string, families: string[]) =>
  loadBalancer(name, { spec: { ipFamilyPolicy: policy, ipFamilies: families } });

const waitIps = (name: string, expected: string[]) =>
  waitFor(
    () => ingressOf(cluster, NS, name),
    (got) => JSON.stringify(got) === JSON.stringify(expected),
    `${name} to show ${expected}`,
  );

async function reasonOf(name: string): Promise<string | undefined> {
  const s = await cluster.core.readNamespacedServiceStatus({ namespace: NS, name });
  return s.status?.conditions?.find((c) => c.type === "projectcalico.org/LoadBalancerIPAllocated")?.reason;
}

describe("dual-stack", () => {
  it("RequireDualStack gets both families or nothing; PreferDualStack takes what it can now", async () => {
    await cluster.core.createNamespacedService({
      namespace: NS,
      body: service("both", "RequireDualStack", ["IPv4", "IPv6"]),
    });
    await cluster.core.createNamespacedService({
      namespace: NS,
      body: service("prefer", "PreferDualStack", ["IPv4", "IPv6"]),
    });
    await waitIps("prefer", ["10.30.0.0"]);
    await waitFor(
      () => reasonOf("both"),
      (reason) => reason !== undefined && reason !== "Allocated",
      "both to wait",
    );
    assert.deepEqual(await ingressOf(cluster, NS, "both"), [], "no half-assigned Service");
  });

  it("serves the waiting families as soon as a pool of that family appears, in ipFamilies order", async () => {
    await cluster.core.createNamespacedService({
      namespace: NS,
      body: service("v6-first", "RequireDualStack", ["IPv6", "IPv4"]),
    });
    await createPool(cluster, "v6", { cidr: "2001:db8:30::/120" });
    await waitIps("both", ["10.30.0.1", "2001:db8:30::"]);
    await waitIps("prefer", ["10.30.0.0", "2001:db8:30::1"]);
    await waitIps("v6-first", ["2001:db8:30::2", "10.30.0.2"]);
    // Both addresses came in one status write: one Event says so.
    const allocated = await waitFor(
      async () =>
        (
          await cluster.core.listNamespacedEvent({
            namespace: NS,
            fieldSelector: "involvedObject.name=both,reason=IPAllocated",
          })
        ).items,
      (events) => events.length > 0,
      "both's IPAllocated Event",
    );
    assert.deepEqual(
      allocated.map((event) => event.message),
      ["Assigned 10.30.0.1, 2001:db8:30::"],
    );
  });

  it("SingleStack serves the first family only", async () => {
    await cluster.core.createNamespacedService({
      namespace: NS,
      body: service("only6", "SingleStack", ["IPv6"]),
    });
    await waitIps("only6", ["2001:db8:30::3"]);
  });
});
