// behaviour.md "Calico clusters", each shape emulated on the embedded API
// server with CRDs written from Calico's published field names
// (test/fixtures/calico-v1-crds; for native v3, lbipam's own CRDs without its
// label, as Calico's own carry none): the shape is found as the controller
// finds it at start, Services get addresses from the LoadBalancer pool, and
// nothing Calico owns is ever written: no pool status (a Workload pool in
// each), no KubeControllersConfiguration created or given a status.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { detectClusterShape } from "../src/controller/cluster-shape.js";
import { RestClient } from "../src/controller/rest-client.js";
import { CALICO_SHAPES, calicoBlock, calicoV1Crds } from "./helpers/calico-crds.js";
import {
  createPool,
  createService,
  ingressOf,
  isolatedNamespace,
  mergePatch,
  startCluster,
  startController,
  type TestCluster,
  waitFor,
  waitIngress,
} from "./helpers/cluster.js";

/** Writes to pools, reservations, the configuration and IPAM blocks the server answered, any verb, any subresource. */
function calicoWrites(cluster: TestCluster): number {
  let writes = 0;
  for (const resource of ["ippools", "kubecontrollersconfigurations", "ipreservations", "ipamblocks"]) {
    for (const verb of ["create", "update", "patch", "delete"])
      writes += cluster.server.counters.total({ verb, resource });
  }
  return writes;
}

describe("Calico clusters", () => {
  for (const { what, crds, shape, pools: api, blocks, setUp } of CALICO_SHAPES) {
    it(`${what}: found as ${shape}, serves from its LoadBalancer pool, and writes nothing Calico owns`, async () => {
      const cluster = await startCluster(crds());
      await setUp(cluster);
      const rest = new RestClient(cluster.kubeconfig, 2);
      let controller: ReturnType<typeof startController> | undefined;
      try {
        const found = await detectClusterShape(rest);
        assert.equal(found.shape, shape);
        assert.equal(found.ownsCalicoObjects, false);
        assert.deepEqual(found.blocks, blocks, "the IPAM blocks are read where Calico keeps them");
        await isolatedNamespace(cluster, "shop");
        await createPool(
          cluster,
          "pods",
          { cidr: "10.244.0.0/16", allowedUses: ["Workload", "Tunnel"] },
          api,
        );
        await createPool(
          cluster,
          "lb",
          { cidr: "10.80.0.0/28", blockSize: 28, allowedUses: ["LoadBalancer"] },
          api,
        );
        // From here on, every request is the controller's.
        cluster.server.counters.reset();
        controller = startController(cluster, { shape: found });
        await controller.start();
        await createService(cluster, "shop", "web");
        await waitIngress(cluster, "shop", "web", ["10.80.0.0"]);
        await waitFor(
          async () => controller!.queue.length,
          (n) => n === 0,
          "the queue to drain",
        );
        // Pool status is written at most every 50 ms here: give any write time to land.
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal(calicoWrites(cluster), 0, "no write to a pool, reservation or configuration");
        for (const name of ["pods", "lb"]) {
          const pool = (await cluster.custom.getClusterCustomObject({ ...api, plural: "ippools", name })) as {
            status?: unknown;
          };
          assert.equal(pool.status, undefined, `${name} has no status`);
        }
        const metrics = await controller.metrics.registry.getSingleMetricAsString("lbipam_cluster_shape");
        assert.match(metrics, new RegExp(`^lbipam_cluster_shape\\{shape="${shape}"\\} 1$`, "m"));
        assert.match(controller.readiness().detail, new RegExp(`cluster ${shape}`));
      } finally {
        await controller?.stop();
        rest.close();
        await cluster.stop();
      }
    });
  }

  for (const { what, crds, pools: api, blocks: blockApi, setUp } of CALICO_SHAPES) {
    it(`${what}: addresses Calico's own controller recorded in its IPAM blocks stay their Services': kept, given when not shown, never given to another, held while their Service is gone`, async () => {
      const cluster = await startCluster(crds());
      await setUp(cluster);
      const rest = new RestClient(cluster.kubeconfig, 2);
      let controller: ReturnType<typeof startController> | undefined;
      const blocks = { ...blockApi, plural: "ipamblocks" };
      try {
        await isolatedNamespace(cluster, "shop");
        await createPool(
          cluster,
          "lb",
          { cidr: "10.80.0.0/30", blockSize: 30, allowedUses: ["LoadBalancer"] },
          api,
        );
        // What Calico's controller left: "kept" shows its address, "unshown" lost its status write,
        // and the third record names a Service that is gone.
        await createService(cluster, "shop", "kept");
        await createService(cluster, "shop", "unshown");
        const uid = async (name: string) =>
          (await cluster.core.readNamespacedService({ namespace: "shop", name })).metadata?.uid ?? "";
        await cluster.core.patchNamespacedServiceStatus(
          {
            namespace: "shop",
            name: "kept",
            body: { status: { loadBalancer: { ingress: [{ ip: "10.80.0.1" }] } } },
          },
          mergePatch,
        );
        await cluster.custom.createClusterCustomObject({
          ...blocks,
          body: calicoBlock(blockApi, "10.80.0.0/30", [
            { ordinal: 1, namespace: "shop", service: "kept", uid: await uid("kept") },
            { ordinal: 2, namespace: "shop", service: "unshown", uid: await uid("unshown") },
            { ordinal: 0, namespace: "shop", service: "gone", uid: "0e9d5b1c-5a43-4c1e-9d8e-3f1f0f7c2a11" },
          ]),
        });
        const found = await detectClusterShape(rest);
        // From here on, every request is the controller's (until the block is cleaned below).
        cluster.server.counters.reset();
        const keptBefore = await cluster.core.readNamespacedServiceStatus({
          namespace: "shop",
          name: "kept",
        });
        controller = startController(cluster, { shape: found });
        await controller.start();
        await waitIngress(cluster, "shop", "unshown", ["10.80.0.2"]);
        await createService(cluster, "shop", "new");
        await waitIngress(cluster, "shop", "new", ["10.80.0.3"]);
        await createService(cluster, "shop", "waits");
        await waitFor(
          async () => controller!.waiting.oldestFirst().includes("shop/waits"),
          (waiting) => waiting,
          "the fourth Service to wait: the gone Service's address stays out of use",
        );
        const kept = await cluster.core.readNamespacedServiceStatus({ namespace: "shop", name: "kept" });
        assert.deepEqual(
          kept.status?.loadBalancer,
          keptBefore.status?.loadBalancer,
          "kept keeps its address",
        );
        assert.deepEqual(await ingressOf(cluster, "shop", "waits"), []);
        assert.equal(calicoWrites(cluster), 0, "no write to a pool, reservation, configuration or block");

        // The block cleaned of the gone Service's allocation (docs/migrating.md): its address serves the one waiting.
        await cluster.custom.replaceClusterCustomObject({
          ...blocks,
          name: "10-80-0-0-30",
          body: {
            ...calicoBlock(blockApi, "10.80.0.0/30", [
              { ordinal: 1, namespace: "shop", service: "kept", uid: await uid("kept") },
              { ordinal: 2, namespace: "shop", service: "unshown", uid: await uid("unshown") },
            ]),
            metadata: {
              name: "10-80-0-0-30",
              resourceVersion: (
                (await cluster.custom.getClusterCustomObject({ ...blocks, name: "10-80-0-0-30" })) as {
                  metadata: { resourceVersion: string };
                }
              ).metadata.resourceVersion,
            },
          },
        });
        await waitIngress(cluster, "shop", "waits", ["10.80.0.0"]);
      } finally {
        await controller?.stop();
        rest.close();
        await cluster.stop();
      }
    });
  }

  it("while Calico's own LoadBalancer controller runs (a stand-in writes its runningConfig), serves only its own class, and leaves Calico's Services and what they show alone", async () => {
    const cluster = await startCluster(calicoV1Crds);
    const api = { group: "crd.projectcalico.org", version: "v1" };
    const kcc = { ...api, plural: "kubecontrollersconfigurations", name: "default" };
    const rest = new RestClient(cluster.kubeconfig, 2);
    let controller: ReturnType<typeof startController> | undefined;
    const ownClass = {
      spec: { type: "LoadBalancer", loadBalancerClass: "lbipam.io/lb", ports: [{ port: 80 }] },
    };
    const statusWrites = () =>
      cluster.server.counters.total({ verb: "patch", resource: "services", subresource: "status" });
    /** What Calico's kube-controllers writes at start: runningConfig with (or without) the loadBalancer controller. */
    const standIn = (loadBalancer: object | null) =>
      cluster.custom.patchClusterCustomObjectStatus(
        { ...kcc, body: { status: { runningConfig: { controllers: { node: {}, loadBalancer } } } } },
        mergePatch,
      );
    const active = async () =>
      /lbipam_calico_loadbalancer_controller_active 1$/m.test(
        await controller!.metrics.registry.getSingleMetricAsString(
          "lbipam_calico_loadbalancer_controller_active",
        ),
      );
    try {
      await cluster.custom.createClusterCustomObject({
        ...api,
        plural: "kubecontrollersconfigurations",
        body: {
          apiVersion: "crd.projectcalico.org/v1",
          kind: "KubeControllersConfiguration",
          metadata: { name: "default" },
          spec: { controllers: { loadBalancer: {} } },
        },
      });
      await isolatedNamespace(cluster, "shop");
      await createPool(
        cluster,
        "lb",
        { cidr: "10.80.0.0/28", blockSize: 28, allowedUses: ["LoadBalancer"] },
        api,
      );
      controller = startController(cluster, {
        shape: await detectClusterShape(rest),
        loadBalancerClass: "lbipam.io/lb",
      });
      await controller.start();
      await createService(cluster, "shop", "served-before");
      await waitIngress(cluster, "shop", "served-before", ["10.80.0.0"]);
      const before = await cluster.core.readNamespacedServiceStatus({
        namespace: "shop",
        name: "served-before",
      });

      await standIn({ assignIPs: "AllServices" });
      await waitFor(active, (on) => on, "lbipam_calico_loadbalancer_controller_active 1");
      assert.match(controller.readiness().detail, /Calico's LoadBalancer controller running/);
      const writesBefore = statusWrites();
      await createService(cluster, "shop", "calicos");
      await cluster.core.createNamespacedService({
        namespace: "shop",
        body: { metadata: { name: "own" }, ...ownClass },
      });
      await waitIngress(cluster, "shop", "own", ["10.80.0.1"]);
      await waitFor(
        async () => controller!.queue.length,
        (n) => n === 0,
        "the queue to drain",
      );
      assert.equal(statusWrites() - writesBefore, 1, "one status write: lbipam's own class");
      const calicos = await cluster.core.readNamespacedServiceStatus({ namespace: "shop", name: "calicos" });
      assert.equal(calicos.status?.conditions, undefined, "no condition of lbipam's on Calico's Service");
      const after = await cluster.core.readNamespacedServiceStatus({
        namespace: "shop",
        name: "served-before",
      });
      assert.deepEqual(
        after.status,
        before.status,
        "what lbipam served before stays as it was, address and all",
      );
      assert.equal(after.metadata?.resourceVersion, before.metadata?.resourceVersion);

      await standIn(null);
      await waitFor(active, (on) => !on, "lbipam_calico_loadbalancer_controller_active 0");
      await waitIngress(cluster, "shop", "calicos", ["10.80.0.2"]);
      assert.deepEqual(await ingressOf(cluster, "shop", "served-before"), ["10.80.0.0"]);
    } finally {
      await controller?.stop();
      rest.close();
      await cluster.stop();
    }
  });

  it("Calico's v1 CRDs: lbipam.io/priority kept in Calico's v3 metadata (the projectcalico.org/metadata annotation) orders the pools, and a change to it counts", async () => {
    const cluster = await startCluster(calicoV1Crds);
    const api = { group: "crd.projectcalico.org", version: "v1" };
    const rest = new RestClient(cluster.kubeconfig, 2);
    let controller: ReturnType<typeof startController> | undefined;
    /** What Calico writes for a v3 pool annotated through calicoctl (libcalico-go resources.go). */
    const calicoMetadata = (priority: string) => ({
      "projectcalico.org/metadata": JSON.stringify({
        annotations: { "lbipam.io/priority": priority },
        creationTimestamp: null,
      }),
    });
    try {
      await isolatedNamespace(cluster, "shop");
      await createPool(cluster, "a", { cidr: "10.80.0.0/28", blockSize: 28 }, api);
      await cluster.custom.createClusterCustomObject({
        ...api,
        plural: "ippools",
        body: {
          apiVersion: "crd.projectcalico.org/v1",
          kind: "IPPool",
          metadata: { name: "b", annotations: calicoMetadata("5") },
          spec: { cidr: "10.81.0.0/28", blockSize: 28, allowedUses: ["LoadBalancer"] },
        },
      });
      controller = startController(cluster, { shape: await detectClusterShape(rest) });
      await controller.start();
      await createService(cluster, "shop", "first");
      await waitIngress(cluster, "shop", "first", ["10.81.0.0"]);
      await cluster.custom.patchClusterCustomObject(
        { ...api, plural: "ippools", name: "a", body: { metadata: { annotations: calicoMetadata("1") } } },
        mergePatch,
      );
      // The pool change reaches the registry before the next Service is decided.
      await waitFor(
        async () => controller!.registry.views.get("a")?.priority,
        (priority) => priority === 1,
        "pool a's priority from its metadata annotation",
      );
      await createService(cluster, "shop", "second");
      await waitIngress(cluster, "shop", "second", ["10.80.0.0"]);
    } finally {
      await controller?.stop();
      rest.close();
      await cluster.stop();
    }
  });

  it("lbipam's own CRDs: found as lbipam, which writes its pools' status and the configuration", async () => {
    const cluster = await startCluster();
    const rest = new RestClient(cluster.kubeconfig, 2);
    try {
      const found = await detectClusterShape(rest);
      assert.equal(found.shape, "lbipam");
      assert.equal(found.ownsCalicoObjects, true);
      assert.equal(found.warning, undefined);
    } finally {
      rest.close();
      await cluster.stop();
    }
  });

  it("no IPPool API at all: lbipam's shape, with a warning to install the CRDs", async () => {
    const cluster = await startCluster(mkdtempSync(join(tmpdir(), "no-crds-")));
    const rest = new RestClient(cluster.kubeconfig, 2);
    try {
      const found = await detectClusterShape(rest);
      assert.equal(found.shape, "lbipam");
      assert.match(found.warning ?? "", /no IPPool API/);
    } finally {
      rest.close();
      await cluster.stop();
    }
  });
});
