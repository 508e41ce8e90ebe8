// End to end over the embedded API server: a pool and a Service in, an address out.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createPool,
  isolatedNamespace,
  loadBalancer,
  oneAddressOf,
  runningController,
  waitFor,
} from "./helpers/cluster.js";

const suite = runningController({}, async (cluster) => {
  await cluster.core.createNamespace({ body: { metadata: { name: "shop" } } });
  await createPool(cluster, "lb-pool", { cidr: "192.210.0.0/20", blockSize: 24 });
});

describe("controller", () => {
  it("assigns the lowest address of the pool with one status write", async () => {
    const { cluster } = suite;
    const writesBefore = cluster.server.counters.total({
      verb: "patch",
      resource: "services",
      subresource: "status",
    });
    await cluster.core.createNamespacedService({ namespace: "shop", body: loadBalancer("web") });
    const ingress = await oneAddressOf(cluster, "shop", "web");
    assert.deepEqual(ingress, ["192.210.0.0"]);
    const service = await cluster.core.readNamespacedServiceStatus({ namespace: "shop", name: "web" });
    const condition = service.status?.conditions?.find(
      (c) => c.type === "projectcalico.org/LoadBalancerIPAllocated",
    );
    assert.equal(condition?.status, "True");
    // Let any extra write land before counting.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(
      cluster.server.counters.total({ verb: "patch", resource: "services", subresource: "status" }) -
        writesBefore,
      1,
    );
  });

  it("creates the default configuration and shows the mode in force", async () => {
    const { cluster } = suite;
    const config = await waitFor(
      () =>
        cluster.custom.getClusterCustomObject({
          group: "projectcalico.org",
          version: "v3",
          plural: "kubecontrollersconfigurations",
          name: "default",
        }) as Promise<{
          status?: { runningConfig?: { controllers?: { loadBalancer?: { assignIPs?: string } } } };
        }>,
      (object) => object.status?.runningConfig !== undefined,
      "the default configuration's runningConfig",
    );
    assert.equal(config.status?.runningConfig?.controllers?.loadBalancer?.assignIPs, "AllServices");
  });

  it("keeps the pool's status current", async () => {
    const { cluster } = suite;
    await isolatedNamespace(cluster, "status", { "status-pool": { cidr: "192.211.0.0/20", blockSize: 24 } });
    // lb-pool serves every namespace and comes first by name: the Service names this pool.
    const annotations = { "projectcalico.org/ipv4pools": '["status-pool"]' };
    await cluster.core.createNamespacedService({
      namespace: "status",
      body: loadBalancer("counted", { annotations }),
    });
    await oneAddressOf(cluster, "status", "counted");
    const pool = await waitFor(
      () =>
        cluster.custom.getClusterCustomObject({
          group: "projectcalico.org",
          version: "v3",
          plural: "ippools",
          name: "status-pool",
        }) as Promise<{
          status?: {
            addresses?: { allocated?: number; total?: number };
            conditions?: { type: string; status: string }[];
          };
        }>,
      (object) => object.status?.addresses?.allocated === 1,
      "the pool's utilisation",
    );
    assert.equal(pool.status?.addresses?.total, 4096);
    assert.equal(pool.status?.conditions?.find((c) => c.type === "Allocatable")?.status, "True");
  });
});
