// behaviour.md, bullet by bullet, over the embedded API server and the real
// client-node (and the real kubectl where a user would type the step). Each
// test has its own namespace and pools, so any one runs alone.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  conditionOf,
  createService,
  eventsOf,
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
const manual = (cidr: string) => ({ cidr, blockSize: Number(cidr.split("/")[1]), assignmentMode: "Manual" });
const automatic = (cidr: string) => ({ cidr, blockSize: Number(cidr.split("/")[1]) });

describe("behaviour.md over the embedded API server", () => {
  it("waits on exhaustion, visibly, and is served as soon as an address frees, oldest first", async () => {
    const { cluster } = suite;
    const ns = "exhaustion";
    await isolatedNamespace(cluster, ns, { "exhaustion-auto": automatic("10.1.0.0/30") });
    for (const name of ["s1", "s2", "s3", "s4"]) await createService(cluster, ns, name);
    await waitIngress(cluster, ns, "s4", ["10.1.0.3"]);
    // s5 is the older: created first, and by name when both land in the same second (byAge).
    await createService(cluster, ns, "s5");
    await createService(cluster, ns, "s6");
    const waiting = await waitReason(cluster, ns, "s5", "PoolExhausted", "False");
    assert.match(waiting!.message ?? "", /exhaustion-auto/);
    await waitReason(cluster, ns, "s6", "PoolExhausted", "False");
    await waitEvent(cluster, ns, "s5", "AllocationFailed", "Warning");
    await cluster.core.deleteNamespacedService({ namespace: ns, name: "s2" });
    await waitIngress(cluster, ns, "s5", ["10.1.0.1"]);
    assert.deepEqual(await ingressOf(cluster, ns, "s6"), [], "the younger Service still waits");
    await waitReason(cluster, ns, "s5", "Allocated", "True");
  });

  it("gives a Service exactly the address it asks for, and makes the next one wait for it", async () => {
    const { cluster } = suite;
    const ns = "exact";
    await isolatedNamespace(cluster, ns, { "exact-manual": manual("10.2.0.0/29") });
    const ask = { annotations: { "projectcalico.org/loadBalancerIPs": '["10.2.0.5"]' } };
    await createService(cluster, ns, "fixed-a", ask);
    await waitIngress(cluster, ns, "fixed-a", ["10.2.0.5"]);
    await createService(cluster, ns, "fixed-b", ask);
    await waitReason(cluster, ns, "fixed-b", "RequestedIPInUse", "False");
    await cluster.core.deleteNamespacedService({ namespace: ns, name: "fixed-a" });
    await waitIngress(cluster, ns, "fixed-b", ["10.2.0.5"]);
  });

  it("serves a Manual pool only by annotation, and releases its address when the annotation goes", async () => {
    const { cluster } = suite;
    const ns = "by-annotation";
    await isolatedNamespace(cluster, ns, {
      "by-annotation-manual": manual("10.3.0.0/29"),
      "by-annotation-auto": automatic("10.3.1.0/32"),
    });
    await createService(cluster, ns, "filler");
    await waitIngress(cluster, ns, "filler", ["10.3.1.0"]);
    const pools = { "projectcalico.org/ipv4pools": '["by-annotation-manual"]' };
    await createService(cluster, ns, "by-pool", { annotations: pools });
    await waitIngress(cluster, ns, "by-pool", ["10.3.0.0"]);
    await cluster.core.patchNamespacedService(
      {
        namespace: ns,
        name: "by-pool",
        body: { metadata: { annotations: { "projectcalico.org/ipv4pools": null } } },
      },
      mergePatch,
    );
    // The automatic pool is full, so the Service waits.
    await waitReason(cluster, ns, "by-pool", "PoolExhausted", "False");
    assert.deepEqual(await ingressOf(cluster, ns, "by-pool"), []);
  });

  it("reports a malformed annotation on that Service only", async () => {
    const { cluster } = suite;
    const ns = "malformed";
    await isolatedNamespace(cluster, ns, { "malformed-auto": automatic("10.4.0.0/30") });
    await createService(cluster, ns, "good");
    await waitIngress(cluster, ns, "good", ["10.4.0.0"]);
    await createService(cluster, ns, "bad", { annotations: { "projectcalico.org/ipv4pools": "not json" } });
    const condition = await waitReason(cluster, ns, "bad", "InvalidAnnotation", "False");
    assert.match(condition!.message ?? "", /projectcalico\.org\/ipv4pools/);
    await waitEvent(cluster, ns, "bad", "InvalidAnnotation", "Warning");
    assert.deepEqual(
      await ingressOf(cluster, ns, "good"),
      ["10.4.0.0"],
      "other Services keep their addresses",
    );
    assert.ok(
      (await eventsOf(cluster, ns, "good")).every((e) => e.type !== "Warning"),
      "and get no Warning of their own",
    );
  });

  it("never touches a Service of another load balancer class", async () => {
    const { cluster } = suite;
    const ns = "other-class";
    await isolatedNamespace(cluster, ns, { "other-class-auto": automatic("10.5.0.0/29") });
    await createService(cluster, ns, "other", { spec: { loadBalancerClass: "example.com/other" } });
    // The next Service is handled after it; once that one is served, the other has been seen.
    await createService(cluster, ns, "marker");
    await waitIngress(cluster, ns, "marker", ["10.5.0.0"]);
    const service = await cluster.core.readNamespacedServiceStatus({ namespace: ns, name: "other" });
    assert.equal(service.status?.loadBalancer?.ingress, undefined);
    assert.equal(service.status?.conditions, undefined);
  });

  it("releases the address of a Service whose type changes away from LoadBalancer", async () => {
    const { cluster } = suite;
    const ns = "type-change";
    await isolatedNamespace(cluster, ns, { "type-change-auto": automatic("10.6.0.0/31") });
    for (const name of ["t1", "t2"]) await createService(cluster, ns, name);
    await waitIngress(cluster, ns, "t2", ["10.6.0.1"]);
    await createService(cluster, ns, "t3");
    await waitReason(cluster, ns, "t3", "PoolExhausted");
    await cluster.core.patchNamespacedService(
      { namespace: ns, name: "t1", body: { spec: { type: "ClusterIP" } } },
      mergePatch,
    );
    await waitIngress(cluster, ns, "t1", []);
    assert.equal(await conditionOf(cluster, ns, "t1"), undefined);
    // Its address goes to the waiting Service.
    await waitIngress(cluster, ns, "t3", ["10.6.0.0"]);
  });

  it("switches to RequestedServicesOnly with the upstream kubectl patch (with --type merge) and back", async () => {
    const { cluster } = suite;
    const ns = "requested-only";
    await isolatedNamespace(cluster, ns, {
      "requested-only-auto": automatic("10.7.0.0/30"),
      "requested-only-manual": manual("10.7.1.0/29"),
    });
    await createService(cluster, ns, "plain");
    await createService(cluster, ns, "asks", {
      annotations: { "projectcalico.org/loadBalancerIPs": '["10.7.1.5"]' },
    });
    await waitIngress(cluster, ns, "plain", ["10.7.0.0"]);
    await waitIngress(cluster, ns, "asks", ["10.7.1.5"]);
    const patch = (mode: string) =>
      kubectl(
        cluster,
        "patch",
        "kubecontrollersconfiguration",
        "default",
        "--type",
        "merge",
        "--patch",
        `{"spec": {"controllers":{"loadBalancer":{"AssignIPs": "${mode}"}}}}`,
      );
    assert.match(await patch("RequestedServicesOnly"), /patched/);
    try {
      await waitIngress(cluster, ns, "plain", []);
      assert.deepEqual(
        await ingressOf(cluster, ns, "asks"),
        ["10.7.1.5"],
        "a Service that asks keeps its address",
      );
    } finally {
      assert.match(await patch("AllServices"), /patched/);
    }
    await waitFor(
      () => ingressOf(cluster, ns, "plain"),
      (got) => got.length === 1,
      "plain served again",
    );
  });
});
