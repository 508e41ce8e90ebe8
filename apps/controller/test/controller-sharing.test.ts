// Sharing one address by lbipam.io/sharing-key, through the embedded API
// server and the running controller (the rules themselves, one by one, are
// packages/state/test/sharing.test.ts). Each test has its own namespace and
// pools, so any one runs alone.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  conditionOf,
  createService,
  ingressOf,
  isolatedNamespace,
  runningController,
  waitEvent,
  waitIngress,
  waitReason,
} from "./helpers/cluster.js";

const suite = runningController();
const KEY = "lbipam.io/sharing-key";
const IPS = "projectcalico.org/loadBalancerIPs";
const ports = (...list: [number, string][]) => ({
  spec: {
    ports: list.map(([port, protocol]) => ({ port, protocol, name: `${protocol.toLowerCase()}-${port}` })),
  },
});

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
});
