// calico-records.ts: what Calico's own LoadBalancer controller recorded in its IPAM blocks
// (behaviour.md "Calico clusters") is its Service's, through the one decision path the
// controller and the plugin use (ledgerDecisionInput, reconcileNow, rebuildLedger).
import assert from "node:assert/strict";
import { it } from "node:test";
import { parseAddress, runAllocatorTask } from "@lbipam/allocator";
import { type CalicoRecord, calicoServiceHandle, type Service } from "@lbipam/api";
import { Ledger, rebuildLedger, recordedByPool, syncBlockRecords } from "../src/index.js";
import { ippool, lbService, TestCluster } from "./helpers/cluster.js";

function withUid(service: Service, uid: string): Service {
  return { ...service, metadata: { ...service.metadata, uid } };
}

/** What a block records for the Service `key` of that UID. */
function record(text: string, key: string, uid: string, block = "blk"): CalicoRecord {
  const [namespace = "", name = ""] = key.split("/");
  return {
    address: parseAddress(text),
    text,
    service: key,
    handle: calicoServiceHandle({ name, namespace, uid }),
    block,
  };
}

it("a recorded address is its Service's: given to it when it shows none, never to another (nor to a new Service of the same name), out of use after its Service is gone, free once the block no longer records it", () => {
  const cluster = new TestCluster([ippool("lb", "10.80.0.0/30", { blockSize: 30 })]);
  const recorded = [
    record("10.80.0.0", "shop/gone", "uid-gone"),
    record("10.80.0.1", "shop/unshown", "uid-1"),
  ];
  const first = syncBlockRecords(cluster.ledger, cluster.registry, "blk", recorded);
  assert.deepEqual(first.services.sort(), ["shop/gone", "shop/unshown"]);
  cluster.setService(withUid(lbService("shop/unshown", { created: 1 }), "uid-1"));
  cluster.setService(withUid(lbService("shop/a", { created: 2 }), "uid-a"));
  cluster.setService(withUid(lbService("shop/b", { created: 3 }), "uid-b"));
  cluster.setService(withUid(lbService("shop/c", { created: 4 }), "uid-c"));
  // A Service of the gone one's name, created again (another UID).
  cluster.setService(withUid(lbService("shop/gone", { created: 5 }), "uid-new"));
  cluster.settle();
  const steps: [string, () => void, Record<string, string[]>][] = [
    [
      "at first",
      () => {},
      {
        "shop/unshown": ["10.80.0.1"],
        "shop/a": ["10.80.0.2"],
        "shop/b": ["10.80.0.3"],
        "shop/c": [],
        "shop/gone": [],
      },
    ],
    [
      "the Service it was recorded for deleted: still recorded, still out of use",
      () => cluster.deleteService("shop/unshown"),
      { "shop/a": ["10.80.0.2"], "shop/b": ["10.80.0.3"], "shop/c": [], "shop/gone": [] },
    ],
    [
      "the block cleaned: both addresses serve the waiting Services, oldest first",
      () => {
        const cleaned = syncBlockRecords(cluster.ledger, cluster.registry, "blk", []);
        assert.deepEqual(
          cleaned.freed.map((a) => a.value),
          [parseAddress("10.80.0.0").value, parseAddress("10.80.0.1").value],
        );
      },
      {
        "shop/a": ["10.80.0.2"],
        "shop/b": ["10.80.0.3"],
        "shop/c": ["10.80.0.0"],
        "shop/gone": ["10.80.0.1"],
      },
    ],
  ];
  for (const [what, step, expected] of steps) {
    step();
    cluster.settle();
    const seen = Object.fromEntries(Object.keys(expected).map((key) => [key, cluster.ips(key)]));
    assert.deepEqual(seen, expected, what);
    assert.equal(cluster.services.has("shop/unshown"), what === "at first", what);
  }
});

it("a recorded address whose Service is gone is shown per pool until lbipam's Service holds it", () => {
  const cluster = new TestCluster([ippool("lb", "10.80.0.0/30", { blockSize: 30 })]);
  syncBlockRecords(cluster.ledger, cluster.registry, "blk", [
    record("10.80.0.0", "shop/gone", "uid-gone"),
    record("10.80.0.1", "shop/web", "uid-web"),
  ]);
  assert.deepEqual(
    recordedByPool(cluster.ledger, cluster.poolSet)
      .get("lb")
      ?.map((r) => `${r.address} ${r.service}`),
    ["10.80.0.0 shop/gone", "10.80.0.1 shop/web"],
  );
  assert.equal(cluster.poolSet.get("lb")!.counts().allocated, 2, "both out of use");
  cluster.setService(withUid(lbService("shop/web"), "uid-web"));
  cluster.settle();
  assert.deepEqual(
    recordedByPool(cluster.ledger, cluster.poolSet)
      .get("lb")
      ?.map((r) => r.address),
    ["10.80.0.0"],
  );
  assert.equal(cluster.poolSet.get("lb")!.counts().allocated, 2, "web's address counted once");
});

it("rebuild: a Service showing what a block records for it keeps it; one showing what a block records for another, or for an earlier Service of its name, loses it; each address is claimed once", () => {
  const cluster = new TestCluster([ippool("lb", "10.80.0.0/29", { blockSize: 29 })]);
  const services = [
    withUid(lbService("shop/own", { created: 1, ingress: [{ ip: "10.80.0.1" }] }), "uid-own"),
    withUid(lbService("shop/thief", { created: 2, ingress: [{ ip: "10.80.0.2" }] }), "uid-thief"),
    withUid(lbService("shop/again", { created: 3, ingress: [{ ip: "10.80.0.3" }] }), "uid-second"),
    withUid(lbService("shop/plain", { created: 4, ingress: [{ ip: "10.80.0.4" }] }), "uid-plain"),
  ];
  const ledger = new Ledger();
  const rebuilt = rebuildLedger(services, cluster.registry, ledger, {
    loadBalancerClass: "calico",
    records: [
      record("10.80.0.1", "shop/own", "uid-own"),
      record("10.80.0.2", "shop/other", "uid-other"),
      record("10.80.0.3", "shop/again", "uid-first"),
    ],
  });
  for (const task of rebuilt.tasks) {
    const claimed = runAllocatorTask(task) as { duplicates: string[] };
    assert.deepEqual(claimed.duplicates, [], "no address claimed twice");
  }
  assert.deepEqual(
    rebuilt.recordedConflicts.map((c) => `${c.address} ${c.lostBy} <- ${c.keptBy}`),
    [
      "10.80.0.2 shop/thief <- shop/other",
      "10.80.0.3 shop/again <- an earlier Service shop/again (another UID)",
    ],
  );
  assert.equal(ledger.holderOf(parseAddress("10.80.0.1")), "shop/own");
  assert.ok(ledger.isHeld(parseAddress("10.80.0.1")));
  assert.ok(!ledger.isHeld(parseAddress("10.80.0.2")), "recorded for another, not held for the thief");
  assert.ok(ledger.isHeld(parseAddress("10.80.0.4")));
  assert.equal(cluster.poolSet.get("lb")!.counts().allocated, 4);
});
