// Single decisions where the exact answer matters more than the end state.
import assert from "node:assert/strict";
import { it } from "node:test";
import { ANNOTATION_IPV4_POOLS, ANNOTATION_LOADBALANCER_IPS, decide, desiredIngress } from "@lbipam/api";
import { ippool, lbService, TestCluster } from "./helpers/cluster.js";

const A = ippool("a-pool", "10.0.0.0/30", { blockSize: 30 });
const B = ippool("b-pool", "10.0.1.0/30", { blockSize: 30 });
const MANUAL = ippool("m-pool", "10.0.2.0/30", { blockSize: 30, assignmentMode: "Manual" });

it("keeps an existing ingress entry as it is (text and extra fields), so an unchanged status compares equal", () => {
  const cluster = new TestCluster([A]);
  const service = lbService("ns/s", { ingress: [{ hostname: "h" }] });
  service.status!.loadBalancer!.ingress = [{ hostname: "h" }, { ip: "10.0.0.1", ipMode: "VIP" }];
  cluster.setService(service);
  cluster.hold("ns/s", "10.0.0.1");
  const decision = cluster.decideFor("ns/s");
  assert.deepEqual(decision.families, [{ family: 4, action: "keep", address: "10.0.0.1" }]);
  assert.deepEqual(desiredIngress(service, decision, ["10.0.0.1"]), [
    { ip: "10.0.0.1", ipMode: "VIP" },
    { hostname: "h" },
  ]);
});

it("an unmanaged Service gives back only what it holds; other status entries stay", () => {
  const cluster = new TestCluster([A]);
  cluster.setService(
    lbService("ns/s", { type: "NodePort", ingress: [{ ip: "10.0.0.1" }, { ip: "10.0.0.2" }] }),
  );
  cluster.hold("ns/s", "10.0.0.1");
  const decision = cluster.decideFor("ns/s");
  assert.equal(decision.managed, false);
  assert.match(decision.unmanagedReason!, /spec\.type is NodePort/);
  assert.deepEqual(decision.release, ["10.0.0.1"]);
  assert.deepEqual(decision.foreignIngress, [{ ip: "10.0.0.2" }]);
  assert.equal(decision.condition, undefined);
});

it("reports a status address held by another Service as lost, and takes another", () => {
  const cluster = new TestCluster([A]);
  cluster.setService(lbService("ns/young", { ingress: [{ ip: "10.0.0.0" }] }));
  cluster.hold("ns/old", "10.0.0.0");
  const decision = cluster.decideFor("ns/young");
  assert.deepEqual(decision.lost, [{ address: "10.0.0.0", holder: "ns/old" }]);
  assert.deepEqual(decision.families, [{ family: 4, action: "allocate", pools: ["a-pool"] }]);
  assert.deepEqual(decision.foreignIngress, []);
});

it("adopts a status address nobody holds yet (restart) by claiming it", () => {
  const cluster = new TestCluster([A]);
  cluster.setService(lbService("ns/s", { ingress: [{ ip: "10.0.0.3" }] }));
  assert.deepEqual(cluster.decideFor("ns/s").families, [
    { family: 4, action: "claim", address: "10.0.0.3", pool: "a-pool" },
  ]);
});

it("keeps an asked-for address the Service already holds even before its status shows it", () => {
  const cluster = new TestCluster([A]);
  cluster.setService(lbService("ns/s", { annotations: { [ANNOTATION_LOADBALANCER_IPS]: '["10.0.0.2"]' } }));
  cluster.hold("ns/s", "10.0.0.2");
  assert.deepEqual(cluster.decideFor("ns/s").families, [{ family: 4, action: "keep", address: "10.0.0.2" }]);
});

it("claims an asked-for address in a Manual pool", () => {
  const cluster = new TestCluster([MANUAL]);
  cluster.setService(lbService("ns/s", { annotations: { [ANNOTATION_LOADBALANCER_IPS]: '["10.0.2.1"]' } }));
  assert.deepEqual(cluster.decideFor("ns/s").families, [
    { family: 4, action: "claim", address: "10.0.2.1", pool: "m-pool" },
  ]);
});

it("offers only named pools with room, in annotation order, and says why when none can serve", () => {
  const cluster = new TestCluster([A, B]);
  const annotated = lbService("ns/s", { annotations: { [ANNOTATION_IPV4_POOLS]: '["b-pool", "a-pool"]' } });
  cluster.setService(annotated);
  assert.deepEqual(cluster.decideFor("ns/s").families, [
    { family: 4, action: "allocate", pools: ["b-pool", "a-pool"] },
  ]);
  assert.equal(cluster.poolSet.get("b-pool")!.allocateMany(4).length, 4);
  assert.deepEqual(cluster.decideFor("ns/s").families, [
    { family: 4, action: "allocate", pools: ["a-pool"] },
  ]);
  assert.equal(cluster.poolSet.get("a-pool")!.allocateMany(4).length, 4);
  const full = cluster.decideFor("ns/s");
  assert.equal(full.condition?.reason, "PoolExhausted");
  assert.match(full.condition!.message, /no free IPv4 address in b-pool, a-pool/);

  const disabled = new TestCluster([
    ippool("a-pool", "10.0.0.0/30", { blockSize: 30, disabled: true }),
    ippool("b-pool", "10.0.1.0/30", { blockSize: 30, disabled: true }),
  ]);
  disabled.setService(annotated);
  assert.equal(disabled.decideFor("ns/s").condition?.reason, "PoolDisabled");

  const mixed = new TestCluster([
    ippool("a-pool", "10.0.0.0/30", { blockSize: 30, disabled: true }),
    ippool("b-pool", "10.0.1.0/30", { blockSize: 30, namespaceSelector: "has(x)" }),
  ]);
  mixed.setService(annotated);
  const condition = mixed.decideFor("ns/s").condition!;
  assert.equal(condition.reason, "NoPool");
  assert.match(condition.message, /pool b-pool does not serve namespace ns; pool a-pool is disabled/);
});

it("answers the same for the same input and leaves the input alone", () => {
  const cluster = new TestCluster([A]);
  const service = Object.freeze(lbService("ns/s", { ingress: [{ ip: "10.0.0.1" }] }));
  const input = {
    service,
    namespaceLabels: {},
    pools: cluster.views,
    poolSet: cluster.poolSet,
    config: cluster.config,
    holderOf: cluster.ledger.holderSeenBy("ns/s"),
    sharing: cluster.ledger,
  };
  assert.deepEqual(decide(input), decide(input));
  assert.equal(cluster.poolSet.get("a-pool")!.counts().allocated, 0);
});
