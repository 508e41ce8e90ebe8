// Choosing pools by lbipam.io/ annotations (behaviour.md, "Sharing one
// address, and choosing pools"), through the embedded API server, real
// kubectl and the running controller: service-selector on every path,
// priority, avoid-buggy-ips, and the values that make a pool unusable while
// it keeps what it gave. The rules one by one are packages/api's tests. Each
// test has its own namespace and pools, so any one runs alone.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createPool,
  ingressOf,
  isolatedNamespace,
  kubectl,
  loadBalancer,
  mergePatch,
  onlyNamespace,
  runningController,
  type TestCluster,
  waitFor,
  waitIngress,
  waitReason,
} from "./helpers/cluster.js";

const suite = runningController();
const IPS = "projectcalico.org/loadBalancerIPs";
const POOLS_V4 = "projectcalico.org/ipv4pools";
const SELECTOR = "lbipam.io/service-selector";
const PRIORITY = "lbipam.io/priority";
const AVOID = "lbipam.io/avoid-buggy-ips";

/** A pool serving only `namespace`, created with its annotations. */
const poolFor = (namespace: string, name: string, cidr: string, annotations: Record<string, string> = {}) =>
  createPool(
    suite.cluster,
    name,
    { cidr, blockSize: Number(cidr.split("/")[1]), namespaceSelector: onlyNamespace(namespace) },
    undefined,
    annotations,
  );

/** A LoadBalancer Service with an `app` label. */
const labelled = (ns: string, name: string, app: string, annotations?: Record<string, string>) => {
  const body = loadBalancer(name, { annotations });
  return suite.cluster.core.createNamespacedService({
    namespace: ns,
    body: { ...body, metadata: { ...body.metadata, labels: { app } } },
  });
};

const relabel = (ns: string, name: string, app: string) =>
  suite.cluster.core.patchNamespacedService(
    { namespace: ns, name, body: { metadata: { labels: { app } } } },
    mergePatch,
  );

/** Waits until kubectl shows the pool's Allocatable reason as `reason`. */
const waitPoolShows = (cluster: TestCluster, pool: string, reason: string) =>
  waitFor(
    () =>
      kubectl(
        cluster,
        "get",
        "ippool",
        pool,
        "-o",
        'jsonpath={.status.conditions[?(@.type=="Allocatable")].reason}',
      ),
    (shown) => shown === reason,
    `pool ${pool} to show ${reason}`,
  );

describe("choosing pools", () => {
  it("lbipam.io/service-selector serves only the Services it selects: by pool annotation, by loadBalancerIPs, automatically, and takes back from those it stops selecting", async () => {
    const { cluster } = suite;
    const ns = "choice-selector";
    await isolatedNamespace(cluster, ns);
    await poolFor(ns, "choice-sel-a-web", "10.90.0.0/30", { [SELECTOR]: "app == 'web'" });
    await poolFor(ns, "choice-sel-b-any", "10.90.1.0/30");
    await labelled(ns, "by-pool", "db", { [POOLS_V4]: '["choice-sel-a-web"]' });
    await labelled(ns, "by-ip", "db", { [IPS]: '["10.90.0.3"]' });
    await waitReason(cluster, ns, "by-pool", "ServiceNotSelected", "False");
    const refused = await waitReason(cluster, ns, "by-ip", "ServiceNotSelected", "False");
    assert.match(refused?.message ?? "", /pool choice-sel-a-web does not select this Service/);
    await labelled(ns, "auto", "web");
    await waitIngress(cluster, ns, "auto", ["10.90.0.0"]);

    // Labelled so the pool selects them: each is served on its own path.
    await relabel(ns, "by-pool", "web");
    await waitIngress(cluster, ns, "by-pool", ["10.90.0.1"]);
    await relabel(ns, "by-ip", "web");
    await waitIngress(cluster, ns, "by-ip", ["10.90.0.3"]);

    // No longer selected: the address goes back; automatic allocation moves to a pool that serves it.
    await relabel(ns, "auto", "db");
    await waitIngress(cluster, ns, "auto", ["10.90.1.0"]);
    await relabel(ns, "by-ip", "db");
    await waitIngress(cluster, ns, "by-ip", []);
    await waitReason(cluster, ns, "by-ip", "ServiceNotSelected", "False");

    // A selector that does not parse: the pool gives nothing new and keeps what it gave.
    await kubectl(cluster, "annotate", "--overwrite", "ippool", "choice-sel-a-web", `${SELECTOR}=app ==`);
    await waitPoolShows(cluster, "choice-sel-a-web", "InvalidPoolAnnotation");
    await labelled(ns, "late", "web", { [POOLS_V4]: '["choice-sel-a-web"]' });
    await waitReason(cluster, ns, "late", "PoolNotAllocatable", "False");
    assert.deepEqual(await ingressOf(cluster, ns, "by-pool"), ["10.90.0.1"]);
  });

  it("lbipam.io/priority: lower first, ties by name, pools without one last", async () => {
    const { cluster } = suite;
    const ns = "choice-priority";
    await isolatedNamespace(cluster, ns);
    await poolFor(ns, "choice-prio-a", "10.91.0.0/32");
    await poolFor(ns, "choice-prio-b", "10.91.1.0/32", { [PRIORITY]: "5" });
    await poolFor(ns, "choice-prio-c", "10.91.2.0/32", { [PRIORITY]: "-1" });
    await poolFor(ns, "choice-prio-d", "10.91.3.0/32", { [PRIORITY]: "5" });
    // Each pool has one address: the n-th Service shows the n-th pool in order.
    const order = ["10.91.2.0", "10.91.1.0", "10.91.3.0", "10.91.0.0"];
    for (const [n, address] of order.entries()) {
      await cluster.core.createNamespacedService({ namespace: ns, body: loadBalancer(`s${n}`) });
      await waitIngress(cluster, ns, `s${n}`, [address]);
    }
  });

  it("lbipam.io/avoid-buggy-ips skips .0 and .255 automatically and by pool annotation, not by loadBalancerIPs; another value keeps the pool's addresses", async () => {
    const { cluster } = suite;
    const ns = "choice-buggy";
    await isolatedNamespace(cluster, ns);
    await poolFor(ns, "choice-buggy-high", "10.92.0.254/31", { [AVOID]: "true" });
    await poolFor(ns, "choice-buggy-low", "10.92.1.0/31", { [AVOID]: "true" });
    const create = (name: string, annotations?: Record<string, string>) =>
      cluster.core.createNamespacedService({ namespace: ns, body: loadBalancer(name, { annotations }) });
    await create("automatic");
    await waitIngress(cluster, ns, "automatic", ["10.92.0.254"]);
    await create("by-pool", { [POOLS_V4]: '["choice-buggy-low"]' });
    await waitIngress(cluster, ns, "by-pool", ["10.92.1.1"]);
    await create("waiting");
    await waitReason(cluster, ns, "waiting", "PoolExhausted", "False");
    await create("by-ip", { [IPS]: '["10.92.0.255"]' });
    await waitIngress(cluster, ns, "by-ip", ["10.92.0.255"]);

    await kubectl(cluster, "annotate", "--overwrite", "ippool", "choice-buggy-low", `${AVOID}=yes`);
    await waitPoolShows(cluster, "choice-buggy-low", "InvalidPoolAnnotation");
    assert.deepEqual(await ingressOf(cluster, ns, "by-pool"), ["10.92.1.1"], "the pool keeps what it gave");
    // "false" is a valid value: the pool serves again, its .0 among the rest.
    await kubectl(cluster, "annotate", "--overwrite", "ippool", "choice-buggy-low", `${AVOID}=false`);
    await waitIngress(cluster, ns, "waiting", ["10.92.1.0"]);
    for (const [name, address] of Object.entries({
      automatic: "10.92.0.254",
      "by-pool": "10.92.1.1",
      "by-ip": "10.92.0.255",
    })) {
      assert.deepEqual(await ingressOf(cluster, ns, name), [address], name);
    }
  });
});
