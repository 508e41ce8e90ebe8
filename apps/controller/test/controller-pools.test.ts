// Pools change under Services: disabled, deleted, overlapping, reserved,
// restricted to namespaces; and a restart that must change nothing.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Controller } from "../src/controller/controller.js";
import {
  createPool,
  createReservation,
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

const group = { group: "projectcalico.org", version: "v3" };

before(async () => {
  cluster = await startCluster();
  for (const name of ["team-a", "team-b"]) {
    await cluster.core.createNamespace({ body: { metadata: { name, labels: { team: name } } } });
  }
  await createPool(cluster, "p1-first", { cidr: "10.10.0.0/30", blockSize: 30 });
  controller = startController(cluster);
  await controller.start();
});
after(async () => {
  await controller?.stop();
  await cluster?.stop();
});

async function poolCondition(name: string) {
  const pool = (await cluster.custom.getClusterCustomObject({ ...group, plural: "ippools", name })) as {
    status?: { conditions?: { type: string; status: string; reason: string }[] };
  };
  return pool.status?.conditions?.find((c) => c.type === "Allocatable");
}

const waitIps = (namespace: string, name: string, expected: string[]) =>
  waitFor(
    () => ingressOf(cluster, namespace, name),
    (got) => JSON.stringify(got) === JSON.stringify(expected),
    `${namespace}/${name} to show ${expected}`,
  );

describe("pools under Services", () => {
  it("keeps addresses of a disabled pool but gives no new ones", async () => {
    await cluster.core.createNamespacedService({ namespace: "team-a", body: loadBalancer("kept") });
    await waitIps("team-a", "kept", ["10.10.0.0"]);
    await cluster.custom.patchClusterCustomObject(
      { ...group, plural: "ippools", name: "p1-first", body: { spec: { disabled: true } } },
      mergePatch,
    );
    await waitFor(
      () => poolCondition("p1-first"),
      (c) => c?.reason === "PoolDisabled",
      "PoolDisabled condition",
    );
    await cluster.core.createNamespacedService({ namespace: "team-a", body: loadBalancer("new-one") });
    await waitFor(
      async () =>
        (await cluster.core.readNamespacedServiceStatus({ namespace: "team-a", name: "new-one" })).status,
      (status) => status?.conditions?.some((c) => c.type === CONDITION && c.status === "False") === true,
      "new-one to wait",
    );
    assert.deepEqual(await ingressOf(cluster, "team-a", "kept"), ["10.10.0.0"]);
    await cluster.custom.patchClusterCustomObject(
      { ...group, plural: "ippools", name: "p1-first", body: { spec: { disabled: false } } },
      mergePatch,
    );
    await waitIps("team-a", "new-one", ["10.10.0.1"]);
  });

  it("shadows the newer of two overlapping pools until the older goes", async () => {
    await createPool(cluster, "p2-overlap", { cidr: "10.10.0.0/29", blockSize: 29 });
    await waitFor(
      () => poolCondition("p2-overlap"),
      (c) => c?.reason === "CIDROverlap",
      "CIDROverlap on the newer pool",
    );
    assert.equal((await poolCondition("p1-first"))?.status, "True");
  });

  it("moves Services off a deleted pool to the pools left", async () => {
    await cluster.custom.deleteClusterCustomObject({ ...group, plural: "ippools", name: "p1-first" });
    // p2-overlap (10.10.0.0/29) now serves: the addresses stay valid there.
    await waitFor(
      () => poolCondition("p2-overlap"),
      (c) => c?.status === "True",
      "p2-overlap allocatable",
    );
    await waitIps("team-a", "kept", ["10.10.0.0"]);
    await cluster.core.createNamespacedService({ namespace: "team-a", body: loadBalancer("third") });
    await waitIps("team-a", "third", ["10.10.0.2"]);
  });

  it("keeps reserved addresses from automatic allocation and frees them when the reservation goes", async () => {
    await createReservation(cluster, "hold", ["10.10.0.3/32", "10.10.0.4/31"]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await cluster.core.createNamespacedService({ namespace: "team-a", body: loadBalancer("after-reserve") });
    await waitIps("team-a", "after-reserve", ["10.10.0.6"]);
    await cluster.core.createNamespacedService({
      namespace: "team-a",
      body: loadBalancer("asks-reserved", {
        annotations: { "projectcalico.org/loadBalancerIPs": '["10.10.0.4"]' },
      }),
    });
    await waitIps("team-a", "asks-reserved", ["10.10.0.4"]);
  });

  it("serves a pool's namespaces only", async () => {
    await createPool(cluster, "only-b", {
      cidr: "10.20.0.0/30",
      blockSize: 30,
      namespaceSelector: "team == 'team-b'",
    });
    const annotations = { "projectcalico.org/ipv4pools": '["only-b"]' };
    await cluster.core.createNamespacedService({
      namespace: "team-a",
      body: loadBalancer("a-asks", { annotations }),
    });
    await cluster.core.createNamespacedService({
      namespace: "team-b",
      body: loadBalancer("b-asks", { annotations }),
    });
    await waitIps("team-b", "b-asks", ["10.20.0.0"]);
    const refused = await waitFor(
      async () =>
        (await cluster.core.readNamespacedServiceStatus({ namespace: "team-a", name: "a-asks" })).status,
      (status) =>
        status?.conditions?.some((c) => c.type === CONDITION && c.reason === "NamespaceNotAllowed") === true,
      "a-asks refused with NamespaceNotAllowed",
    );
    assert.deepEqual(refused?.loadBalancer?.ingress ?? [], []);
  });

  it("keeps a pool's allocations through spec edits when its blockSize is unset", async () => {
    // No blockSize: the family's default applies, and an edit must not read as a new block size.
    await createPool(cluster, "p9-default-block", { cidr: "10.30.0.0/26" });
    const annotations = { "projectcalico.org/ipv4pools": '["p9-default-block"]' };
    const create = (name: string) =>
      cluster.core.createNamespacedService({
        namespace: "team-a",
        body: loadBalancer(name, { annotations }),
      });
    const allocated = () =>
      waitFor(
        async () =>
          (await cluster.custom.getClusterCustomObject({
            ...group,
            plural: "ippools",
            name: "p9-default-block",
          })) as { status?: { addresses?: { allocated: number } } },
        () => true,
        "the pool",
      );
    await create("d-first");
    await create("d-second");
    await waitIps("team-a", "d-first", ["10.30.0.0"]);
    await waitIps("team-a", "d-second", ["10.30.0.1"]);
    for (const disabled of [true, false]) {
      await cluster.custom.patchClusterCustomObject(
        { ...group, plural: "ippools", name: "p9-default-block", body: { spec: { disabled } } },
        mergePatch,
      );
    }
    await create("d-third");
    await waitIps("team-a", "d-third", ["10.30.0.2"]);
    await waitFor(
      allocated,
      (pool) => pool.status?.addresses?.allocated === 3,
      "the edited pool to count the 3 addresses held",
    );
    assert.deepEqual(
      await Promise.all(["d-first", "d-second"].map((name) => ingressOf(cluster, "team-a", name))),
      [["10.30.0.0"], ["10.30.0.1"]],
    );
  });

  it("after a restart with nothing changed, writes nothing and moves no address", async () => {
    const before = await cluster.core.listServiceForAllNamespaces();
    const shown = (list: typeof before) =>
      Object.fromEntries(
        list.items.map((s) => [
          `${s.metadata?.namespace}/${s.metadata?.name}`,
          s.status?.loadBalancer?.ingress ?? [],
        ]),
      );
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
    assert.deepEqual(shown(await cluster.core.listServiceForAllNamespaces()), shown(before));
    // The worker's claims are the pool's: a new Service gets the next free address, not a held one.
    await cluster.core.createNamespacedService({
      namespace: "team-a",
      body: loadBalancer("d-after-restart", {
        annotations: { "projectcalico.org/ipv4pools": '["p9-default-block"]' },
      }),
    });
    await waitIps("team-a", "d-after-restart", ["10.30.0.3"]);
  });
});
