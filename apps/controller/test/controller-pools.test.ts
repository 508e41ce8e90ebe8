// Pools change under Services: disabled, deleted, overlapping, reserved,
// restricted to namespaces; and a restart that must change nothing. Each
// test has its own namespace and pools, so any one runs alone.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createPool,
  createReservation,
  createService,
  ingressOf,
  isolatedNamespace,
  kubectl,
  mergePatch,
  onlyNamespace,
  runningController,
  startCluster,
  startController,
  type TestCluster,
  waitFor,
  waitIngress,
  waitReason,
} from "./helpers/cluster.js";

const suite = runningController();
const ippools = { group: "projectcalico.org", version: "v3", plural: "ippools" };

interface PoolObject {
  status?: {
    conditions?: { type: string; status: string; reason: string }[];
    addresses?: { allocated: number; reserved: number | string };
  };
}

const readPool = async (cluster: TestCluster, name: string) =>
  (await cluster.custom.getClusterCustomObject({ ...ippools, name })) as PoolObject;

async function poolCondition(cluster: TestCluster, name: string) {
  return (await readPool(cluster, name)).status?.conditions?.find((c) => c.type === "Allocatable");
}

const waitPoolReason = (cluster: TestCluster, name: string, reason: string) =>
  waitFor(
    () => poolCondition(cluster, name),
    (c) => c?.reason === reason,
    `${reason} on pool ${name}`,
  );

const editPool = (cluster: TestCluster, name: string, spec: object) =>
  cluster.custom.patchClusterCustomObject({ ...ippools, name, body: { spec } }, mergePatch);

describe("pools under Services", () => {
  it("keeps addresses of a disabled pool but gives no new ones", async () => {
    const { cluster } = suite;
    const ns = "pool-disabled";
    await isolatedNamespace(cluster, ns, { "disabled-pool": { cidr: "10.10.0.0/30", blockSize: 30 } });
    await createService(cluster, ns, "kept");
    await waitIngress(cluster, ns, "kept", ["10.10.0.0"]);
    await editPool(cluster, "disabled-pool", { disabled: true });
    await waitPoolReason(cluster, "disabled-pool", "PoolDisabled");
    await createService(cluster, ns, "new-one");
    await waitReason(cluster, ns, "new-one", "PoolDisabled", "False");
    assert.deepEqual(await ingressOf(cluster, ns, "kept"), ["10.10.0.0"]);
    await editPool(cluster, "disabled-pool", { disabled: false });
    await waitIngress(cluster, ns, "new-one", ["10.10.0.1"]);
  });

  it("shadows the newer of two overlapping pools until the older goes, and the addresses stay valid there", async () => {
    const { cluster } = suite;
    const ns = "pool-overlap";
    await isolatedNamespace(cluster, ns, { "overlap-a-older": { cidr: "10.12.0.0/30", blockSize: 30 } });
    await createService(cluster, ns, "kept");
    await waitIngress(cluster, ns, "kept", ["10.12.0.0"]);
    // Created in the same second, the older is the first by name (Calico's tie-break).
    await createPool(cluster, "overlap-b-newer", {
      cidr: "10.12.0.0/29",
      blockSize: 29,
      namespaceSelector: onlyNamespace(ns),
    });
    await waitPoolReason(cluster, "overlap-b-newer", "CIDROverlap");
    assert.equal((await poolCondition(cluster, "overlap-a-older"))?.status, "True");
    await cluster.custom.deleteClusterCustomObject({ ...ippools, name: "overlap-a-older" });
    await waitFor(
      () => poolCondition(cluster, "overlap-b-newer"),
      (c) => c?.status === "True",
      "overlap-b-newer allocatable",
    );
    await waitIngress(cluster, ns, "kept", ["10.12.0.0"]);
    await createService(cluster, ns, "third");
    await waitIngress(cluster, ns, "third", ["10.12.0.1"]);
  });

  it("moves Services off a deleted pool to the pools left", async () => {
    const { cluster } = suite;
    const ns = "pool-deleted";
    await isolatedNamespace(cluster, ns, {
      "deleted-a": { cidr: "10.13.0.0/30", blockSize: 30 },
      "deleted-b": { cidr: "10.13.1.0/30", blockSize: 30 },
    });
    await createService(cluster, ns, "moved");
    await waitIngress(cluster, ns, "moved", ["10.13.0.0"]);
    await cluster.custom.deleteClusterCustomObject({ ...ippools, name: "deleted-a" });
    await waitIngress(cluster, ns, "moved", ["10.13.1.0"]);
  });

  it("keeps reserved addresses from automatic allocation and frees them when the reservation goes", async () => {
    const { cluster } = suite;
    const ns = "pool-reserved";
    await isolatedNamespace(cluster, ns, { "reserved-pool": { cidr: "10.14.0.0/29", blockSize: 29 } });
    await createReservation(cluster, "reserved-hold", ["10.14.0.0/32", "10.14.0.2/31"]);
    await waitFor(
      () => readPool(cluster, "reserved-pool"),
      (pool) => Number(pool.status?.addresses?.reserved) === 3,
      "the pool to count 3 reserved addresses",
    );
    await createService(cluster, ns, "after-reserve");
    await waitIngress(cluster, ns, "after-reserve", ["10.14.0.1"]);
    await createService(cluster, ns, "asks-reserved", {
      annotations: { "projectcalico.org/loadBalancerIPs": '["10.14.0.2"]' },
    });
    await waitIngress(cluster, ns, "asks-reserved", ["10.14.0.2"]);
    await cluster.custom.deleteClusterCustomObject({
      group: "projectcalico.org",
      version: "v3",
      plural: "ipreservations",
      name: "reserved-hold",
    });
    await createService(cluster, ns, "after-release");
    await waitIngress(cluster, ns, "after-release", ["10.14.0.0"]);
  });

  it("takes pools by lbipam.io/priority set with kubectl annotate, and an unusable priority keeps the pool's addresses", async () => {
    const { cluster } = suite;
    const ns = "pool-priority";
    await isolatedNamespace(cluster, ns, {
      "priority-a": { cidr: "10.17.0.0/30", blockSize: 30 },
      "priority-b": { cidr: "10.17.1.0/30", blockSize: 30 },
    });
    assert.match(
      await kubectl(cluster, "annotate", "ippool", "priority-b", "lbipam.io/priority=1"),
      /annotated/,
    );
    await createService(cluster, ns, "first");
    await waitIngress(cluster, ns, "first", ["10.17.1.0"]);
    await kubectl(cluster, "annotate", "--overwrite", "ippool", "priority-b", "lbipam.io/priority=high");
    await waitPoolReason(cluster, "priority-b", "InvalidPoolAnnotation");
    await createService(cluster, ns, "second");
    await waitIngress(cluster, ns, "second", ["10.17.0.0"]);
    assert.deepEqual(await ingressOf(cluster, ns, "first"), ["10.17.1.0"], "the pool keeps what it gave");
  });

  it("serves a pool's namespaces only", async () => {
    const { cluster } = suite;
    await isolatedNamespace(cluster, "only-a", {}, { team: "only-a" });
    await isolatedNamespace(cluster, "only-b", {}, { team: "only-b" });
    await createPool(cluster, "only-b", {
      cidr: "10.20.0.0/30",
      blockSize: 30,
      namespaceSelector: "team == 'only-b'",
    });
    const annotations = { "projectcalico.org/ipv4pools": '["only-b"]' };
    await createService(cluster, "only-a", "a-asks", { annotations });
    await createService(cluster, "only-b", "b-asks", { annotations });
    await waitIngress(cluster, "only-b", "b-asks", ["10.20.0.0"]);
    await waitReason(cluster, "only-a", "a-asks", "NamespaceNotAllowed");
    assert.deepEqual(await ingressOf(cluster, "only-a", "a-asks"), []);
  });

  it("keeps a pool's allocations through spec edits when its blockSize is unset", async () => {
    const { cluster } = suite;
    const ns = "default-block";
    // No blockSize: the family's default applies, and an edit must not read as a new block size.
    await isolatedNamespace(cluster, ns, { "default-block": { cidr: "10.30.0.0/26" } });
    await createService(cluster, ns, "d-first");
    await createService(cluster, ns, "d-second");
    await waitIngress(cluster, ns, "d-first", ["10.30.0.0"]);
    await waitIngress(cluster, ns, "d-second", ["10.30.0.1"]);
    for (const disabled of [true, false]) await editPool(cluster, "default-block", { disabled });
    await createService(cluster, ns, "d-third");
    await waitIngress(cluster, ns, "d-third", ["10.30.0.2"]);
    await waitFor(
      () => readPool(cluster, "default-block"),
      (pool) => pool.status?.addresses?.allocated === 3,
      "the edited pool to count the 3 addresses held",
    );
    assert.deepEqual(await Promise.all(["d-first", "d-second"].map((name) => ingressOf(cluster, ns, name))), [
      ["10.30.0.0"],
      ["10.30.0.1"],
    ]);
  });
});

describe("pools lbipam does not serve", () => {
  it("never writes the status of a Workload pool (Calico skips pools whose Allocatable is False), and shows the block size in use", async () => {
    const { cluster } = suite;
    const ns = "pool-workload";
    await isolatedNamespace(cluster, ns, { "workload-lb": { cidr: "10.15.0.0/26" } });
    await createPool(cluster, "workload-pods", { cidr: "10.16.0.0/16", allowedUses: ["Workload", "Tunnel"] });
    await createService(cluster, ns, "served");
    await waitIngress(cluster, ns, "served", ["10.15.0.0"]);
    const served = await waitFor(
      () => readPool(cluster, "workload-lb"),
      (pool) => pool.status?.addresses?.allocated === 1,
      "the LoadBalancer pool's status",
    );
    // No blockSize given: the family's default, as kubectl get ippools shows it.
    assert.equal((served.status as { blockSize?: number }).blockSize, 26);
    const table = await kubectl(cluster, "get", "ippools", "workload-lb");
    assert.match(
      table,
      /^NAME +CIDR +BLOCK SIZE +USES .*\nworkload-lb +10\.15\.0\.0\/26 +26 +\["LoadBalancer"\]/,
    );
    // Both pools were synced before the Service was served; give a status write time to land, then look.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await readPool(cluster, "workload-pods")).status, undefined);
  });
});

describe("restart", () => {
  it("after a restart with nothing changed, writes nothing and moves no address", async () => {
    // A cluster of its own: it stops and starts its controller.
    const cluster = await startCluster();
    let controller = startController(cluster);
    try {
      const ns = "restart";
      await isolatedNamespace(cluster, ns, {
        "restart-a": { cidr: "10.31.0.0/30", blockSize: 30 },
        "restart-b": { cidr: "10.31.1.0/26" },
      });
      await controller.start();
      const pinned = { "projectcalico.org/ipv4pools": '["restart-b"]' };
      for (const name of ["r1", "r2", "r3"]) await createService(cluster, ns, name);
      await createService(cluster, ns, "r4", { annotations: pinned });
      await createService(cluster, ns, "r5", {
        annotations: { "projectcalico.org/loadBalancerIPs": '["10.31.1.9"]' },
      });
      await waitIngress(cluster, ns, "r5", ["10.31.1.9"]);
      await waitIngress(cluster, ns, "r4", ["10.31.1.0"]);
      await waitIngress(cluster, ns, "r3", ["10.31.0.2"]);
      const shown = async () =>
        Object.fromEntries(
          (await cluster.core.listNamespacedService({ namespace: ns })).items.map((s) => [
            s.metadata?.name,
            s.status?.loadBalancer?.ingress ?? [],
          ]),
        );
      const before = await shown();
      // Everything the first controller writes has landed: the pools' status counts every holder.
      for (const [pool, allocated] of [
        ["restart-a", 3],
        ["restart-b", 2],
      ] as const) {
        await waitFor(
          () => readPool(cluster, pool),
          (object) => object.status?.addresses?.allocated === allocated,
          `${pool} to count ${allocated} addresses`,
        );
      }
      await controller.stop();
      const writes = () =>
        cluster.server.counters.total({ verb: "patch" }) +
        cluster.server.counters.total({ verb: "update" }) +
        cluster.server.counters.total({ verb: "create" });
      const writesBefore = writes();
      // With a worker thread, the rebuild's claims are made there, in the pools' shared memory.
      controller = startController(cluster, { allocatorThreads: 1 });
      await controller.start();
      const rebuildTasks = (
        await controller.metrics.registry.getSingleMetricAsString("lbipam_worker_pool_tasks_total")
      )
        .split("\n")
        .filter((line) => line.includes('kind="rebuild"') && line.includes('outcome="worker"'));
      assert.equal(rebuildTasks.length, 1, "rebuild tasks ran on the worker");
      assert.ok(Number(rebuildTasks[0]!.split(" ").at(-1)) >= 1);
      // Let every Service be reconciled (the queue drains) and any write land.
      await waitFor(
        async () => controller.queue.length,
        (n) => n === 0,
        "the queue to drain",
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(writes() - writesBefore, 0, "no write at all after the restart");
      assert.deepEqual(await shown(), before);
      // The worker's claims are the pool's: a new Service gets the next free address, not a held one.
      await createService(cluster, ns, "after-restart", { annotations: pinned });
      await waitIngress(cluster, ns, "after-restart", ["10.31.1.1"]);
    } finally {
      await controller.stop();
      await cluster.stop();
    }
  });
});
