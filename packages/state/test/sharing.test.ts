// Sharing one address (behaviour.md, "Sharing one address, and choosing
// pools"), rule by rule, as step tables over the tests' cluster: the same
// decide and carry-out code as the controller.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseAddress } from "@lbipam/allocator";
import {
  ANNOTATION_LOADBALANCER_IPS,
  ANNOTATION_SHARING_CROSS_NAMESPACE,
  ANNOTATION_SHARING_KEY,
  SERVICE_CONDITION_TYPE,
} from "@lbipam/api";
import { Ledger, PoolRegistry, rebuildLedger } from "../src/index.js";
import { ippool, lbService, type ServiceOptions, TestCluster } from "./helpers/cluster.js";
import { runSteps } from "./helpers/steps.js";

const A = ippool("a-pool", "10.0.0.0/30", { blockSize: 30 });
const V6 = ippool("v6-pool", "2001:db8::/126", { blockSize: 126 });

const key = (value: string, extra: Record<string, string> = {}) => ({
  annotations: { [ANNOTATION_SHARING_KEY]: value, ...extra },
});
const add =
  (name: string, options: ServiceOptions = {}) =>
  (c: TestCluster) =>
    c.setService(lbService(name, options));
const edit = (name: string, options: ServiceOptions) => (c: TestCluster) => {
  const status = c.services.get(name)!.status;
  c.setService({ ...lbService(name, options), ...(status ? { status } : {}) });
};
const message = (c: TestCluster, name: string) =>
  c.services.get(name)?.status?.conditions?.find((x) => x.type === SERVICE_CONDITION_TYPE)?.message ?? "";

describe("sharing one address by lbipam.io/sharing-key", () => {
  it("shares between disjoint ports (TCP 53 and UDP 53); a collision gets its own address, its message naming the other Service", () => {
    const cluster = new TestCluster([A]);
    runSteps(cluster, [
      {
        step: "dns over TCP",
        act: add("ns/dns-tcp", { ...key("dns"), ports: ["TCP/53"], created: 1 }),
        expect: { "ns/dns-tcp": [["10.0.0.0"], "Allocated"] },
      },
      {
        step: "dns over UDP joins it",
        act: add("ns/dns-udp", { ...key("dns"), ports: ["UDP/53"], created: 2 }),
        expect: { "ns/dns-tcp": [["10.0.0.0"], "Allocated"], "ns/dns-udp": [["10.0.0.0"], "Allocated"] },
      },
      {
        step: "a third on TCP 53 collides: an address of its own",
        act: add("ns/dns-again", { ...key("dns"), ports: ["TCP/53"], created: 3 }),
        expect: { "ns/dns-again": [["10.0.0.1"], "Allocated"] },
      },
      {
        step: "a Service without the key never shares",
        act: add("ns/plain", { ports: ["TCP/8080"], created: 4 }),
        expect: { "ns/plain": [["10.0.0.2"], "Allocated"] },
      },
    ]);
    assert.match(
      message(cluster, "ns/dns-again"),
      /10\.0\.0\.0 .*not shared: port TCP\/53 is used by Service ns\/dns-tcp/,
    );
    assert.doesNotMatch(message(cluster, "ns/dns-udp"), /not shared/);
    // One allocation in the pool for the shared address: three addresses taken for four Services.
    assert.equal(cluster.poolSet.get("a-pool")!.counts().allocated, 3);
  });

  it("loadBalancerIPs of the key's address joins its holders, or waits with SharingConflict naming the collision", () => {
    const cluster = new TestCluster([A]);
    const pinned = (ports: string[]) => ({
      ...key("web", { [ANNOTATION_LOADBALANCER_IPS]: '["10.0.0.0"]' }),
      ports,
    });
    runSteps(cluster, [
      {
        step: "holder",
        act: add("ns/web", { ...key("web"), ports: ["TCP/80"], created: 1 }),
        expect: { "ns/web": [["10.0.0.0"], "Allocated"] },
      },
      {
        step: "asks for it on another port: joins",
        act: add("ns/tls", { ...pinned(["TCP/443"]), created: 2 }),
        expect: { "ns/web": [["10.0.0.0"], "Allocated"], "ns/tls": [["10.0.0.0"], "Allocated"] },
      },
      {
        step: "asks for it on a port in use: waits",
        act: add("ns/clash", { ...pinned(["TCP/80"]), created: 3 }),
        expect: { "ns/clash": [[], "SharingConflict"] },
      },
      {
        step: "asks for it with no key: in use",
        act: add("ns/keyless", {
          annotations: { [ANNOTATION_LOADBALANCER_IPS]: '["10.0.0.0"]' },
          ports: ["TCP/9"],
          created: 4,
        }),
        expect: { "ns/keyless": [[], "RequestedIPInUse"] },
      },
    ]);
    assert.match(message(cluster, "ns/clash"), /port TCP\/80 is used by Service ns\/web/);
  });

  it("shares only between all-Cluster, or all-Local with one non-empty selector", () => {
    runSteps(new TestCluster([A]), [
      {
        step: "Cluster",
        act: add("ns/c", { ...key("k"), ports: ["TCP/1"], created: 1 }),
        expect: { "ns/c": [["10.0.0.0"], "Allocated"] },
      },
      {
        step: "Local does not join Cluster",
        act: add("ns/l1", {
          ...key("k"),
          ports: ["TCP/2"],
          externalTrafficPolicy: "Local",
          selector: { app: "x" },
          created: 2,
        }),
        expect: { "ns/l1": [["10.0.0.1"], "Allocated"] },
      },
      {
        step: "Local with the same selector joins Local",
        act: add("ns/l2", {
          ...key("k"),
          ports: ["TCP/3"],
          externalTrafficPolicy: "Local",
          selector: { app: "x" },
          created: 3,
        }),
        expect: { "ns/l2": [["10.0.0.1"], "Allocated"] },
      },
      {
        step: "Local with another selector joins neither",
        act: add("ns/l3", {
          ...key("k"),
          ports: ["TCP/4"],
          externalTrafficPolicy: "Local",
          selector: { app: "y" },
          created: 4,
        }),
        expect: { "ns/l3": [["10.0.0.2"], "Allocated"] },
      },
    ]);
  });

  it("shares across namespaces only when each lists the other's namespace", () => {
    const cross = (value: string) => key("k", { [ANNOTATION_SHARING_CROSS_NAMESPACE]: value });
    runSteps(new TestCluster([A]), [
      {
        step: "a in red lets blue in",
        act: add("red/a", { ...cross("blue"), ports: ["TCP/1"], created: 1 }),
        expect: { "red/a": [["10.0.0.0"], "Allocated"] },
      },
      {
        step: "b in blue without the annotation: not shared",
        act: add("blue/b", { ...key("k"), ports: ["TCP/2"], created: 2 }),
        expect: { "blue/b": [["10.0.0.1"], "Allocated"] },
      },
      {
        step: "c in blue listing red: shared",
        act: add("blue/c", { ...cross("green, red"), ports: ["TCP/3"], created: 3 }),
        expect: { "blue/c": [["10.0.0.0"], "Allocated"] },
      },
      {
        step: "d in green with *: red/a does not list green",
        act: add("green/d", { ...cross("*"), ports: ["TCP/4"], created: 4 }),
        expect: { "green/d": [["10.0.0.2"], "Allocated"] },
      },
    ]);
  });

  it("gives the address back only when its last member leaves, then to the oldest Service waiting", () => {
    const pool = ippool("one", "10.0.0.0/32", { blockSize: 32 });
    const cluster = new TestCluster([pool]);
    runSteps(cluster, [
      {
        step: "two members",
        act: (c) => {
          add("ns/m1", { ...key("k"), ports: ["TCP/1"], created: 1 })(c);
          add("ns/m2", { ...key("k"), ports: ["TCP/2"], created: 2 })(c);
        },
        expect: { "ns/m1": [["10.0.0.0"], "Allocated"], "ns/m2": [["10.0.0.0"], "Allocated"] },
      },
      {
        step: "a Service without the key waits",
        act: add("ns/waiting", { ports: ["TCP/1"], created: 3 }),
        expect: { "ns/waiting": [[], "PoolExhausted"] },
      },
      {
        step: "the first member leaves: the other keeps it",
        act: (c) => c.deleteService("ns/m1"),
        expect: { "ns/m2": [["10.0.0.0"], "Allocated"], "ns/waiting": [[], "PoolExhausted"] },
      },
      {
        step: "the last leaves: the waiting Service gets it",
        act: (c) => c.deleteService("ns/m2"),
        expect: { "ns/waiting": [["10.0.0.0"], "Allocated"] },
      },
    ]);
    assert.equal(cluster.ledger.holderOf(parseAddress("10.0.0.0")), "ns/waiting");
  });

  it("moves a member whose key or ports stop fitting; the others keep theirs", () => {
    runSteps(new TestCluster([A]), [
      {
        step: "three members",
        act: (c) => {
          add("ns/a", { ...key("k"), ports: ["TCP/1"], created: 1 })(c);
          add("ns/b", { ...key("k"), ports: ["TCP/2"], created: 2 })(c);
          add("ns/c", { ...key("k"), ports: ["TCP/3"], created: 3 })(c);
        },
        expect: {
          "ns/a": [["10.0.0.0"], "Allocated"],
          "ns/b": [["10.0.0.0"], "Allocated"],
          "ns/c": [["10.0.0.0"], "Allocated"],
        },
      },
      {
        step: "b changes its key",
        act: edit("ns/b", { ...key("other"), ports: ["TCP/2"], created: 2 }),
        expect: {
          "ns/a": [["10.0.0.0"], "Allocated"],
          "ns/b": [["10.0.0.1"], "Allocated"],
          "ns/c": [["10.0.0.0"], "Allocated"],
        },
      },
      {
        step: "c takes a's port",
        act: edit("ns/c", { ...key("k"), ports: ["TCP/1"], created: 3 }),
        expect: { "ns/a": [["10.0.0.0"], "Allocated"], "ns/c": [["10.0.0.2"], "Allocated"] },
      },
      {
        step: "c drops the key altogether: keeps its own address",
        act: edit("ns/c", { ports: ["TCP/1"], created: 3 }),
        expect: { "ns/a": [["10.0.0.0"], "Allocated"], "ns/c": [["10.0.0.2"], "Allocated"] },
      },
    ]);
  });

  it("shares both families between RequireDualStack members", () => {
    const dual = { families: ["IPv4", "IPv6"] as ("IPv4" | "IPv6")[], policy: "RequireDualStack" as const };
    runSteps(new TestCluster([A, V6]), [
      {
        step: "two dual-stack members",
        act: (c) => {
          add("ns/a", { ...key("k"), ...dual, ports: ["TCP/1"], created: 1 })(c);
          add("ns/b", { ...key("k"), ...dual, ports: ["TCP/2"], created: 2 })(c);
        },
        expect: {
          "ns/a": [["10.0.0.0", "2001:db8::"], "Allocated"],
          "ns/b": [["10.0.0.0", "2001:db8::"], "Allocated"],
        },
      },
    ]);
  });

  it("refuses a malformed key or namespace list and keeps what the Service shares", () => {
    const cases: Record<string, string>[] = [
      { [ANNOTATION_SHARING_KEY]: "two words" },
      { [ANNOTATION_SHARING_KEY]: "k".repeat(254) },
      { [ANNOTATION_SHARING_KEY]: "k", [ANNOTATION_SHARING_CROSS_NAMESPACE]: "Not_A_Namespace" },
      {
        [ANNOTATION_SHARING_KEY]: "k",
        [ANNOTATION_SHARING_CROSS_NAMESPACE]: Array.from({ length: 65 }, (_, i) => `ns${i}`).join(","),
      },
    ];
    for (const annotations of cases) {
      runSteps(new TestCluster([A]), [
        {
          step: "two members",
          act: (c) => {
            add("ns/a", { ...key("k"), ports: ["TCP/1"], created: 1 })(c);
            add("ns/b", { ...key("k"), ports: ["TCP/2"], created: 2 })(c);
          },
          expect: { "ns/b": [["10.0.0.0"], "Allocated"] },
        },
        {
          step: `malformed ${JSON.stringify(annotations).slice(0, 80)}`,
          act: edit("ns/b", { annotations, ports: ["TCP/2"], created: 2 }),
          expect: { "ns/a": [["10.0.0.0"], "Allocated"], "ns/b": [["10.0.0.0"], "InvalidAnnotation"] },
        },
      ]);
    }
  });
});

describe("sharing after a restart", () => {
  it("rebuilds shared addresses from the statuses: nothing moves, nothing is written", () => {
    const first = new TestCluster([A]);
    first.setService(lbService("ns/a", { ...key("k"), ports: ["TCP/1"], created: 1 }));
    first.setService(lbService("ns/b", { ...key("k"), ports: ["UDP/1"], created: 2 }));
    first.setService(lbService("ns/c", { ports: ["TCP/1"], created: 3 }));
    first.settle();
    assert.deepEqual(first.ips("ns/b"), ["10.0.0.0"]);

    // The rebuild at start: both members hold the address, no conflict.
    const registry = new PoolRegistry();
    registry.sync("a-pool", A);
    const ledger = new Ledger();
    const rebuilt = rebuildLedger([...first.services.values()], registry, ledger, {
      loadBalancerClass: "calico",
    });
    assert.deepEqual(rebuilt.conflicts, []);
    assert.deepEqual(
      ledger.membersOf(parseAddress("10.0.0.0")).map((m) => m.service),
      ["ns/a", "ns/b"],
    );

    // A cluster starting from the same statuses settles without a change.
    const restarted = new TestCluster([A]);
    for (const service of first.services.values()) restarted.setService(service);
    restarted.settle();
    for (const name of first.services.keys())
      assert.deepEqual(restarted.services.get(name), first.services.get(name));
  });

  it("rewrites no message at start: a member holding the first address of its key says nothing of a collider that came after it", () => {
    // As the controller does: each Service reconciled when it changes, until its status stands.
    const first = new TestCluster([A]);
    const arrive = (name: string, options: ServiceOptions) => {
      first.setService(lbService(name, options));
      while (first.reconcile(name));
    };
    arrive("ns/a", { ...key("k"), ports: ["TCP/1"], created: 1 });
    arrive("ns/collides", { ...key("k"), ports: ["TCP/1"], created: 2 });
    assert.deepEqual(first.ips("ns/collides"), ["10.0.0.1"]);
    assert.match(message(first, "ns/collides"), /10\.0\.0\.0 .*not shared: port TCP\/1/);

    const restarted = new TestCluster([A]);
    for (const service of first.services.values()) restarted.setService(service);
    restarted.settle();
    for (const name of first.services.keys())
      assert.deepEqual(restarted.services.get(name), first.services.get(name), name);
  });

  it("finds a conflict at start only between Services that may not share", () => {
    const registry = new PoolRegistry();
    registry.sync("a-pool", A);
    const shows = (name: string, options: ServiceOptions) =>
      lbService(name, { ...options, ingress: [{ ip: "10.0.0.0" }] });
    const rebuilt = rebuildLedger(
      [
        shows("ns/young", { ...key("k"), ports: ["TCP/1"], created: 9 }),
        shows("ns/old", { ...key("k"), ports: ["TCP/1"], created: 1 }),
        shows("ns/fits", { ...key("k"), ports: ["TCP/2"], created: 5 }),
      ],
      registry,
      new Ledger(),
      { loadBalancerClass: "calico" },
    );
    assert.deepEqual(rebuilt.conflicts, [{ address: "10.0.0.0", keptBy: "ns/old", lostBy: "ns/young" }]);
  });
});
