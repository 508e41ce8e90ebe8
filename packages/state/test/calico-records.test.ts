// calico-records.ts: what Calico's own LoadBalancer controller recorded in its IPAM blocks
// (behaviour.md "Calico clusters") is its Service's, through the one decision path the
// controller and the plugin use (ledgerDecisionInput, reconcileNow, rebuildLedger).
import assert from "node:assert/strict";
import { it } from "node:test";
import { parseAddress, runAllocatorTask } from "@lbipam/allocator";
import { type CalicoRecord, calicoServiceHandle, type Service } from "@lbipam/api";
import { forgetRecords, Ledger, rebuildLedger, recordedByPool, syncBlockRecords } from "../src/index.js";
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

it("one address in two blocks stays out of use until neither records it; two blocks naming two Services give it to neither", () => {
  const cluster = new TestCluster([ippool("lb", "10.80.0.0/30", { blockSize: 30 })]);
  const a = parseAddress("10.80.0.0");
  syncBlockRecords(cluster.ledger, cluster.registry, "one", [record("10.80.0.0", "shop/gone", "u1", "one")]);
  syncBlockRecords(cluster.ledger, cluster.registry, "two", [record("10.80.0.0", "shop/gone", "u1", "two")]);
  assert.deepEqual(
    syncBlockRecords(cluster.ledger, cluster.registry, "two", []).freed,
    [],
    "block one still records it",
  );
  assert.ok(cluster.poolSet.get("lb")!.isAllocated(a.value));
  assert.equal(
    syncBlockRecords(cluster.ledger, cluster.registry, "one", []).freed.length,
    1,
    "neither records it now",
  );
  assert.ok(!cluster.poolSet.get("lb")!.isAllocated(a.value));

  syncBlockRecords(cluster.ledger, cluster.registry, "one", [record("10.80.0.0", "shop/x", "ux", "one")]);
  syncBlockRecords(cluster.ledger, cluster.registry, "two", [record("10.80.0.0", "shop/y", "uy", "two")]);
  cluster.setService(withUid(lbService("shop/x", { created: 1 }), "ux"));
  cluster.setService(withUid(lbService("shop/y", { created: 2 }), "uy"));
  cluster.settle();
  assert.deepEqual([cluster.ips("shop/x"), cluster.ips("shop/y")], [["10.80.0.1"], ["10.80.0.2"]]);
});

it("a record that moves to another Service moves the address: the Service lbipam gave it to is given another", () => {
  const cluster = new TestCluster([ippool("lb", "10.80.0.0/30", { blockSize: 30 })]);
  cluster.setService(withUid(lbService("shop/first", { created: 1 }), "u1"));
  cluster.setService(withUid(lbService("shop/second", { created: 2 }), "u2"));
  cluster.settle();
  assert.deepEqual(cluster.ips("shop/first"), ["10.80.0.0"]);
  const change = syncBlockRecords(cluster.ledger, cluster.registry, "blk", [
    record("10.80.0.0", "shop/second", "u2"),
  ]);
  assert.deepEqual(change.heldByOthers, [
    { address: "10.80.0.0", recordedFor: "shop/second", holder: "shop/first" },
  ]);
  assert.deepEqual(change.services.sort(), ["shop/first", "shop/second"]);
  cluster.settle();
  assert.deepEqual(cluster.ips("shop/first"), ["10.80.0.2"]);
  assert.deepEqual(
    cluster.ips("shop/second"),
    ["10.80.0.1"],
    "it keeps what it shows; the record holds 10.80.0.0 for it",
  );
  assert.ok(cluster.poolSet.get("lb")!.isAllocated(parseAddress("10.80.0.0").value));
});

it("an address recorded for one Service is shared with no other, whatever their sharing key", () => {
  const cluster = new TestCluster([ippool("lb", "10.80.0.0/30", { blockSize: 30 })]);
  syncBlockRecords(cluster.ledger, cluster.registry, "blk", [record("10.80.0.0", "shop/x", "ux")]);
  const key = { "lbipam.io/sharing-key": "k" };
  cluster.setService(withUid(lbService("shop/x", { created: 1, annotations: key, ports: ["TCP/80"] }), "ux"));
  cluster.setService(withUid(lbService("shop/y", { created: 2, annotations: key, ports: ["TCP/81"] }), "uy"));
  cluster.settle();
  assert.deepEqual(cluster.ips("shop/x"), ["10.80.0.0"]);
  assert.notDeepEqual(cluster.ips("shop/y"), ["10.80.0.0"]);
  assert.ok(!cluster.ledger.share("shop/y", parseAddress("10.80.0.0")));
});

it("a Service created again under a recorded name (another UID) is not given the earlier one's address, even while the ledger still holds it for the name", () => {
  const cluster = new TestCluster([ippool("lb", "10.80.0.0/30", { blockSize: 30 })]);
  syncBlockRecords(cluster.ledger, cluster.registry, "blk", [record("10.80.0.0", "shop/web", "u-old")]);
  cluster.setService(withUid(lbService("shop/web", { created: 1 }), "u-old"));
  cluster.settle();
  assert.deepEqual(cluster.ips("shop/web"), ["10.80.0.0"]);
  // Deleted and created again, the two seen as one change: the ledger still holds 10.80.0.0 for shop/web.
  cluster.setService(withUid(lbService("shop/web", { created: 2, ingress: [{ ip: "10.80.0.0" }] }), "u-new"));
  cluster.settle();
  assert.deepEqual(cluster.ips("shop/web"), ["10.80.0.1"]);
  assert.ok(cluster.poolSet.get("lb")!.isAllocated(parseAddress("10.80.0.0").value), "held out of use");
});

it("forgetting every record (standing by) gives back only what nobody else holds", () => {
  const cluster = new TestCluster([ippool("lb", "10.80.0.0/30", { blockSize: 30 })]);
  syncBlockRecords(cluster.ledger, cluster.registry, "blk", [
    record("10.80.0.0", "shop/gone", "u0"),
    record("10.80.0.1", "shop/web", "u1"),
  ]);
  cluster.setService(withUid(lbService("shop/web"), "u1"));
  cluster.settle();
  forgetRecords(cluster.ledger, cluster.poolSet);
  assert.deepEqual([...cluster.ledger.records()], []);
  const pool = cluster.poolSet.get("lb")!;
  assert.deepEqual(
    [pool.isAllocated(parseAddress("10.80.0.0").value), pool.isAllocated(parseAddress("10.80.0.1").value)],
    [false, true],
  );
});

it("a Service asking by annotation for the address recorded for it gets it at once, though it shows another", () => {
  const cluster = new TestCluster([ippool("lb", "10.80.0.0/30", { blockSize: 30 })]);
  cluster.setService(withUid(lbService("shop/web"), "u1"));
  cluster.settle();
  assert.deepEqual(cluster.ips("shop/web"), ["10.80.0.0"]);
  syncBlockRecords(cluster.ledger, cluster.registry, "blk", [record("10.80.0.1", "shop/web", "u1")]);
  const asks = lbService("shop/web", {
    annotations: { "projectcalico.org/loadBalancerIPs": '["10.80.0.1"]' },
  });
  cluster.setService(withUid({ ...asks, status: cluster.services.get("shop/web")!.status }, "u1"));
  cluster.reconcile("shop/web");
  assert.deepEqual(cluster.ips("shop/web"), ["10.80.0.1"], "in one reconcile");
  assert.equal(cluster.reason("shop/web"), "Allocated");
});

it("a Service being deleted, or with a malformed annotation, takes nothing new: not even its recorded address", () => {
  const cluster = new TestCluster([ippool("lb", "10.80.0.0/30", { blockSize: 30 })]);
  syncBlockRecords(cluster.ledger, cluster.registry, "blk", [
    record("10.80.0.0", "shop/leaving", "u1"),
    record("10.80.0.1", "shop/typo", "u2"),
  ]);
  const leaving = withUid(lbService("shop/leaving"), "u1");
  cluster.setService({
    ...leaving,
    metadata: { ...leaving.metadata, deletionTimestamp: "2026-02-01T00:00:00Z" },
  });
  cluster.setService(
    withUid(lbService("shop/typo", { annotations: { "projectcalico.org/ipv4pools": "not json" } }), "u2"),
  );
  cluster.settle();
  assert.deepEqual([cluster.ips("shop/leaving"), cluster.ips("shop/typo")], [[], []]);
  assert.deepEqual(
    [cluster.reason("shop/leaving"), cluster.reason("shop/typo")],
    ["ServiceTerminating", "InvalidAnnotation"],
  );
  assert.deepEqual(cluster.held(), [], "the ledger holds nothing for them");
});

it("a block's new record of an address replaces its earlier one in every index, whoever either names", () => {
  const ledger = new Ledger();
  ledger.record(record("10.80.0.0", "shop/x", "ux"));
  ledger.record(record("10.80.0.0", "shop/y", "uy"));
  assert.deepEqual(ledger.recordsFor("shop/x"), []);
  assert.ok(!ledger.hasRecordsFor("shop/x"));
  assert.deepEqual(
    ledger.recordsAt(parseAddress("10.80.0.0")).map((r) => r.service),
    ["shop/y"],
  );
  assert.deepEqual(
    ledger.recordsInBlock("blk").map((r) => r.service),
    ["shop/y"],
  );
});
