// Sharing one address by lbipam.io/sharing-key, through the embedded API
// server and the running controller (the rules themselves, one by one, are
// packages/state/test/sharing.test.ts). Each test has its own namespace and
// pools, so any one runs alone.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Controller } from "../src/controller/controller.js";
import {
  annotate,
  conditionOf,
  createPool,
  createService,
  ingressOf,
  isolatedNamespace,
  kubectl,
  mergePatch,
  runningController,
  startCluster,
  startController,
  type TestCluster,
  waitEvent,
  waitFor,
  waitIngress,
  waitReason,
} from "./helpers/cluster.js";
import { recordWrites } from "./helpers/write-history.js";

const suite = runningController();
const KEY = "lbipam.io/sharing-key";
const IPS = "projectcalico.org/loadBalancerIPs";
const CROSS = "lbipam.io/sharing-cross-namespace";
const ports = (...list: [number, string][]) => ({
  spec: {
    ports: list.map(([port, protocol]) => ({ port, protocol, name: `${protocol.toLowerCase()}-${port}` })),
  },
});

/** A Service of sharing key `key` on TCP `port`, with more of its spec and annotations. */
const member = (
  key: string,
  port: number,
  spec: Record<string, unknown> = {},
  annotations: Record<string, string> = {},
) => ({ annotations: { [KEY]: key, ...annotations }, spec: { ...ports([port, "TCP"]).spec, ...spec } });

/** Creates the Service and waits until it shows `expected`. */
async function served(
  ns: string,
  name: string,
  extra: Parameters<typeof createService>[3],
  expected: string[],
): Promise<void> {
  await createService(suite.cluster, ns, name, extra);
  await waitIngress(suite.cluster, ns, name, expected);
}

const messageOf = async (ns: string, name: string) =>
  (await conditionOf(suite.cluster, ns, name))?.message ?? "";

describe("sharing", () => {
  it("shares TCP 53 and UDP 53, gives a colliding Service its own address naming the other, and frees the address with its last member", async () => {
    const { cluster } = suite;
    const ns = "share-dns";
    await isolatedNamespace(cluster, ns, { "share-dns": { cidr: "10.70.0.0/30", blockSize: 30 } });
    await createService(cluster, ns, "tcp", { annotations: { [KEY]: "dns" }, ...ports([53, "TCP"]) });
    await waitIngress(cluster, ns, "tcp", ["10.70.0.0"]);
    await createService(cluster, ns, "udp", { annotations: { [KEY]: "dns" }, ...ports([53, "UDP"]) });
    await waitIngress(cluster, ns, "udp", ["10.70.0.0"]);
    await createService(cluster, ns, "again", { annotations: { [KEY]: "dns" }, ...ports([53, "TCP"]) });
    await waitIngress(cluster, ns, "again", ["10.70.0.1"]);
    const message = (await conditionOf(cluster, ns, "again"))?.message ?? "";
    assert.match(message, /^assigned 10\.70\.0\.1 from pool share-dns; /);
    assert.match(message, /10\.70\.0\.0 .*not shared: port TCP\/53 is used by Service share-dns\/tcp/);
    const allocated = await waitEvent(cluster, ns, "udp", "IPAllocated");
    assert.equal(allocated.message, "Assigned 10.70.0.0 from pool share-dns");

    // loadBalancerIPs of the shared address on a port in use waits, naming the member.
    await createService(cluster, ns, "pinned", {
      annotations: { [KEY]: "dns", [IPS]: '["10.70.0.0"]' },
      ...ports([53, "UDP"]),
    });
    await waitReason(cluster, ns, "pinned", "SharingConflict");

    // The first member goes: the other keeps the address; the last goes: the waiting Service gets it.
    await cluster.core.deleteNamespacedService({ namespace: ns, name: "tcp" });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(await ingressOf(cluster, ns, "udp"), ["10.70.0.0"]);
    assert.equal((await conditionOf(cluster, ns, "pinned"))?.reason, "SharingConflict");
    await cluster.core.deleteNamespacedService({ namespace: ns, name: "udp" });
    await waitIngress(cluster, ns, "pinned", ["10.70.0.0"]);
  });

  it("shares between all-Cluster members, or all-Local members with one non-empty selector (sharing.ts whyCannotShare)", async () => {
    const ns = "share-policy";
    await isolatedNamespace(suite.cluster, ns, { "share-policy": { cidr: "10.71.0.0/29", blockSize: 29 } });
    const local = (selector?: Record<string, string>) => ({ externalTrafficPolicy: "Local", selector });
    await served(ns, "cluster", member("k", 1), ["10.71.0.0"]);
    await served(ns, "local-x", member("k", 2, local({ app: "x" })), ["10.71.0.1"]);
    assert.match(
      await messageOf(ns, "local-x"),
      /10\.71\.0\.0 of sharing key "k" is not shared: externalTrafficPolicy Local differs from Service share-policy\/cluster's/,
    );
    await served(ns, "local-x-too", member("k", 3, local({ app: "x" })), ["10.71.0.1"]);
    await served(ns, "local-y", member("k", 4, local({ app: "y" })), ["10.71.0.2"]);
    assert.match(
      await messageOf(ns, "local-y"),
      /10\.71\.0\.1 .*not shared: externalTrafficPolicy Local needs the same non-empty selector as Service share-policy\/local-x/,
    );
    // Without a selector a Local Service joins no Local address (its endpoints could be anywhere).
    await served(ns, "local-none", member("k", 5, local()), ["10.71.0.3"]);
    await served(ns, "cluster-too", member("k", 6), ["10.71.0.0"]);
  });

  it("shares across namespaces only when each member lists the other's namespace in lbipam.io/sharing-cross-namespace", async () => {
    const { cluster } = suite;
    const team = { team: "share-cross" };
    for (const ns of ["share-red", "share-blue", "share-green"])
      await isolatedNamespace(cluster, ns, {}, team);
    await createPool(cluster, "share-cross", {
      cidr: "10.72.0.0/29",
      blockSize: 29,
      namespaceSelector: "team == 'share-cross'",
    });
    const cross = (port: number, namespaces?: string) =>
      member("k", port, {}, namespaces === undefined ? {} : { [CROSS]: namespaces });
    await served("share-red", "a", cross(1, "share-blue"), ["10.72.0.0"]);
    // Same key, but blue/b does not let red in: an address of its own, saying why.
    await served("share-blue", "b", cross(2), ["10.72.0.1"]);
    assert.match(
      await messageOf("share-blue", "b"),
      /10\.72\.0\.0 of sharing key "k" is not shared: Service share-red\/a is in namespace share-red, and lbipam\.io\/sharing-cross-namespace of both must list the other's namespace/,
    );
    await served("share-blue", "c", cross(3, "share-green, share-red"), ["10.72.0.0"]);
    // "*" lets every namespace in, but red/a and blue/b do not list green.
    await served("share-green", "d", cross(4, "*"), ["10.72.0.2"]);
  });

  it("gives a shared address back only when its last member leaves, then to the Service waiting for the full pool", async () => {
    const ns = "share-last";
    await isolatedNamespace(suite.cluster, ns, { "share-last": { cidr: "10.73.0.0/32", blockSize: 32 } });
    await served(ns, "m1", member("k", 1), ["10.73.0.0"]);
    await served(ns, "m2", member("k", 2), ["10.73.0.0"]);
    await createService(suite.cluster, ns, "waiting", ports([1, "TCP"]));
    await waitReason(suite.cluster, ns, "waiting", "PoolExhausted");
    await suite.cluster.core.deleteNamespacedService({ namespace: ns, name: "m1" });
    // The address is still the key's: a new member joins it, and the waiting Service still waits.
    await served(ns, "m3", member("k", 3), ["10.73.0.0"]);
    assert.deepEqual(await ingressOf(suite.cluster, ns, "m2"), ["10.73.0.0"]);
    assert.equal((await conditionOf(suite.cluster, ns, "waiting"))?.reason, "PoolExhausted");
    for (const name of ["m2", "m3"])
      await suite.cluster.core.deleteNamespacedService({ namespace: ns, name });
    await waitIngress(suite.cluster, ns, "waiting", ["10.73.0.0"]);
  });

  it("moves the member whose key or ports stop fitting; the others keep the shared address", async () => {
    const { cluster } = suite;
    const ns = "share-move";
    await isolatedNamespace(cluster, ns, { "share-move": { cidr: "10.74.0.0/30", blockSize: 30 } });
    for (const [name, port] of Object.entries({ a: 1, b: 2, c: 3 })) {
      await served(ns, name, member("k", port), ["10.74.0.0"]);
    }
    await annotate(cluster, ns, "b", { [KEY]: "other" });
    await waitIngress(cluster, ns, "b", ["10.74.0.1"]);
    const released = await waitEvent(cluster, ns, "b", "IPReleased");
    assert.equal(released.message, "Released 10.74.0.0");
    // c takes a's port: c is the one that changed, so c moves and a stays.
    await cluster.core.patchNamespacedService(
      { namespace: ns, name: "c", body: ports([1, "TCP"]) },
      mergePatch,
    );
    await waitIngress(cluster, ns, "c", ["10.74.0.2"]);
    assert.match(
      await messageOf(ns, "c"),
      /10\.74\.0\.0 of sharing key "k" is not shared: port TCP\/1 is used by Service share-move\/a too/,
    );
    assert.deepEqual(await ingressOf(cluster, ns, "a"), ["10.74.0.0"]);
  });

  it("shares both families between RequireDualStack members", async () => {
    const { cluster } = suite;
    const ns = "share-dual";
    await isolatedNamespace(cluster, ns, {
      "share-dual-v4": { cidr: "10.75.0.0/30", blockSize: 30 },
      "share-dual-v6": { cidr: "2001:db8:75::/120" },
    });
    const dual = { ipFamilyPolicy: "RequireDualStack", ipFamilies: ["IPv4", "IPv6"] };
    await served(ns, "a", member("k", 1, dual), ["10.75.0.0", "2001:db8:75::"]);
    await served(ns, "b", member("k", 2, dual), ["10.75.0.0", "2001:db8:75::"]);
    await served(ns, "own", member("k", 1, dual), ["10.75.0.1", "2001:db8:75::1"]);
  });

  it("loadBalancerIPs of an address its key holds joins the holders; without the key it is in use", async () => {
    const ns = "share-pinned";
    await isolatedNamespace(suite.cluster, ns, { "share-pinned": { cidr: "10.76.0.0/30", blockSize: 30 } });
    await served(ns, "holder", member("k", 80), ["10.76.0.0"]);
    await served(ns, "joins", member("k", 81, {}, { [IPS]: '["10.76.0.0"]' }), ["10.76.0.0"]);
    await createService(suite.cluster, ns, "no-key", {
      annotations: { [IPS]: '["10.76.0.0"]' },
      ...ports([82, "TCP"]),
    });
    await waitReason(suite.cluster, ns, "no-key", "RequestedIPInUse");
    assert.deepEqual(await ingressOf(suite.cluster, ns, "no-key"), []);
  });
});

/** Each Service's status by name. */
async function statusesOf(cluster: TestCluster, namespace: string): Promise<Record<string, unknown>> {
  const list = await cluster.core.listNamespacedService({ namespace });
  return Object.fromEntries(list.items.map((service) => [service.metadata?.name, service.status]));
}

/** Reconciles the controller has finished, whatever their outcome. */
async function reconcileCount(controller: Controller): Promise<number> {
  const { values } = await controller.metrics.reconcileDuration.get();
  return values
    .filter((value) => value.metricName === "lbipam_reconcile_duration_seconds_count")
    .reduce((sum, value) => sum + value.value, 0);
}

describe("sharing after a restart", () => {
  it("a new controller on the same server moves no shared address and writes nothing", async () => {
    // A cluster of its own: it stops and starts its controller.
    const cluster = await startCluster();
    let controller = startController(cluster);
    try {
      const ns = "share-restart";
      await isolatedNamespace(cluster, ns, {
        "share-restart-v4": { cidr: "10.77.0.0/29", blockSize: 29 },
        "share-restart-v6": { cidr: "2001:db8:77::/120" },
      });
      await controller.start();
      const dual = { ipFamilyPolicy: "RequireDualStack", ipFamilies: ["IPv4", "IPv6"] };
      const shared = ["10.77.0.0", "2001:db8:77::"];
      const members: [string, Parameters<typeof createService>[3], string[]][] = [
        ["a", member("k", 1, dual), shared],
        ["b", member("k", 2, dual), shared],
        ["collides", member("k", 1, dual), ["10.77.0.1", "2001:db8:77::1"]],
        ["pinned", member("k", 3, dual, { [IPS]: JSON.stringify(shared) }), shared],
      ];
      for (const [name, extra, expected] of members) {
        await createService(cluster, ns, name, extra);
        await waitIngress(cluster, ns, name, expected);
      }
      // The pools count a shared address once; once they say so, the first controller's writes have landed.
      for (const pool of ["share-restart-v4", "share-restart-v6"]) {
        await waitFor(
          () => kubectl(cluster, "get", "ippool", pool, "-o", "jsonpath={.status.addresses.allocated}"),
          (allocated) => allocated === "2",
          `${pool} to count 2 addresses`,
        );
      }
      const before = await statusesOf(cluster, ns);
      await controller.stop();

      const writes = await recordWrites(cluster, {
        services: `/api/v1/namespaces/${ns}/services`,
        events: `/api/v1/namespaces/${ns}/events`,
        ippools: "/apis/projectcalico.org/v3/ippools",
      });
      controller = startController(cluster);
      await controller.start();
      // Every Service reconciled, then one more that must be written: what the restart wrote is stored before it.
      await waitFor(
        () => reconcileCount(controller),
        (count) => count >= members.length && controller.queue.length === 0,
        "every Service to be reconciled",
      );
      await createService(cluster, ns, "after-restart", { spec: dual });
      await waitIngress(cluster, ns, "after-restart", ["10.77.0.2", "2001:db8:77::2"]);
      for (const pool of ["share-restart-v4", "share-restart-v6"]) {
        await waitFor(
          async () => writes.ordered().filter((change) => change.object.metadata?.name === pool).length,
          (count) => count > 0,
          `the status write of ${pool} for the new Service`,
        );
      }
      writes.stop();
      assert.deepEqual(writes.problems, []);
      const restartWrites = writes
        .ordered()
        .filter(({ source, object }) =>
          source === "ippools"
            ? (object.status as { addresses?: { allocated?: number } })?.addresses?.allocated !== 3
            : object.metadata?.name !== "after-restart" &&
              (object as { involvedObject?: { name?: string } }).involvedObject?.name !== "after-restart",
        )
        .map(({ source, type, object }) => `${source} ${type} ${object.metadata?.name}`);
      assert.deepEqual(restartWrites, [], "no write but for the new Service");
      const after = await statusesOf(cluster, ns);
      delete after["after-restart"];
      assert.deepEqual(after, before);
    } finally {
      await controller.stop();
      await cluster.stop();
    }
  });
});
