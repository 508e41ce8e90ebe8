// The shared state both the controller and kubectl-lbipam rebuild from a
// cluster's objects: the ledger, the pool registry and the start-up rebuild.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseAddress, runAllocatorTask } from "@lbipam/allocator";
import type { IPPool, Service } from "@lbipam/api";
import {
  conflictMessage,
  foreignByPool,
  forgetForeign,
  Ledger,
  PoolRegistry,
  REBUILD_PER_STEP,
  rebuildLedger,
  rebuildLedgerInTurns,
  rebuildReading,
  reclaimHoldings,
  showForeign,
} from "../src/index.js";

function pool(name: string, cidr: string, spec: Partial<IPPool["spec"]> = {}): IPPool {
  return {
    apiVersion: "projectcalico.org/v3",
    kind: "IPPool",
    metadata: { name },
    spec: { cidr, allowedUses: ["LoadBalancer"], ...spec },
  };
}

function service(
  key: string,
  created: string,
  ips: string[],
  spec: Partial<NonNullable<Service["spec"]>> = {},
): Service {
  const [namespace, name] = key.split("/");
  return {
    metadata: { namespace: namespace!, name: name!, creationTimestamp: created },
    spec: { type: "LoadBalancer", ...spec },
    status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } },
  };
}

describe("Ledger", () => {
  it("gives an address to one key only, and back only from that key", () => {
    const ledger = new Ledger();
    const a = parseAddress("10.0.0.1");
    assert.equal(ledger.hold("ns/a", a), true);
    assert.equal(ledger.hold("ns/a", a), true, "holding again is a no-op");
    assert.equal(ledger.hold("ns/b", a), false);
    assert.equal(ledger.holderOf(a), "ns/a");
    assert.equal(ledger.release("ns/b", a), false);
    assert.deepEqual(
      ledger.holdings("ns/a").map((h) => h.text),
      ["10.0.0.1"],
    );
    assert.equal(ledger.release("ns/a", a), true);
    assert.equal(ledger.holderOf(a), undefined);
    assert.equal(ledger.size, 0);
    assert.deepEqual([...ledger.keys()], []);
  });

  it("keeps the families apart", () => {
    const ledger = new Ledger();
    ledger.hold("ns/a", parseAddress("0.0.0.1"));
    assert.equal(ledger.holderOf(parseAddress("::1")), undefined);
  });

  it("finds every address of a sharing key however many Services have it, and forgets the key with its last member", () => {
    const ledger = new Ledger();
    const profile = (key: string) => ({
      key,
      namespace: "ns",
      crossNamespaces: [],
      ports: [],
      local: false,
      selector: "",
    });
    const addressesOf = (key: string) => [...ledger.addressesOfKey(key)].map((a) => a.value).sort();
    // 40 members: past the short list a key starts as (ledger.ts, SHORT_MEMBERS), and back.
    const members = Array.from({ length: 40 }, (_, i) => `ns/s${i}`);
    members.forEach((member, i) => {
      ledger.setProfile(member, profile("k"));
      ledger.setProfile(member, profile("k")); // Recorded again at each reconcile: still one member.
      ledger.hold(member, parseAddress(`10.0.0.${i}`));
    });
    assert.equal(addressesOf("k").length, 40);
    members.forEach((member, i) => {
      // Half move to another key, half lose theirs.
      ledger.setProfile(member, i % 2 === 0 ? profile("other") : undefined);
      assert.equal(addressesOf("k").length, 39 - i);
    });
    assert.equal(addressesOf("other").length, 20);
    assert.equal(ledger.profileOf("ns/s1"), undefined);
    // Down to one member, and none.
    members.forEach((member, i) => {
      if (i % 2 === 0) ledger.setProfile(member, undefined);
    });
    assert.deepEqual(addressesOf("other"), []);
    ledger.setProfile("ns/s0", profile("other"));
    assert.deepEqual(addressesOf("other"), [0x0a000000n]);
  });
});

describe("PoolRegistry", () => {
  it("keeps storage across a spec change that keeps the range, and says what each sync changed", () => {
    const registry = new PoolRegistry();
    assert.deepEqual(registry.sync("a", pool("a", "10.0.0.0/24")), {
      changed: true,
      storageReplaced: true,
      cidrBefore: undefined,
      cidrAfter: "10.0.0.0/24",
    });
    const storage = registry.poolSet.get("a");
    assert.ok(storage);
    storage.claim(parseAddress("10.0.0.7").value);
    // The same object again (a status write): nothing changed.
    assert.equal(registry.sync("a", pool("a", "10.0.0.0/24")).changed, false);
    const disabled = registry.sync("a", pool("a", "10.0.0.0/24", { disabled: true }));
    assert.deepEqual([disabled.changed, disabled.storageReplaced], [true, false]);
    assert.equal(registry.poolSet.get("a"), storage);
    assert.equal(registry.views.get("a")?.disabled, true);
    assert.deepEqual(registry.sync("a", pool("a", "10.0.1.0/24")), {
      changed: true,
      storageReplaced: true,
      cidrBefore: "10.0.0.0/24",
      cidrAfter: "10.0.1.0/24",
    });
    assert.equal(registry.poolSet.get("a")?.isAllocated(parseAddress("10.0.1.7").value), false);
    assert.deepEqual(registry.sync("a", undefined), {
      changed: true,
      storageReplaced: true,
      cidrBefore: "10.0.1.0/24",
      cidrAfter: undefined,
    });
    assert.equal(registry.views.has("a"), false);
    assert.equal(registry.poolSet.get("a"), undefined);
  });

  it("reports reservations it cannot read and applies the rest", () => {
    const registry = new PoolRegistry();
    registry.sync("a", pool("a", "10.0.0.0/30", { blockSize: 30 }));
    const problems = registry.setReservations([
      {
        apiVersion: "projectcalico.org/v3",
        kind: "IPReservation",
        metadata: { name: "r" },
        spec: { reservedCIDRs: ["10.0.0.0/31", "not-a-cidr"] },
      },
    ]);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /not-a-cidr/);
    assert.equal(registry.poolSet.get("a")?.counts().free, 2n);
  });
});

describe("rebuildLedger", () => {
  const registry = () => {
    const r = new PoolRegistry();
    r.sync("v4", pool("v4", "10.0.0.0/24"));
    r.sync("v6", pool("v6", "2001:db8::/120"));
    return r;
  };

  it("holds every status address in a pool, the older Service keeping a shared one", () => {
    const r = registry();
    const ledger = new Ledger();
    const result = rebuildLedger(
      [
        service("ns/young", "2026-01-02T00:00:00Z", ["10.0.0.5"]),
        service("ns/old", "2026-01-01T00:00:00Z", ["10.0.0.5", "2001:db8::5"]),
        service("ns/outside", "2026-01-01T00:00:00Z", ["192.0.2.1", "not-an-ip"]),
        service("ns/other-class", "2026-01-01T00:00:00Z", ["10.0.0.9"], { loadBalancerClass: "metallb" }),
        service("ns/cluster-ip", "2026-01-01T00:00:00Z", ["10.0.0.10"], { type: "ClusterIP" }),
      ],
      r,
      ledger,
      { loadBalancerClass: "calico" },
    );
    assert.equal(result.held, 2);
    assert.deepEqual(result.conflicts, [{ address: "10.0.0.5", keptBy: "ns/old", lostBy: "ns/young" }]);
    assert.match(conflictMessage(result.conflicts[0]!), /the older, ns\/old, keeps it/);
    assert.equal(ledger.holderOf(parseAddress("10.0.0.5")), "ns/old");
    // Addresses shown by Services lbipam does not manage are held for them, as foreign.
    assert.equal(result.foreign, 2, "10.0.0.9 and 10.0.0.10");
    assert.equal(ledger.holderOf(parseAddress("10.0.0.9")), "ns/other-class");
    assert.equal(ledger.isForeign(parseAddress("10.0.0.9")), true);
    assert.equal(ledger.isForeign(parseAddress("10.0.0.5")), false);
    assert.equal(ledger.size, 2, "foreign addresses are not lbipam's holdings");
    // The ledger is filled at once; the pools only once the tasks have run.
    assert.equal(r.poolSet.get("v4")?.isAllocated(parseAddress("10.0.0.5").value), false);
    assert.deepEqual(
      result.tasks.map((task) => [task.pool.definition.name, task.addresses]),
      [
        ["v4", ["10.0.0.5", "10.0.0.9", "10.0.0.10"]],
        ["v6", ["2001:db8::5"]],
      ],
    );
    for (const task of result.tasks) {
      const claimed = runAllocatorTask(task);
      assert.deepEqual(claimed, {
        kind: "rebuild",
        claimed: task.addresses.length,
        duplicates: [],
        invalid: [],
      });
    }
    assert.equal(r.poolSet.get("v4")?.isAllocated(parseAddress("10.0.0.5").value), true);
    assert.equal(r.poolSet.get("v4")?.isAllocated(parseAddress("10.0.0.9").value), true);
    assert.equal(r.poolSet.get("v6")?.counts().allocated, 1);
  });

  it("breaks a creation-time tie by namespace/name and reads an empty class as none", () => {
    const ledger = new Ledger();
    const result = rebuildLedger(
      [
        service("ns/b", "2026-01-01T00:00:00Z", ["10.0.0.1"]),
        service("ns/a", "2026-01-01T00:00:00Z", ["10.0.0.1"], { loadBalancerClass: "" }),
      ],
      registry(),
      ledger,
      { loadBalancerClass: "calico" },
    );
    assert.equal(ledger.holderOf(parseAddress("10.0.0.1")), "ns/a");
    assert.deepEqual(result.conflicts, [{ address: "10.0.0.1", keptBy: "ns/a", lostBy: "ns/b" }]);
  });
});

describe("addresses shown by Services lbipam does not manage", () => {
  const registry = () => {
    const r = new PoolRegistry();
    r.sync("v4", pool("v4", "10.0.0.0/24"));
    return r;
  };

  it("holds them after lbipam's own at start: an address one of ours holds stays ours", () => {
    const ledger = new Ledger();
    const result = rebuildLedger(
      [
        // Younger than the foreign Service, but lbipam's: it keeps the address.
        service("ns/ours", "2026-01-02T00:00:00Z", ["10.0.0.1"]),
        service("ns/theirs", "2026-01-01T00:00:00Z", ["10.0.0.1", "10.0.0.2"], { loadBalancerClass: "x" }),
      ],
      registry(),
      ledger,
      { loadBalancerClass: "calico" },
    );
    assert.equal(ledger.holderOf(parseAddress("10.0.0.1")), "ns/ours");
    assert.equal(ledger.holderOf(parseAddress("10.0.0.2")), "ns/theirs");
    assert.deepEqual(result.foreignConflicts, [
      { address: "10.0.0.1", keptBy: "ns/ours", lostBy: "ns/theirs" },
    ]);
    assert.equal(
      ledger.hold("ns/new", parseAddress("10.0.0.2")),
      false,
      "a foreign address is nobody else's",
    );
  });

  it("follows what the Service shows, claiming and giving back in its pool, reporting only what is new", () => {
    const r = registry();
    const ledger = new Ledger();
    const theirs = service("ns/theirs", "2026-01-01T00:00:00Z", ["10.0.0.7", "192.0.2.1"], {
      loadBalancerClass: "x",
    });
    const first = showForeign(ledger, r, "ns/theirs", theirs);
    assert.deepEqual(first, { added: ["10.0.0.7", "192.0.2.1"], removed: [], heldByOthers: [] });
    const v4 = r.poolSet.get("v4")!;
    assert.equal(v4.isAllocated(parseAddress("10.0.0.7").value), true);
    assert.deepEqual(foreignByPool(ledger, r.poolSet).get("v4"), [
      { address: "10.0.0.7", service: "ns/theirs" },
    ]);
    // Seen again: nothing new to report, still claimed.
    const again = showForeign(ledger, r, "ns/theirs", theirs, forgetForeign(ledger, r, "ns/theirs"));
    assert.deepEqual(again.added, []);
    assert.deepEqual(again.removed, []);
    assert.equal(v4.isAllocated(parseAddress("10.0.0.7").value), true);
    // Shown no more: reported as removed, and free in its pool.
    const fewer = service("ns/theirs", "2026-01-01T00:00:00Z", ["192.0.2.1"], { loadBalancerClass: "x" });
    const dropped = showForeign(ledger, r, "ns/theirs", fewer, forgetForeign(ledger, r, "ns/theirs"));
    assert.deepEqual(
      dropped.removed.map((h) => h.text),
      ["10.0.0.7"],
    );
    assert.equal(v4.isAllocated(parseAddress("10.0.0.7").value), false);
    showForeign(ledger, r, "ns/theirs", theirs, forgetForeign(ledger, r, "ns/theirs"));
    // As the Service sees itself, what it shows is nobody's: deciding for it releases nothing.
    assert.equal(ledger.holderSeenBy("ns/theirs")(parseAddress("10.0.0.7")), undefined);
    assert.equal(ledger.holderSeenBy("ns/other")(parseAddress("10.0.0.7")), "ns/theirs");
    // Gone: the address is free again.
    forgetForeign(ledger, r, "ns/theirs");
    assert.equal(v4.isAllocated(parseAddress("10.0.0.7").value), false);
    assert.equal(ledger.holderOf(parseAddress("10.0.0.7")), undefined);
  });

  it("leaves an address one of lbipam's Services holds with it, and reports that", () => {
    const r = registry();
    const ledger = new Ledger();
    ledger.hold("ns/ours", parseAddress("10.0.0.3"));
    r.poolSet.get("v4")?.claim(parseAddress("10.0.0.3").value);
    const shown = service("ns/theirs", "2026-01-01T00:00:00Z", ["10.0.0.3"], { type: "ClusterIP" });
    const change = showForeign(ledger, r, "ns/theirs", shown);
    assert.deepEqual(change, {
      added: [],
      removed: [],
      heldByOthers: [{ address: "10.0.0.3", holder: "ns/ours" }],
    });
    forgetForeign(ledger, r, "ns/theirs");
    assert.equal(r.poolSet.get("v4")?.isAllocated(parseAddress("10.0.0.3").value), true, "still ours");
  });

  it("claims them again in new storage", () => {
    const r = registry();
    const ledger = new Ledger();
    showForeign(ledger, r, "ns/theirs", service("ns/theirs", "", ["10.0.0.9"], { loadBalancerClass: "x" }));
    r.sync("v4", pool("v4", "10.0.0.0/24", { blockSize: 28 }));
    assert.equal(reclaimHoldings(ledger, r), 1);
    assert.equal(r.poolSet.get("v4")?.isAllocated(parseAddress("10.0.0.9").value), true);
  });
});

describe("reclaimHoldings", () => {
  it("takes again, in new storage, every address still held in its range", () => {
    const registry = new PoolRegistry();
    registry.sync("a", pool("a", "10.0.0.0/24", { blockSize: 26 }));
    const ledger = new Ledger();
    for (const ip of ["10.0.0.1", "10.0.0.200"]) {
      const address = parseAddress(ip);
      ledger.hold("ns/s", address);
      registry.poolSet.get("a")?.claim(address.value);
    }
    // A changed block size is new, empty storage.
    assert.ok(registry.sync("a", pool("a", "10.0.0.0/24", { blockSize: 28 })).storageReplaced);
    assert.equal(registry.poolSet.get("a")?.counts().allocated, 0);
    assert.equal(reclaimHoldings(ledger, registry), 2);
    assert.equal(registry.poolSet.get("a")?.counts().allocated, 2);
    assert.equal(reclaimHoldings(ledger, registry), 0, "claimed once only");
  });
});

describe("rebuildLedgerInTurns", () => {
  it("gives the same result as the rebuild at once, waiting for turns between steps", async () => {
    const services = Array.from({ length: 500 }, (_, i) =>
      service(
        `ns/s${i}`,
        `2026-01-01T00:${String(Math.floor((500 - i) / 60)).padStart(2, "0")}:${String((500 - i) % 60).padStart(2, "0")}Z`,
        [`10.0.0.${i % 30}`],
      ),
    );
    const registry = () => {
      const r = new PoolRegistry();
      r.sync("v4", pool("v4", "10.0.0.0/24"));
      return r;
    };
    const atOnce = rebuildLedger(services, registry(), new Ledger(), { loadBalancerClass: "calico" });
    let turns = 0;
    const inTurns = await rebuildLedgerInTurns(
      services,
      registry(),
      new Ledger(),
      { loadBalancerClass: "calico" },
      () => {
        turns++;
        return turns % 10 === 0 ? new Promise((resolve) => setImmediate(resolve)) : undefined;
      },
    );
    // A step ends every REBUILD_PER_STEP items handled: 500 Services, the 30 addresses held, then
    // the 470 Services showing one of them too (each asked whether it may share it).
    const steps = Math.floor((500 + 30 + 470) / REBUILD_PER_STEP);
    assert.equal(turns, steps, `asked for a turn every ${REBUILD_PER_STEP} Services or addresses`);
    const strip = (r: typeof atOnce) => ({ ...r, tasks: r.tasks.map((t) => t.addresses.sort()) });
    assert.deepEqual(strip(inTurns), strip(atOnce));
    // 30 addresses, each kept by the oldest Service showing it (a higher number is older here).
    assert.equal(atOnce.held, 30);
    assert.equal(atOnce.conflicts.length, 470);
    assert.ok(atOnce.conflicts.every((c) => Number(c.keptBy.slice(4)) > Number(c.lostBy.slice(4))));
  });
});

describe("rebuildReading", () => {
  const at = "2026-01-01T00:00:00Z";
  it("reads nothing of a Service that contributes nothing to a rebuild", () => {
    assert.equal(rebuildReading(undefined, "calico"), "");
    assert.equal(rebuildReading(service("ns/a", at, []), "calico"), "");
  });
  it("reads the addresses a Service of another class shows, held for it as foreign", () => {
    const other = rebuildReading(service("ns/a", at, ["10.0.0.1"], { loadBalancerClass: "other" }), "calico");
    assert.equal(other, "foreign 10.0.0.1");
    assert.notEqual(other, rebuildReading(service("ns/a", at, ["10.0.0.1"]), "calico"));
    assert.equal(rebuildReading(service("ns/a", at, [], { type: "ClusterIP" }), "calico"), "");
  });
  it("changes with the addresses shown and the creation time, not with the rest", () => {
    const reading = rebuildReading(service("ns/a", at, ["10.0.0.1"]), "calico");
    assert.notEqual(reading, "");
    const annotated = service("ns/a", at, ["10.0.0.1"]);
    annotated.metadata.annotations = { "projectcalico.org/ipv4pools": '["b"]' };
    assert.equal(rebuildReading(annotated, "calico"), reading);
    assert.notEqual(rebuildReading(service("ns/a", at, ["10.0.0.2"]), "calico"), reading);
    assert.notEqual(rebuildReading(service("ns/a", at, ["10.0.0.1", "10.0.0.2"]), "calico"), reading);
    assert.notEqual(rebuildReading(service("ns/a", "2026-01-02T00:00:00Z", ["10.0.0.1"]), "calico"), reading);
  });
});
