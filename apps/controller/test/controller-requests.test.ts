// What a Service asks for, and how asking changes: pool annotations of each
// family, specific addresses (annotation and spec.loadBalancerIP) with no
// fallback, annotations added and changed, namespace selectors, bad input.
// Each test has its own namespace and pools, so any one runs alone.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  annotate,
  createPool,
  createService,
  ingressOf,
  isolatedNamespace,
  kubectl,
  mergePatch,
  runningController,
  waitEvent,
  waitFor,
  waitIngress,
  waitReason,
} from "./helpers/cluster.js";

const suite = runningController();
const POOLS_V4 = "projectcalico.org/ipv4pools";
const POOLS_V6 = "projectcalico.org/ipv6pools";
const IPS = "projectcalico.org/loadBalancerIPs";

describe("requests", () => {
  it("takes automatic pools in name order, and ipv4pools/ipv6pools pick pools of each family", async () => {
    const { cluster } = suite;
    const ns = "req-order";
    await isolatedNamespace(cluster, ns, {
      "req-order-a-v4": { cidr: "10.50.0.0/28", blockSize: 28 },
      "req-order-b-v4": { cidr: "10.51.0.0/28", blockSize: 28 },
      "req-order-c-v6": { cidr: "2001:db8:50::/120" },
      "req-order-d-v6-manual": { cidr: "2001:db8:51::/120", assignmentMode: "Manual" },
    });
    await createService(cluster, ns, "auto");
    await waitIngress(cluster, ns, "auto", ["10.50.0.0"]);
    await createService(cluster, ns, "picky", {
      annotations: { [POOLS_V4]: '["req-order-b-v4"]', [POOLS_V6]: '["req-order-d-v6-manual"]' },
      spec: { ipFamilyPolicy: "RequireDualStack", ipFamilies: ["IPv4", "IPv6"] },
    });
    await waitIngress(cluster, ns, "picky", ["10.51.0.0", "2001:db8:51::"]);
  });

  it("gives loadBalancerIPs precedence over pool annotations, with no fallback", async () => {
    const { cluster } = suite;
    const ns = "req-exact";
    await isolatedNamespace(cluster, ns, {
      "req-exact-a": { cidr: "10.54.0.0/28", blockSize: 28 },
      "req-exact-b": { cidr: "10.55.0.0/28", blockSize: 28 },
    });
    const ask = { annotations: { [IPS]: '["10.55.0.9"]', [POOLS_V4]: '["req-exact-a"]' } };
    await createService(cluster, ns, "exact", ask);
    await waitIngress(cluster, ns, "exact", ["10.55.0.9"]);
    await createService(cluster, ns, "exact-too", ask);
    await waitReason(cluster, ns, "exact-too", "RequestedIPInUse");
    assert.deepEqual(await ingressOf(cluster, ns, "exact-too"), [], "no fallback to the pool annotation");
    await createService(cluster, ns, "outside", { annotations: { [IPS]: '["192.0.2.1"]' } });
    await waitReason(cluster, ns, "outside", "RequestedIPNotInPool");
  });

  it("reads spec.loadBalancerIP when loadBalancerIPs is absent", async () => {
    const { cluster } = suite;
    const ns = "req-legacy";
    await isolatedNamespace(cluster, ns, { "req-legacy": { cidr: "10.56.0.0/28", blockSize: 28 } });
    await createService(cluster, ns, "legacy", { spec: { loadBalancerIP: "10.56.0.7" } });
    await waitIngress(cluster, ns, "legacy", ["10.56.0.7"]);
  });

  it("keeps the address when an added annotation still allows it, and moves it when a change does not", async () => {
    const { cluster } = suite;
    const ns = "req-change";
    await isolatedNamespace(cluster, ns, {
      "req-change-a": { cidr: "10.57.0.0/28", blockSize: 28 },
      "req-change-b": { cidr: "10.57.1.0/28", blockSize: 28 },
    });
    await createService(cluster, ns, "auto");
    await waitIngress(cluster, ns, "auto", ["10.57.0.0"]);
    await annotate(cluster, ns, "auto", { [POOLS_V4]: '["req-change-a","req-change-b"]' });
    // A marker created after the edit is served after the edit was seen.
    await createService(cluster, ns, "marker", { annotations: { [POOLS_V4]: '["req-change-b"]' } });
    await waitIngress(cluster, ns, "marker", ["10.57.1.0"]);
    assert.deepEqual(
      await ingressOf(cluster, ns, "auto"),
      ["10.57.0.0"],
      "req-change-a is still allowed: kept",
    );
    await annotate(cluster, ns, "auto", { [POOLS_V4]: '["req-change-b"]' });
    await waitIngress(cluster, ns, "auto", ["10.57.1.1"]);
    await annotate(cluster, ns, "auto", { [IPS]: '["10.57.1.12"]' });
    await waitIngress(cluster, ns, "auto", ["10.57.1.12"]);
  });

  it("enforces a pool's namespace selector for automatic, pool and specific requests", async () => {
    const { cluster } = suite;
    const ns = "req-sel";
    const blue = "req-sel-blue";
    // First by name, so an automatic request would take it if the selector allowed.
    const bluePool = "req-sel-a-blue-only";
    await isolatedNamespace(cluster, ns, { "req-sel-b-auto": { cidr: "10.58.0.0/28", blockSize: 28 } });
    await isolatedNamespace(cluster, blue, {}, { color: "blue" });
    await createPool(cluster, bluePool, {
      cidr: "10.52.0.0/28",
      blockSize: 28,
      namespaceSelector: "color == 'blue'",
    });
    const specific = { annotations: { [IPS]: '["10.52.0.3"]' } };
    await createService(cluster, ns, "not-blue", specific);
    await waitReason(cluster, ns, "not-blue", "NamespaceNotAllowed");
    await createService(cluster, blue, "is-blue", specific);
    await waitIngress(cluster, blue, "is-blue", ["10.52.0.3"]);
    await createService(cluster, ns, "not-blue-pool", {
      annotations: { [POOLS_V4]: JSON.stringify([bluePool]) },
    });
    await waitReason(cluster, ns, "not-blue-pool", "NamespaceNotAllowed");
    await createService(cluster, ns, "automatic");
    await waitIngress(cluster, ns, "automatic", ["10.58.0.0"]);
    // Relabel the namespace: the Service asking by pool is served at once.
    await cluster.core.patchNamespace(
      { name: ns, body: { metadata: { labels: { color: "blue" } } } },
      mergePatch,
    );
    await waitIngress(cluster, ns, "not-blue-pool", ["10.52.0.0"]);
  });

  it("serves from a pool with lbipam.io/service-selector only the Services whose labels it selects", async () => {
    const { cluster } = suite;
    const ns = "req-service-selector";
    await isolatedNamespace(cluster, ns, {
      "req-svcsel-a-web": { cidr: "10.60.0.0/28", blockSize: 28 },
      "req-svcsel-b-any": { cidr: "10.60.1.0/28", blockSize: 28 },
    });
    await kubectl(
      cluster,
      "annotate",
      "ippool",
      "req-svcsel-a-web",
      "lbipam.io/service-selector=app == 'web'",
    );
    const labelled = (name: string, app: string) =>
      cluster.core.createNamespacedService({
        namespace: ns,
        body: { metadata: { name, labels: { app } }, spec: { type: "LoadBalancer", ports: [{ port: 80 }] } },
      });
    await labelled("web", "web");
    await labelled("db", "db");
    await waitIngress(cluster, ns, "web", ["10.60.0.0"]);
    await waitIngress(cluster, ns, "db", ["10.60.1.0"]);
  });

  it("reports each malformed annotation with a Warning and a condition, touching nothing else", async () => {
    const { cluster } = suite;
    const ns = "req-bad";
    await isolatedNamespace(cluster, ns, {
      "req-bad-v4": { cidr: "10.59.0.0/28", blockSize: 28 },
      "req-bad-v6": { cidr: "2001:db8:59::/120" },
    });
    await createService(cluster, ns, "legacy", { spec: { loadBalancerIP: "10.59.0.7" } });
    await waitIngress(cluster, ns, "legacy", ["10.59.0.7"]);
    const cases: [string, Record<string, string>, RegExp][] = [
      ["bad-json", { [POOLS_V4]: "[req-bad-v4" }, /ipv4pools/],
      ["bad-type", { [POOLS_V4]: '{"a":1}' }, /ipv4pools/],
      ["bad-ip", { [IPS]: '["10.59.0.300"]' }, /loadBalancerIPs/],
      ["two-v4", { [IPS]: '["10.59.0.1","10.59.0.2"]' }, /loadBalancerIPs/],
      ["wrong-family", { [POOLS_V4]: '["req-bad-v6"]' }, /req-bad-v6/],
    ];
    for (const [name, annotations] of cases) await createService(cluster, ns, name, { annotations });
    for (const [name, , pattern] of cases) {
      const condition = await waitReason(cluster, ns, name, "InvalidAnnotation");
      assert.match(condition?.message ?? "", pattern, name);
      await waitEvent(cluster, ns, name, "InvalidAnnotation", "Warning");
      assert.deepEqual(await ingressOf(cluster, ns, name), []);
    }
    assert.deepEqual(await ingressOf(cluster, ns, "legacy"), ["10.59.0.7"], "others untouched");
  });

  it("waits with PoolNotFound, and a Warning, for a pool that does not exist yet", async () => {
    const { cluster } = suite;
    const ns = "req-missing";
    await isolatedNamespace(cluster, ns);
    await createService(cluster, ns, "unknown-pool", { annotations: { [POOLS_V4]: '["nope"]' } });
    const condition = await waitReason(cluster, ns, "unknown-pool", "PoolNotFound");
    assert.match(condition?.message ?? "", /nope/);
    await waitEvent(cluster, ns, "unknown-pool", "AllocationFailed", "Warning");
    assert.deepEqual(await ingressOf(cluster, ns, "unknown-pool"), []);
  });

  it("marks a pool with a selector that does not parse as not allocatable", async () => {
    const { cluster } = suite;
    await createPool(cluster, "req-broken", {
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
          name: "req-broken",
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
