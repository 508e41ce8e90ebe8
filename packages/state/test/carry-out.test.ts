// The one order of a reconcile (carry-out.ts): take, write, then release.
import assert from "node:assert/strict";
import { it } from "node:test";
import { formatAddress, parseAddress } from "@lbipam/allocator";
import { reconcileNow } from "../src/index.js";
import { ippool, lbService, TestCluster } from "./helpers/cluster.js";

/** A Service showing 10.0.0.0 of pool `old`, whose annotation now names pool `new`. */
function moving() {
  const cluster = new TestCluster([
    ippool("old", "10.0.0.0/30", { blockSize: 30 }),
    ippool("new", "10.0.1.0/30", { blockSize: 30 }),
  ]);
  cluster.setService(
    lbService("ns/moving", {
      annotations: { "projectcalico.org/ipv4pools": '["new"]' },
      ingress: [{ ip: "10.0.0.0" }],
    }),
  );
  cluster.hold("ns/moving", "10.0.0.0");
  return cluster;
}

it("writes the new address while the old one is still held, and releases the old one only after the write", () => {
  const cluster = moving();
  const key = "ns/moving";
  const decision = cluster.decideFor(key);
  assert.deepEqual(decision.release, ["10.0.0.0"]);
  const old = parseAddress("10.0.0.0");
  const seen: string[] = [];
  const { released, carried } = reconcileNow(
    key,
    cluster.services.get(key)!,
    decision,
    cluster.ledger,
    cluster.poolSet,
    ({ ingress }) => {
      seen.push(ingress.map((entry) => entry.ip).join(","));
      assert.equal(
        cluster.ledger.holderOf(old),
        key,
        "during the write the old address is still this Service's",
      );
      assert.equal(cluster.poolSet.get("old")!.isAllocated(old.value), true);
    },
  );
  assert.deepEqual(seen, ["10.0.1.0"]);
  assert.deepEqual(carried.addresses, ["10.0.1.0"]);
  assert.deepEqual(
    released.map((r) => [formatAddress(r.address.family, r.address.value), r.pool]),
    [["10.0.0.0", "old"]],
  );
  assert.equal(cluster.ledger.holderOf(old), undefined);
  assert.equal(cluster.poolSet.get("old")!.isAllocated(old.value), false);
});

it("a write that fails leaves what the Service gave up held, for the retry", () => {
  const cluster = moving();
  const key = "ns/moving";
  const decision = cluster.decideFor(key);
  assert.throws(
    () =>
      reconcileNow(key, cluster.services.get(key)!, decision, cluster.ledger, cluster.poolSet, () => {
        throw new Error("409 Conflict");
      }),
    /409/,
  );
  assert.equal(cluster.ledger.holderOf(parseAddress("10.0.0.0")), key, "still held");
  assert.equal(cluster.ledger.holderOf(parseAddress("10.0.1.0")), key, "the new one too: the retry keeps it");
});
