// The store and its change window, directly: resourceVersions, past lists, expiry.
import assert from "node:assert/strict";
import { test } from "node:test";
import { GoneError } from "../src/errors.js";
import { ChangeLog } from "../src/storage/changelog.js";
import { firstAfter, listOrderKey } from "../src/storage/list-snapshots.js";
import { Store } from "../src/storage/store.js";

const obj = (name: string, namespace = "", extra: Record<string, unknown> = {}) => ({
  metadata: { name, ...(namespace ? { namespace } : {}) },
  ...extra,
});

test("every put and remove takes the next resourceVersion, shared by all resources", () => {
  const store = new Store({ changeWindow: 100, firstResourceVersion: 10 });
  const a = store.put("services", obj("a", "default"));
  const b = store.put("leases", obj("b", "default"));
  const gone = store.remove("services", "default", "a");
  assert.deepEqual(
    [a, b, gone].map((o) => o?.metadata?.resourceVersion),
    ["11", "12", "13"],
  );
  assert.equal(store.resourceVersion, 13);
  assert.equal(store.remove("services", "default", "a"), undefined);
});

test("list filters by namespace; listAt rebuilds the past from the change window", () => {
  const store = new Store({ changeWindow: 100 });
  store.put("services", obj("a", "ns1", { v: 1 }));
  const before = store.resourceVersion;
  store.put("services", obj("a", "ns1", { v: 2 }));
  store.put("services", obj("b", "ns2"));
  store.remove("services", "ns1", "a");
  assert.deepEqual(
    store.list("services", "ns2").map((o) => o.metadata?.name),
    ["b"],
  );
  assert.deepEqual(store.list("services", "ns1"), []);
  const past = store.listAt("services", "", before);
  assert.deepEqual(
    past.map((o) => [o.metadata?.name, o.v]),
    [["a", 1]],
  );
});

test("changes older than the window are expired: listAt throws Gone", () => {
  const store = new Store({ changeWindow: 3 });
  store.put("leases", obj("x", "default"));
  const early = store.resourceVersion;
  for (let i = 0; i < 5; i++) store.put("leases", obj("x", "default", { i }));
  assert.ok(store.changes.isExpired(early - 1));
  assert.throws(() => store.listAt("leases", "", early - 1), GoneError);
});

const windowCases = [
  { capacity: 2, appended: [1, 2], expiredBelow: 0 },
  { capacity: 2, appended: [1, 2, 3], expiredBelow: 1 },
  { capacity: 2, appended: [1, 2, 3, 4, 5], expiredBelow: 3 },
];

for (const c of windowCases) {
  test(`ChangeLog of ${c.capacity} after ${c.appended.length} changes: versions below ${c.expiredBelow} expire`, () => {
    const log = new ChangeLog(c.capacity);
    for (const rv of c.appended) {
      log.append({
        rv,
        type: "ADDED",
        resourceKey: "r",
        namespace: "",
        name: `o${rv}`,
        object: {},
        previous: undefined,
      });
    }
    assert.equal(log.oldestResumableRv, c.expiredBelow);
    assert.equal(log.isExpired(c.expiredBelow), false);
    if (c.expiredBelow > 0) assert.equal(log.isExpired(c.expiredBelow - 1), true);
    const last = c.appended.at(-1)!;
    assert.deepEqual(
      log.since(c.expiredBelow).map((change) => change.rv),
      c.appended.filter((rv) => rv > c.expiredBelow && rv <= last),
    );
  });
}

test("versions from before the store existed or beyond its newest are not resumable", () => {
  const store = new Store({ changeWindow: 10, firstResourceVersion: 100 });
  store.put("leases", obj("x", "default"));
  assert.equal(store.isExpired(99), true);
  assert.equal(store.isExpired(100), false);
  assert.equal(store.isExpired(101), false);
  assert.equal(store.isExpired(102), true);
  assert.throws(() => store.listAt("leases", "", 99), GoneError);
  assert.throws(() => store.listAt("leases", "", 500), /Too large resource version: 500, current: 101/);
});

const keysOf = (objects: readonly { metadata?: { namespace?: string; name?: string } }[]) =>
  objects.map((o) => listOrderKey(o));

test("sortedListAt gives listAt's objects in namespace/name order, narrowed by a view", () => {
  const store = new Store({ changeWindow: 100 });
  for (const [ns, name] of [
    ["b", "x"],
    ["a-b", "y"],
    ["a", "z"],
    ["a", "c"],
  ] as const)
    store.put("leases", obj(name, ns, { pick: name !== "y" }));
  const at = store.resourceVersion;
  store.put("leases", obj("d", "a"));
  store.remove("leases", "b", "x");
  const all = store.sortedListAt("leases", "", at);
  assert.deepEqual(keysOf(all.objects), ["a-b/y", "a/c", "a/z", "b/x"]);
  assert.deepEqual(new Set(all.objects), new Set(store.listAt("leases", "", at)));
  assert.deepEqual(keysOf(store.sortedListAt("leases", "a", at).objects), ["a/c", "a/z"]);
  const picked = store.sortedListAt("leases", "", at, { id: "pick", matches: (o) => o.pick === true });
  assert.deepEqual(keysOf(picked.objects), ["a/c", "a/z", "b/x"]);
  assert.deepEqual(keysOf(store.sortedListAt("leases", "", store.resourceVersion).objects), [
    "a-b/y",
    "a/c",
    "a/d",
    "a/z",
  ]);
  assert.equal(firstAfter(all.objects, ""), 0);
  assert.equal(firstAfter(all.objects, "a/c"), 2);
  assert.equal(firstAfter(all.objects, "a/d"), 2);
  assert.equal(firstAfter(all.objects, "b/x"), 4);
});

test("sortedListAt reuses kept snapshots, keeps a bounded number, and drops expired ones", () => {
  const store = new Store({ changeWindow: 5, listSnapshots: 2 });
  store.put("leases", obj("a", "default"));
  const first = store.resourceVersion;
  const snapshot = store.sortedListAt("leases", "", first);
  assert.notEqual(store.sortedListAt("leases", "", first), snapshot, "only kept snapshots are reused");
  store.keepSnapshot(snapshot);
  store.put("leases", obj("b", "default"));
  assert.equal(store.sortedListAt("leases", "", first), snapshot);
  assert.equal(store.keptSnapshots, 1);
  const view = { id: "v", matches: () => true };
  store.keepSnapshot(store.sortedListAt("leases", "", store.resourceVersion));
  store.keepSnapshot(store.sortedListAt("leases", "", store.resourceVersion, view));
  assert.equal(store.keptSnapshots, 2);
  // The least recently used one went; it is rebuilt alike.
  const rebuilt = store.sortedListAt("leases", "", first);
  assert.notEqual(rebuilt, snapshot);
  assert.deepEqual(rebuilt.objects, snapshot.objects);
  for (let i = 0; i < 6; i++) store.put("leases", obj("a", "default", { i }));
  assert.throws(() => store.sortedListAt("leases", "", first), GoneError);
  store.keepSnapshot(store.sortedListAt("leases", "", store.resourceVersion));
  assert.equal(store.keptSnapshots, 1, "snapshots at expired versions are dropped");
});
