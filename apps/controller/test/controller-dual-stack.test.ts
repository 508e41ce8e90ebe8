// One address per IP family, in spec.ipFamilies order, per ipFamilyPolicy.
// Each test has its own namespace and pools, so any one runs alone.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  conditionOf,
  createPool,
  ingressOf,
  isolatedNamespace,
  loadBalancer,
  onlyNamespace,
  runningController,
  type TestCluster,
  waitFor,
  waitIngress,
} from "./helpers/cluster.js";

const suite = runningController();

const createDualStack = (
  cluster: TestCluster,
  ns: string,
  name: string,
  policy: string,
  families: string[],
) =>
  cluster.core.createNamespacedService({
    namespace: ns,
    body: loadBalancer(name, { spec: { ipFamilyPolicy: policy, ipFamilies: families } }),
  });

/** RequireDualStack waits for both, PreferDualStack takes IPv4 alone, while only an IPv4 pool serves the namespace. */
async function dualStackWaiting(cluster: TestCluster, ns: string, v4: string): Promise<void> {
  await isolatedNamespace(cluster, ns, { [`${ns}-v4`]: { cidr: v4 } });
  await createDualStack(cluster, ns, "both", "RequireDualStack", ["IPv4", "IPv6"]);
  await createDualStack(cluster, ns, "prefer", "PreferDualStack", ["IPv4", "IPv6"]);
  await waitIngress(cluster, ns, "prefer", [v4.replace("/24", "")]);
  await waitFor(
    () => conditionOf(cluster, ns, "both"),
    (condition) => condition !== undefined && condition.reason !== "Allocated",
    "both to wait",
  );
  assert.deepEqual(await ingressOf(cluster, ns, "both"), [], "no half-assigned Service");
}

describe("dual-stack", () => {
  it("RequireDualStack gets both families or nothing; PreferDualStack takes what it can now", async () => {
    await dualStackWaiting(suite.cluster, "dual-wait", "10.30.0.0/24");
  });

  it("serves the waiting families as soon as a pool of that family appears, in ipFamilies order", async () => {
    const { cluster } = suite;
    const ns = "dual-appear";
    await dualStackWaiting(cluster, ns, "10.32.0.0/24");
    await createDualStack(cluster, ns, "v6-first", "RequireDualStack", ["IPv6", "IPv4"]);
    await createPool(cluster, `${ns}-v6`, {
      cidr: "2001:db8:32::/120",
      namespaceSelector: onlyNamespace(ns),
    });
    await waitIngress(cluster, ns, "both", ["10.32.0.1", "2001:db8:32::"]);
    await waitIngress(cluster, ns, "prefer", ["10.32.0.0", "2001:db8:32::1"]);
    await waitIngress(cluster, ns, "v6-first", ["2001:db8:32::2", "10.32.0.2"]);
    // Both addresses came in one status write: one Event says so.
    const allocated = await waitFor(
      async () =>
        (
          await cluster.core.listNamespacedEvent({
            namespace: ns,
            fieldSelector: "involvedObject.name=both,reason=IPAllocated",
          })
        ).items,
      (events) => events.length > 0,
      "both's IPAllocated Event",
    );
    assert.deepEqual(
      allocated.map((event) => event.message),
      ["Assigned 10.32.0.1 from pool dual-appear-v4, 2001:db8:32:: from pool dual-appear-v6"],
    );
  });

  it("SingleStack serves the first family only", async () => {
    const { cluster } = suite;
    const ns = "dual-single";
    await isolatedNamespace(cluster, ns, {
      [`${ns}-v4`]: { cidr: "10.33.0.0/24" },
      [`${ns}-v6`]: { cidr: "2001:db8:33::/120" },
    });
    await createDualStack(cluster, ns, "only6", "SingleStack", ["IPv6"]);
    await waitIngress(cluster, ns, "only6", ["2001:db8:33::"]);
  });
});
