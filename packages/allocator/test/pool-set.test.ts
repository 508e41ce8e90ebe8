import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DuplicatePoolError,
  InvalidPoolError,
  PoolSet,
  parseAddress,
  parseCidr,
  UnknownPoolError,
} from "../src/index.js";

const find = (set: PoolSet, text: string) => {
  const { family, value } = parseAddress(text);
  return set.find(family, value)?.name;
};

describe("PoolSet", () => {
  it("finds the pool of an address among many", () => {
    const set = new PoolSet();
    for (let i = 0; i < 200; i++) set.add({ name: `v4-${i}`, cidr: `10.${i}.0.0/24` });
    set.add({ name: "v6", cidr: "2001:db8::/64" });
    assert.equal(find(set, "10.0.0.0"), "v4-0");
    assert.equal(find(set, "10.137.0.255"), "v4-137");
    assert.equal(find(set, "10.199.0.17"), "v4-199");
    assert.equal(find(set, "10.200.0.1"), undefined);
    assert.equal(find(set, "10.5.1.0"), undefined);
    assert.equal(find(set, "2001:db8::ffff"), "v6");
    assert.equal(find(set, "2001:db9::"), undefined);
  });

  it("lets the older of two overlapping pools serve, whichever contains the other", () => {
    const set = new PoolSet();
    set.add({ name: "small-old", cidr: "10.0.1.0/24", createdAt: 1 });
    set.add({ name: "big-new", cidr: "10.0.0.0/16", createdAt: 2 });
    set.add({ name: "inside-newer", cidr: "10.0.1.128/25", createdAt: 3 });
    assert.equal(set.overlappedBy("big-new"), "small-old");
    assert.equal(set.overlappedBy("inside-newer"), "small-old");
    assert.equal(set.isServing("small-old"), true);
    assert.equal(set.isServing("big-new"), false);
    assert.equal(find(set, "10.0.1.200"), "small-old");
    assert.equal(find(set, "10.0.2.1"), undefined);

    set.remove("small-old");
    assert.equal(set.isServing("big-new"), true);
    assert.equal(set.overlappedBy("inside-newer"), "big-new");
    assert.equal(find(set, "10.0.1.200"), "big-new");
  });

  it("breaks an age tie by name", () => {
    const set = new PoolSet();
    set.add({ name: "b", cidr: "10.0.0.0/24", createdAt: 5 });
    set.add({ name: "a", cidr: "10.0.0.0/25", createdAt: 5 });
    assert.equal(set.overlappedBy("b"), "a");
  });

  it("does not mix families", () => {
    const set = new PoolSet();
    set.add({ name: "v4", cidr: "0.0.0.0/8" });
    set.add({ name: "v6", cidr: "::/104" });
    assert.equal(set.isServing("v4"), true);
    assert.equal(set.isServing("v6"), true);
  });

  it("applies reservations to existing and later pools", () => {
    const set = new PoolSet();
    const a = set.add({ name: "a", cidr: "10.0.0.0/24" });
    set.setReservations([parseCidr("10.0.0.0/25"), parseCidr("10.0.1.0/31")]);
    const b = set.add({ name: "b", cidr: "10.0.1.0/24" });
    assert.equal(a.format(a.allocate()!), "10.0.0.128");
    assert.equal(b.format(b.allocate()!), "10.0.1.2");
  });

  it("lists pools by name and refuses duplicates, unknown names and bad pools", () => {
    const set = new PoolSet();
    set.add({ name: "z", cidr: "10.0.0.0/24" });
    set.add({ name: "a", cidr: "10.0.1.0/24" });
    assert.deepEqual(
      set.list().map((p) => p.name),
      ["a", "z"],
    );
    assert.throws(() => set.add({ name: "a", cidr: "10.0.2.0/24" }), DuplicatePoolError);
    assert.throws(() => set.remove("nope"), UnknownPoolError);
    assert.throws(() => set.add({ name: "bad", cidr: "10.0.0.1/24" }), InvalidPoolError);
    assert.equal(set.get("bad"), undefined);
  });
});
