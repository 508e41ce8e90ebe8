// What a Service asks for, and how asking changes: pool annotations of each
// family, specific addresses (annotation and spec.loadBalancerIP) with no
// fallback, annotations added and changed, namespace selectors, bad input.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Controller } from "../src/controller/controller.js";
import {
  createPool,
  ingressOf,
  loadBalancer,
  mergePatch,
  startCluster,
  startController,
  type TestCluster,
  waitFor,
} from "./helpers/cluster.js";

const CONDITION = "projectcalico.org/LoadBalancerIPAllocated";
let cluster: TestCluster;
let controller: Controller;

before(async () => {
  cluster = await startCluster();
  await cluster.core.createNamespace({ body: { metadata: { name: "req" } } });
  await cluster.core.createNamespace({ body: { metadata: { name: "blue", labels: { color: "blue" } } } });
  // Automatic pools (name order: a-v4 first) and a Manual one, both families.
  await createPool(cluster, "a-v4", { cidr: "10.50.0.0/28", blockSize: 28 });
  await createPool(cluster, "b-v4", { cidr: "10.51.0.0/28", blockSize: 28 });
  await createPool(cluster, "c-v6", { cidr: "2001:db8:50::/120" });
  await createPool(cluster, "d-v6-manual", { cidr: "2001:db8:51::/120", assignmentMode: "Manual" });
  await createPool(cluster, "e-blue-only", {
    cidr: "10.52.0.0/28",
    blockSize: 28,
    namespaceSelector: "color == 'blue'",
  });
  controller = startController(cluster);
  await controller.start();
});
after(async () => {
  await controller?.stop();
  await cluster?.stop();
});

const waitIps = (namespace: string, name: string, expected: string[]) =>
  waitFor(
    () => ingressOf(cluster, namespace, name),
    (got) => JSON.stringify(got) === JSON.stringify(expected),
    `${namespace}/${name} to show ${expected}`,
  );

async function waitReason(namespace: string, name: string, reason: string) {
  return waitFor(
    async () =>
      (await cluster.core.readNamespacedServiceStatus({ namespace, name })).status?.conditions?.find(
        (c) => c.type === CONDITION,
      ),
    (c) => c?.reason === reason,
    `${namespace}/${name} reason ${reason}`,
  );
}

const annotate = (namespace: string, name: string, annotations: Record<string, string | null>) =>
  cluster.core.patchNamespacedService({ namespace, name, body: { metadata: { annotations } } }, mergePatch);

describe("requests", () => {
  it("takes automatic pools in name order, and ipv4pools/ipv6pools pick pools of each family", async () => {
    await cluster.core.createNamespacedService({ namespace: "req", body: loadBalancer("auto") });
    await waitIps("req", "auto", ["10.50.0.0"]);
    const body = loadBalancer("picky", {
      annotations: {
        "projectcalico.org/ipv4pools": '["b-v4"]',
        "projectcalico.org/ipv6pools": '["d-v6-manual"]',
      },
      spec: { ipFamilyPolicy: "RequireDualStack", ipFamilies: ["IPv4", "IPv6"] },
    });
    await cluster.core.createNamespacedService({ namespace: "req", body });
    await waitIps("req", "picky", ["10.51.0.0", "2001:db8:51::"]);
  });

  it("gives loadBalancerIPs precedence over pool annotations, with no fallback", async () => {
    const body = loadBalancer("exact", {
      annotations: {
        "projectcalico.org/loadBalancerIPs": '["10.51.0.9"]',
        "projectcalico.org/ipv4pools": '["a-v4"]',
      },
    });
    await cluster.core.createNamespacedService({ namespace: "req", body });
    await waitIps("req", "exact", ["10.51.0.9"]);
    const taken = loadBalancer("exact-too", {
      annotations: {
        "projectcalico.org/loadBalancerIPs": '["10.51.0.9"]',
        "projectcalico.org/ipv4pools": '["a-v4"]',
      },
    });
    await cluster.core.createNamespacedService({ namespace: "req", body: taken });
    await waitReason("req", "exact-too", "RequestedIPInUse");
    assert.deepEqual(await ingressOf(cluster, "req", "exact-too"), [], "no fallback to the pool annotation");
    const outside = loadBalancer("outside", {
      annotations: { "projectcalico.org/loadBalancerIPs": '["192.0.2.1"]' },
    });
    await cluster.core.createNamespacedService({ namespace: "req", body: outside });
    await waitReason("req", "outside", "RequestedIPNotInPool");
  });

  it("reads spec.loadBalancerIP when loadBalancerIPs is absent", async () => {
    const body = loadBalancer("legacy", { spec: { loadBalancerIP: "10.50.0.7" } });
    await cluster.core.createNamespacedService({ namespace: "req", body });
    await waitIps("req", "legacy", ["10.50.0.7"]);
  });

  it("keeps the address when an added annotation still allows it, and moves it when a change does not", async () => {
    await annotate("req", "auto", { "projectcalico.org/ipv4pools": '["a-v4","b-v4"]' });
    await waitFor(
      () => cluster.core.readNamespacedService({ namespace: "req", name: "auto" }),
      (s) => s.metadata?.annotations?.["projectcalico.org/ipv4pools"] !== undefined,
      "the annotation",
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(await ingressOf(cluster, "req", "auto"), ["10.50.0.0"], "a-v4 is still allowed: kept");
    await annotate("req", "auto", { "projectcalico.org/ipv4pools": '["b-v4"]' });
    await waitIps("req", "auto", ["10.51.0.1"]);
    await annotate("req", "auto", { "projectcalico.org/loadBalancerIPs": '["10.51.0.12"]' });
    await waitIps("req", "auto", ["10.51.0.12"]);
  });

  it("enforces a pool's namespace selector for automatic, pool and specific requests", async () => {
    const specific = { annotations: { "projectcalico.org/loadBalancerIPs": '["10.52.0.3"]' } };
    await cluster.core.createNamespacedService({
      namespace: "req",
      body: loadBalancer("not-blue", specific),
    });
    await waitReason("req", "not-blue", "NamespaceNotAllowed");
    await cluster.core.createNamespacedService({
      namespace: "blue",
      body: loadBalancer("is-blue", specific),
    });
    await waitIps("blue", "is-blue", ["10.52.0.3"]);
    const byPool = { annotations: { "projectcalico.org/ipv4pools": '["e-blue-only"]' } };
    await cluster.core.createNamespacedService({
      namespace: "req",
      body: loadBalancer("not-blue-pool", byPool),
    });
    await waitReason("req", "not-blue-pool", "NamespaceNotAllowed");
    // Fill the other automatic pools' view: an automatic request from "req" never lands in e-blue-only.
    const auto = await ingressOf(cluster, "req", "legacy");
    assert.ok(!auto.some((ip) => ip.startsWith("10.52.")));
    // Relabel the namespace: the Service asking by pool is served at once.
    await cluster.core.patchNamespace(
      { name: "req", body: { metadata: { labels: { color: "blue" } } } },
      mergePatch,
    );
    await waitIps("req", "not-blue-pool", ["10.52.0.0"]);
  });

  it("reports each malformed annotation with a Warning and a condition, touching nothing else", async () => {
    const cases: [string, Record<string, string>, RegExp][] = [
      ["bad-json", { "projectcalico.org/ipv4pools": "[b-v4" }, /ipv4pools/],
      ["bad-type", { "projectcalico.org/ipv4pools": '{"a":1}' }, /ipv4pools/],
      ["bad-ip", { "projectcalico.org/loadBalancerIPs": '["10.50.0.300"]' }, /loadBalancerIPs/],
      ["two-v4", { "projectcalico.org/loadBalancerIPs": '["10.50.0.1","10.50.0.2"]' }, /loadBalancerIPs/],
      ["wrong-family", { "projectcalico.org/ipv4pools": '["c-v6"]' }, /c-v6/],
    ];
    for (const [name, annotations] of cases) {
      await cluster.core.createNamespacedService({
        namespace: "req",
        body: loadBalancer(name, { annotations }),
      });
    }
    for (const [name, , pattern] of cases) {
      const condition = await waitReason("req", name, "InvalidAnnotation");
      assert.match(condition?.message ?? "", pattern, name);
      await waitFor(
        async () =>
          (
            await cluster.core.listNamespacedEvent({
              namespace: "req",
              fieldSelector: `involvedObject.name=${name}`,
            })
          ).items,
        (events) => events.some((e) => e.type === "Warning" && e.reason === "InvalidAnnotation"),
        `a Warning on ${name}`,
      );
      assert.deepEqual(await ingressOf(cluster, "req", name), []);
    }
    assert.deepEqual(await ingressOf(cluster, "req", "legacy"), ["10.50.0.7"], "others untouched");
  });

  it("waits with PoolNotFound, and a Warning, for a pool that does not exist yet", async () => {
    await cluster.core.createNamespacedService({
      namespace: "req",
      body: loadBalancer("unknown-pool", { annotations: { "projectcalico.org/ipv4pools": '["nope"]' } }),
    });
    const condition = await waitReason("req", "unknown-pool", "PoolNotFound");
    assert.match(condition?.message ?? "", /nope/);
    await waitFor(
      async () =>
        (
          await cluster.core.listNamespacedEvent({
            namespace: "req",
            fieldSelector: "involvedObject.name=unknown-pool",
          })
        ).items,
      (events) => events.some((e) => e.type === "Warning"),
      "a Warning on unknown-pool",
    );
    assert.deepEqual(await ingressOf(cluster, "req", "unknown-pool"), []);
  });

  it("marks a pool with a selector that does not parse as not allocatable", async () => {
    await createPool(cluster, "f-broken", {
      cidr: "10.53.0.0/28",
      blockSize: 28,
      namespaceSelector: "color ==",
    });
    const pool = await waitFor(
      async () =>
        (await cluster.custom.getClusterCustomObject({
          group: "projectcalico.org",
          version: "v3",
          plural: "ippools",
          name: "f-broken",
        })) as {
          status?: { conditions?: { type: string; status: string; reason: string; message: string }[] };
        },
      (p) => p.status?.conditions?.some((c) => c.type === "Allocatable") === true,
      "the broken pool's condition",
    );
    const condition = pool.status?.conditions?.find((c) => c.type === "Allocatable");
    assert.equal(condition?.status, "False");
    assert.equal(condition?.reason, "InvalidNamespaceSelector");
  });
});
