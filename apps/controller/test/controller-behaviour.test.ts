// behaviour.md, bullet by bullet, over the embedded API server and the real
// client-node (and the real kubectl where a user would type the step).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
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

const NS = "behaviour";
const CONDITION = "projectcalico.org/LoadBalancerIPAllocated";

let cluster: TestCluster;
let controller: Controller;
let kubeconfigFile: string;

before(async () => {
  cluster = await startCluster();
  kubeconfigFile = cluster.kubeconfigFile;
  await cluster.core.createNamespace({ body: { metadata: { name: NS } } });
  await createPool(cluster, "auto-small", { cidr: "10.1.0.0/30", blockSize: 30 });
  await createPool(cluster, "manual", { cidr: "10.2.0.0/29", blockSize: 29, assignmentMode: "Manual" });
  controller = startController(cluster);
  await controller.start();
});
after(async () => {
  await controller?.stop();
  await cluster?.stop();
});

const ips = (name: string) => ingressOf(cluster, NS, name);
const waitIps = (name: string, expected: string[]) =>
  waitFor(
    () => ips(name),
    (got) => JSON.stringify(got) === JSON.stringify(expected),
    `${name} to show ${expected}`,
  );

async function conditionOf(name: string) {
  const service = await cluster.core.readNamespacedServiceStatus({ namespace: NS, name });
  return service.status?.conditions?.find((c) => c.type === CONDITION);
}

async function waitCondition(name: string, status: string, reason: string) {
  return waitFor(
    () => conditionOf(name),
    (c) => c?.status === status && c.reason === reason,
    `${name} condition ${status}/${reason}`,
  );
}

async function eventsOf(name: string) {
  const list = await cluster.core.listNamespacedEvent({
    namespace: NS,
    fieldSelector: `involvedObject.name=${name}`,
  });
  return list.items;
}

describe("behaviour.md over the embedded API server", () => {
  it("waits on exhaustion, visibly, and is served as soon as an address frees, oldest first", async () => {
    for (const name of ["s1", "s2", "s3", "s4"]) {
      await cluster.core.createNamespacedService({ namespace: NS, body: loadBalancer(name) });
    }
    await waitIps("s4", ["10.1.0.3"]);
    // s5 is the older: created first, and by name when both land in the same second (byAge).
    await cluster.core.createNamespacedService({ namespace: NS, body: loadBalancer("s5") });
    await cluster.core.createNamespacedService({ namespace: NS, body: loadBalancer("s6") });
    const waiting = await waitCondition("s5", "False", "PoolExhausted");
    assert.match(waiting!.message ?? "", /auto-small/);
    await waitCondition("s6", "False", "PoolExhausted");
    const warnings = await waitFor(
      () => eventsOf("s5"),
      (events) => events.some((e) => e.reason === "AllocationFailed" && e.type === "Warning"),
      "an AllocationFailed Warning on s5",
    );
    assert.ok(warnings.length >= 1);
    await cluster.core.deleteNamespacedService({ namespace: NS, name: "s2" });
    await waitIps("s5", ["10.1.0.1"]);
    assert.deepEqual(await ips("s6"), [], "the younger Service still waits");
    await waitCondition("s5", "True", "Allocated");
  });

  it("gives a Service exactly the address it asks for, and makes the next one wait for it", async () => {
    const ask = { annotations: { "projectcalico.org/loadBalancerIPs": '["10.2.0.5"]' } };
    await cluster.core.createNamespacedService({ namespace: NS, body: loadBalancer("fixed-a", ask) });
    await waitIps("fixed-a", ["10.2.0.5"]);
    await cluster.core.createNamespacedService({ namespace: NS, body: loadBalancer("fixed-b", ask) });
    await waitCondition("fixed-b", "False", "RequestedIPInUse");
    await cluster.core.deleteNamespacedService({ namespace: NS, name: "fixed-a" });
    await waitIps("fixed-b", ["10.2.0.5"]);
  });

  // Named after s6 so that, created in the same second, it is the younger by the tie-break on name.
  it("serves a Manual pool only by annotation, and releases its address when the annotation goes", async () => {
    const body = loadBalancer("u-by-pool", { annotations: { "projectcalico.org/ipv4pools": '["manual"]' } });
    await cluster.core.createNamespacedService({ namespace: NS, body });
    await waitIps("u-by-pool", ["10.2.0.0"]);
    await cluster.core.patchNamespacedService(
      {
        namespace: NS,
        name: "u-by-pool",
        body: { metadata: { annotations: { "projectcalico.org/ipv4pools": null } } },
      },
      mergePatch,
    );
    // The automatic pool is full (s6 waits for it too), so the Service waits.
    await waitCondition("u-by-pool", "False", "PoolExhausted");
    assert.deepEqual(await ips("u-by-pool"), []);
  });

  it("reports a malformed annotation on that Service only", async () => {
    const body = loadBalancer("bad", { annotations: { "projectcalico.org/ipv4pools": "not json" } });
    await cluster.core.createNamespacedService({ namespace: NS, body });
    const condition = await waitCondition("bad", "False", "InvalidAnnotation");
    assert.match(condition!.message ?? "", /projectcalico\.org\/ipv4pools/);
    await waitFor(
      () => eventsOf("bad"),
      (events) => events.some((e) => e.reason === "InvalidAnnotation" && e.type === "Warning"),
      "an InvalidAnnotation Warning",
    );
    assert.deepEqual(await ips("s1"), ["10.1.0.0"], "other Services keep their addresses");
  });

  it("never touches a Service of another load balancer class", async () => {
    const body = loadBalancer("other-class", { spec: { loadBalancerClass: "example.com/other" } });
    await cluster.core.createNamespacedService({ namespace: NS, body });
    // The next Service is handled after it; once that one is served, other-class has been seen.
    await cluster.core.createNamespacedService({
      namespace: NS,
      body: loadBalancer("marker", { annotations: { "projectcalico.org/loadBalancerIPs": '["10.2.0.6"]' } }),
    });
    await waitIps("marker", ["10.2.0.6"]);
    const service = await cluster.core.readNamespacedServiceStatus({ namespace: NS, name: "other-class" });
    assert.equal(service.status?.loadBalancer?.ingress, undefined);
    assert.equal(service.status?.conditions, undefined);
  });

  it("releases the address of a Service whose type changes away from LoadBalancer", async () => {
    await cluster.core.patchNamespacedService(
      { namespace: NS, name: "s1", body: { spec: { type: "ClusterIP" } } },
      mergePatch,
    );
    await waitIps("s1", []);
    assert.equal(await conditionOf("s1"), undefined);
    // Its address goes to the oldest waiting Service.
    await waitIps("s6", ["10.1.0.0"]);
  });

  it("switches to RequestedServicesOnly with the upstream kubectl patch (with --type merge) and back", async () => {
    // Asynchronously: the API server runs in this process and must keep answering.
    const patch = async (mode: string) => {
      const { stdout } = await promisify(execFile)(
        "kubectl",
        [
          "--kubeconfig",
          kubeconfigFile,
          "patch",
          "kubecontrollersconfiguration",
          "default",
          "--type",
          "merge",
          "--patch",
          `{"spec": {"controllers":{"loadBalancer":{"AssignIPs": "${mode}"}}}}`,
        ],
        { encoding: "utf8" },
      );
      return stdout;
    };
    assert.match(await patch("RequestedServicesOnly"), /patched/);
    await waitIps("s3", []);
    assert.deepEqual(await ips("fixed-b"), ["10.2.0.5"], "a Service that asks keeps its address");
    assert.match(await patch("AllServices"), /patched/);
    await waitFor(
      () => ips("s3"),
      (got) => got.length === 1,
      "s3 served again",
    );
  });
});
