// Every decision rule of behaviour.md as a step table ("s2 can't grab s1's IP").
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseCidr } from "@lbipam/allocator";
import {
  ANNOTATION_IPV4_POOLS,
  ANNOTATION_IPV6_POOLS,
  ANNOTATION_LOADBALANCER_IPS,
  SERVICE_CONDITION_TYPE,
} from "@lbipam/api";
import { ippool, lbService, type ServiceOptions, TestCluster } from "./helpers/cluster.js";
import { runSteps } from "./helpers/steps.js";

const A = ippool("a-pool", "10.0.0.0/30", { blockSize: 30 });
const B = ippool("b-pool", "10.0.1.0/30", { blockSize: 30 });
const V6 = ippool("v6-pool", "2001:db8::/126", { blockSize: 126 });
const MANUAL = ippool("m-pool", "10.0.2.0/30", { blockSize: 30, assignmentMode: "Manual" });

const pools = (value: string[]) => ({ [ANNOTATION_IPV4_POOLS]: JSON.stringify(value) });
const ips = (value: string[]) => ({ [ANNOTATION_LOADBALANCER_IPS]: JSON.stringify(value) });
const add =
  (key: string, options: ServiceOptions = {}) =>
  (c: TestCluster) =>
    c.setService(lbService(key, options));
const edit = (key: string, options: ServiceOptions) => (c: TestCluster) => {
  const status = c.services.get(key)!.status;
  c.setService({ ...lbService(key, options), ...(status ? { status } : {}) });
};
const remove = (key: string) => (c: TestCluster) => c.deleteService(key);

describe("automatic assignment", () => {
  it("fills pools in name order, lowest address first, and waits when all are full", () => {
    runSteps(new TestCluster([B, A]), [
      {
        step: "s1 created",
        act: add("ns/s1", { created: 1 }),
        expect: { "ns/s1": [["10.0.0.0"], "Allocated"] },
      },
      {
        step: "three more",
        act: (c) =>
          ["ns/s2", "ns/s3", "ns/s4"].forEach((k, i) => {
            add(k, { created: 2 + i })(c);
          }),
        expect: { "ns/s4": [["10.0.0.3"], "Allocated"] },
      },
      {
        step: "a-pool full, b-pool next",
        act: add("ns/s5", { created: 6 }),
        expect: { "ns/s5": [["10.0.1.0"], "Allocated"] },
      },
      {
        step: "everything full",
        act: (c) =>
          ["ns/s6", "ns/s7", "ns/s8", "ns/s9", "ns/s10"].forEach((k, i) => {
            add(k, { created: 7 + i })(c);
          }),
        expect: {
          "ns/s8": [["10.0.1.3"], "Allocated"],
          "ns/s9": [[], "PoolExhausted"],
          "ns/s10": [[], "PoolExhausted"],
        },
      },
      {
        step: "a delete frees an address for the oldest waiting Service",
        act: remove("ns/s2"),
        expect: { "ns/s9": [["10.0.0.1"], "Allocated"], "ns/s10": [[], "PoolExhausted"] },
      },
    ]);
  });

  it("takes pools by lbipam.io/priority (lower first, none last), then by name; an unusable one keeps its addresses", () => {
    const annotated = (name: string, cidr: string, priority: string | undefined) =>
      ippool(
        name,
        cidr,
        { blockSize: 30 },
        priority === undefined ? {} : { annotations: { "lbipam.io/priority": priority } },
      );
    const set = (name: string, cidr: string, priority: string | undefined) => (c: TestCluster) =>
      c.setPool(annotated(name, cidr, priority));
    runSteps(
      new TestCluster([
        annotated("a-none", "10.1.0.0/30", undefined),
        annotated("b-ten", "10.1.1.0/30", "10"),
        annotated("c-five", "10.1.2.0/30", "5"),
      ]),
      [
        {
          step: "priority 5 first",
          act: add("ns/s1", { created: 1 }),
          expect: { "ns/s1": [["10.1.2.0"], "Allocated"] },
        },
        {
          step: "c-five given an unusable priority: kept, and the next Service goes to b-ten",
          act: (c) => {
            set("c-five", "10.1.2.0/30", "first")(c);
            add("ns/s2", { created: 2 })(c);
          },
          expect: { "ns/s1": [["10.1.2.0"], "Allocated"], "ns/s2": [["10.1.1.0"], "Allocated"] },
        },
        {
          step: "b-ten loses its priority: the pools without one go by name, a-none first",
          act: (c) => {
            set("b-ten", "10.1.1.0/30", undefined)(c);
            add("ns/s3", { created: 3 })(c);
          },
          expect: { "ns/s3": [["10.1.0.0"], "Allocated"] },
        },
      ],
    );
  });

  it("with lbipam.io/avoid-buggy-ips skips addresses ending in .0 and .255, which loadBalancerIPs may still ask for", () => {
    const avoiding = (value: string) =>
      ippool(
        "edge",
        "10.3.0.0/23",
        { blockSize: 24 },
        { annotations: { "lbipam.io/avoid-buggy-ips": value } },
      );
    const cluster = new TestCluster([avoiding("true")]);
    assert.equal(
      cluster.poolSet.get("edge")!.counts().reserved,
      4n,
      "10.3.0.0, 10.3.0.255, 10.3.1.0, 10.3.1.255",
    );
    runSteps(cluster, [
      {
        step: "the first automatic address is .1",
        act: add("ns/s1", { created: 1 }),
        expect: { "ns/s1": [["10.3.0.1"], "Allocated"] },
      },
      {
        step: "asking for .0 works",
        act: add("ns/zero", { created: 2, annotations: ips(["10.3.0.0"]) }),
        expect: { "ns/zero": [["10.3.0.0"], "Allocated"] },
      },
      {
        step: "a value that is neither true nor false: kept, nothing new",
        act: (c) => {
          c.setPool(avoiding("yes"));
          add("ns/s2", { created: 3 })(c);
        },
        expect: { "ns/s1": [["10.3.0.1"], "Allocated"], "ns/s2": [[], "PoolNotAllocatable"] },
      },
    ]);
  });

  it("with lbipam.io/service-selector serves only the Services it selects, on every path, and releases when labels change", () => {
    const web = ippool(
      "a-web",
      "10.4.0.0/30",
      { blockSize: 30 },
      { annotations: { "lbipam.io/service-selector": "app == 'web'" } },
    );
    const rest = ippool("b-rest", "10.4.1.0/30", { blockSize: 30 });
    runSteps(new TestCluster([web, rest]), [
      {
        step: "selected: a-web; not selected: b-rest",
        act: (c) => {
          add("ns/web", { created: 1, labels: { app: "web" } })(c);
          add("ns/db", { created: 2, labels: { app: "db" } })(c);
        },
        expect: { "ns/web": [["10.4.0.0"], "Allocated"], "ns/db": [["10.4.1.0"], "Allocated"] },
      },
      {
        step: "asking a-web by name or for its address does not get round the selector",
        act: (c) => {
          add("ns/by-pool", { created: 3, labels: { app: "db" }, annotations: pools(["a-web"]) })(c);
          add("ns/by-ip", { created: 4, labels: { app: "db" }, annotations: ips(["10.4.0.3"]) })(c);
        },
        expect: { "ns/by-pool": [[], "ServiceNotSelected"], "ns/by-ip": [[], "ServiceNotSelected"] },
      },
      {
        step: "relabelled away: it moves to a pool that serves it",
        act: edit("ns/web", { created: 1, labels: { app: "api" } }),
        expect: { "ns/web": [["10.4.1.1"], "Allocated"] },
      },
    ]);
  });

  it("waits with NoPool when no pool serves the family, and is served when one appears", () => {
    runSteps(new TestCluster([]), [
      { step: "no pools", act: add("ns/s1"), expect: { "ns/s1": [[], "NoPool"] } },
      { step: "pool created", act: (c) => c.setPool(A), expect: { "ns/s1": [["10.0.0.0"], "Allocated"] } },
    ]);
  });

  it("never hands out reserved addresses automatically, but gives them when asked", () => {
    const cluster = new TestCluster([A]);
    cluster.poolSet.setReservations([parseCidr("10.0.0.0/31")]);
    runSteps(cluster, [
      {
        step: "automatic skips reserved",
        act: add("ns/s1"),
        expect: { "ns/s1": [["10.0.0.2"], "Allocated"] },
      },
      {
        step: "explicit reserved address",
        act: add("ns/s2", { annotations: ips(["10.0.0.1"]) }),
        expect: { "ns/s2": [["10.0.0.1"], "Allocated"] },
      },
    ]);
  });
});

describe("which Services are managed", () => {
  it("serves only type LoadBalancer and releases on a type change, leaving hostnames alone", () => {
    runSteps(new TestCluster([A]), [
      {
        step: "ClusterIP ignored",
        act: add("ns/c", { type: "ClusterIP" }),
        expect: { "ns/c": [[], undefined] },
      },
      {
        step: "LoadBalancer with a foreign hostname",
        act: add("ns/s", { ingress: [{ hostname: "lb.example" }] }),
        expect: { "ns/s": [["10.0.0.0", "host:lb.example"], "Allocated"] },
      },
      {
        step: "type changed to ClusterIP",
        act: edit("ns/s", { type: "ClusterIP" }),
        expect: { "ns/s": [["host:lb.example"], undefined] },
      },
      {
        step: "the address is free again",
        act: add("ns/t", { created: 5 }),
        expect: { "ns/t": [["10.0.0.0"], "Allocated"] },
      },
    ]);
  });

  it("never touches a Service of another class, and releases when the class changes away", () => {
    runSteps(new TestCluster([A]), [
      {
        step: "other class with its own status",
        act: add("ns/o", { loadBalancerClass: "other", ingress: [{ ip: "192.0.2.7" }] }),
        expect: { "ns/o": [["192.0.2.7"], undefined] },
      },
      {
        step: "our class by name",
        act: add("ns/s", { loadBalancerClass: "calico", created: 1 }),
        expect: { "ns/s": [["10.0.0.0"], "Allocated"], "ns/o": [["192.0.2.7"], undefined] },
      },
      {
        step: "class changed away",
        act: edit("ns/s", { loadBalancerClass: "other" }),
        expect: { "ns/s": [[], undefined] },
      },
    ]);
  });

  it("in RequestedServicesOnly serves only Services that ask, and releases the others", () => {
    runSteps(new TestCluster([A, MANUAL]), [
      {
        step: "AllServices",
        act: (c) => {
          add("ns/plain", { created: 1 })(c);
          add("ns/classed", { created: 2, loadBalancerClass: "calico" })(c);
          add("ns/pools", { created: 3, annotations: pools(["a-pool"]) })(c);
          add("ns/field", { created: 4, loadBalancerIP: "10.0.0.3" })(c);
        },
        expect: { "ns/plain": [["10.0.0.0"], "Allocated"], "ns/field": [["10.0.0.3"], "Allocated"] },
      },
      {
        step: "RequestedServicesOnly",
        act: (c) => {
          c.config = { ...c.config, assignIPs: "RequestedServicesOnly" };
        },
        expect: {
          "ns/plain": [[], undefined],
          "ns/classed": [["10.0.0.1"], "Allocated"],
          "ns/pools": [["10.0.0.2"], "Allocated"],
          "ns/field": [["10.0.0.3"], "Allocated"],
        },
      },
      {
        step: "an empty annotation does not ask",
        act: edit("ns/plain", { created: 1, annotations: { [ANNOTATION_IPV4_POOLS]: " " } }),
        expect: { "ns/plain": [[], undefined] },
      },
    ]);
  });
});

describe("pool annotations", () => {
  it("uses the named pools in annotation order, Manual ones included, by name or exact CIDR", () => {
    runSteps(new TestCluster([A, B, MANUAL]), [
      {
        step: "manual pool first",
        act: add("ns/s1", { annotations: pools(["m-pool", "b-pool"]) }),
        expect: { "ns/s1": [["10.0.2.0"], "Allocated"] },
      },
      {
        step: "by CIDR",
        act: add("ns/s2", { annotations: pools(["10.0.1.0/30"]) }),
        expect: { "ns/s2": [["10.0.1.0"], "Allocated"] },
      },
      {
        step: "automatic never uses the Manual pool",
        act: add("ns/s3"),
        expect: { "ns/s3": [["10.0.0.0"], "Allocated"] },
      },
    ]);
  });

  it("reports wrong-family and non-LoadBalancer pools and keeps the current address", () => {
    const workload = ippool("w-pool", "10.9.0.0/24", { allowedUses: ["Workload"] });
    const bad = (value: string[]) => edit("ns/s", { annotations: pools(value) });
    runSteps(new TestCluster([A, V6, workload]), [
      { step: "served", act: add("ns/s"), expect: { "ns/s": [["10.0.0.0"], "Allocated"] } },
      {
        step: "IPv6 pool in ipv4pools",
        act: bad(["v6-pool"]),
        expect: { "ns/s": [["10.0.0.0"], "InvalidAnnotation"] },
      },
      {
        step: "not a LoadBalancer pool",
        act: bad(["w-pool"]),
        expect: { "ns/s": [["10.0.0.0"], "InvalidAnnotation"] },
      },
      { step: "fixed", act: bad(["a-pool"]), expect: { "ns/s": [["10.0.0.0"], "Allocated"] } },
    ]);
    const cluster = new TestCluster([A, workload]);
    cluster.setService(lbService("ns/s", { annotations: pools(["w-pool"]) }));
    const condition = cluster.decideFor("ns/s").condition!;
    assert.equal(condition.type, SERVICE_CONDITION_TYPE);
    assert.match(
      condition.message,
      /projectcalico\.org\/ipv4pools.*w-pool.*pool "w-pool" does not allow LoadBalancer/,
    );
  });

  // #11: an unknown name was InvalidAnnotation, so a Service naming a pool created later never got it.
  it("waits for a named pool that does not exist yet, and keeps an address it has meanwhile", () => {
    const later = ippool("later", "10.0.7.0/30", { blockSize: 30 });
    runSteps(new TestCluster([A]), [
      {
        step: "names a pool that does not exist",
        act: add("ns/new", { annotations: pools(["later"]) }),
        expect: { "ns/new": [[], "PoolNotFound"] },
      },
      {
        step: "served automatically",
        act: add("ns/s", { created: 1 }),
        expect: { "ns/s": [["10.0.0.0"], "Allocated"] },
      },
      {
        step: "a typo in the pool name keeps the address it has",
        act: edit("ns/s", { created: 1, annotations: pools(["laterr"]) }),
        expect: { "ns/s": [["10.0.0.0"], "Allocated"] },
      },
      {
        step: "the pool is created: both move to it",
        act: (c) => {
          c.setPool(later);
          edit("ns/s", { created: 1, annotations: pools(["later"]) })(c);
        },
        expect: { "ns/new": [["10.0.7.0"], "Allocated"], "ns/s": [["10.0.7.1"], "Allocated"] },
      },
    ]);
    const cluster = new TestCluster([A]);
    cluster.setService(lbService("ns/s", { annotations: pools(["nope", "a-pool"]) }));
    assert.match(
      cluster.decideFor("ns/s").condition!.message,
      /projectcalico\.org\/ipv4pools: no pool named "nope"; the others serve/,
    );
    cluster.setService(lbService("ns/s", { annotations: pools(["nope"]) }));
    const waiting = cluster.decideFor("ns/s").condition!;
    assert.equal(waiting.reason, "PoolNotFound");
    assert.match(waiting.message, /no pool named "nope"/);
  });

  it("keeps the address when a changed annotation still allows it, moves it otherwise", () => {
    runSteps(new TestCluster([A, B, MANUAL]), [
      { step: "automatic", act: add("ns/s"), expect: { "ns/s": [["10.0.0.0"], "Allocated"] } },
      {
        step: "annotation naming the current pool among others",
        act: edit("ns/s", { annotations: pools(["b-pool", "a-pool"]) }),
        expect: { "ns/s": [["10.0.0.0"], "Allocated"] },
      },
      {
        step: "annotation excluding it",
        act: edit("ns/s", { annotations: pools(["m-pool"]) }),
        expect: { "ns/s": [["10.0.2.0"], "Allocated"] },
      },
      {
        step: "annotation removed: Manual address released",
        act: edit("ns/s", {}),
        expect: { "ns/s": [["10.0.0.0"], "Allocated"] },
      },
      {
        step: "annotation to b-pool, then removed: Automatic address kept",
        act: (c) => {
          edit("ns/s", { annotations: pools(["b-pool"]) })(c);
          c.settle();
          edit("ns/s", {})(c);
        },
        expect: { "ns/s": [["10.0.1.0"], "Allocated"] },
      },
    ]);
  });
});

describe("specific addresses", () => {
  it("wins over pools and waits for exactly that address", () => {
    runSteps(new TestCluster([A, B]), [
      {
        step: "s1 holds .1",
        act: add("ns/s1", { annotations: ips(["10.0.0.1"]) }),
        expect: { "ns/s1": [["10.0.0.1"], "Allocated"] },
      },
      {
        step: "s2 asks for .1 and b-pool",
        act: add("ns/s2", { created: 1, annotations: { ...ips(["10.0.0.1"]), ...pools(["b-pool"]) } }),
        expect: { "ns/s2": [[], "RequestedIPInUse"] },
      },
      { step: "s1 deleted", act: remove("ns/s1"), expect: { "ns/s2": [["10.0.0.1"], "Allocated"] } },
      {
        step: "outside every pool",
        act: add("ns/s3", { created: 2, annotations: ips(["192.0.2.1"]) }),
        expect: { "ns/s3": [[], "RequestedIPNotInPool"] },
      },
    ]);
  });

  it("reads spec.loadBalancerIP only when loadBalancerIPs is absent", () => {
    runSteps(new TestCluster([A]), [
      {
        step: "field",
        act: add("ns/s1", { loadBalancerIP: "10.0.0.2" }),
        expect: { "ns/s1": [["10.0.0.2"], "Allocated"] },
      },
      {
        step: "annotation wins",
        act: add("ns/s2", { created: 1, loadBalancerIP: "10.0.0.2", annotations: ips(["10.0.0.3"]) }),
        expect: { "ns/s2": [["10.0.0.3"], "Allocated"] },
      },
    ]);
  });

  it("waits on a disabled pool and a namespace the pool does not serve", () => {
    const disabled = ippool("d-pool", "10.0.5.0/30", { blockSize: 30, disabled: true });
    const team = ippool("t-pool", "10.0.6.0/30", { blockSize: 30, namespaceSelector: "team == 'red'" });
    runSteps(new TestCluster([disabled, team]), [
      {
        step: "disabled",
        act: add("ns/s1", { annotations: ips(["10.0.5.1"]) }),
        expect: { "ns/s1": [[], "PoolDisabled"] },
      },
      {
        step: "other namespace",
        act: add("ns/s2", { annotations: ips(["10.0.6.1"]) }),
        expect: { "ns/s2": [[], "NamespaceNotAllowed"] },
      },
      {
        step: "namespace labelled",
        act: (c) => c.namespaces.set("ns", { team: "red" }),
        expect: { "ns/s2": [["10.0.6.1"], "Allocated"] },
      },
    ]);
  });
});

describe("namespaceSelector", () => {
  it("is enforced for automatic and pool-annotation requests, and revoked when labels change", () => {
    const red = ippool("a-red", "10.0.6.0/30", { blockSize: 30, namespaceSelector: "team == 'red'" });
    runSteps(new TestCluster([red, B]), [
      {
        step: "blue namespace skips a-red",
        act: add("blue/s"),
        expect: { "blue/s": [["10.0.1.0"], "Allocated"] },
      },
      {
        step: "blue asks for a-red",
        act: add("blue/t", { created: 1, annotations: pools(["a-red"]) }),
        expect: { "blue/t": [[], "NamespaceNotAllowed"] },
      },
      {
        step: "red namespace",
        act: (c) => {
          c.namespaces.set("red", { team: "red" });
          add("red/s", { created: 2 })(c);
        },
        expect: { "red/s": [["10.0.6.0"], "Allocated"] },
      },
      {
        step: "red loses its label",
        act: (c) => c.namespaces.set("red", {}),
        expect: { "red/s": [["10.0.1.1"], "Allocated"] },
      },
    ]);
  });

  it("makes a pool with an unparsable selector serve nobody", () => {
    const broken = ippool("a-broken", "10.0.6.0/30", { blockSize: 30, namespaceSelector: "team ==" });
    runSteps(new TestCluster([broken]), [
      { step: "served by nobody", act: add("ns/s"), expect: { "ns/s": [[], "PoolNotAllocatable"] } },
    ]);
  });

  // #11: a typo in an in-use pool's selector released every address of the pool, and fixing it moved nothing back.
  it("keeps every address a pool gave when its selector stops parsing, and changes nothing when it is fixed", () => {
    const team = (selector: string) =>
      ippool("a-pool", "10.0.0.0/30", { blockSize: 30, namespaceSelector: selector });
    runSteps(new TestCluster([team("team == 'red'"), B]), [
      {
        step: "red Services served by a-pool",
        act: (c) => {
          c.namespaces.set("red", { team: "red" });
          add("red/s1")(c);
          add("red/s2", { created: 1 })(c);
        },
        expect: { "red/s1": [["10.0.0.0"], "Allocated"], "red/s2": [["10.0.0.1"], "Allocated"] },
      },
      {
        step: "selector typo: addresses kept, nothing new from a-pool",
        act: (c) => {
          c.setPool(team("team == "));
          add("red/s3", { created: 2 })(c);
        },
        expect: {
          "red/s1": [["10.0.0.0"], "Allocated"],
          "red/s2": [["10.0.0.1"], "Allocated"],
          "red/s3": [["10.0.1.0"], "Allocated"],
        },
      },
      {
        step: "typo fixed: nothing moves",
        act: (c) => c.setPool(team("team == 'red'")),
        expect: {
          "red/s1": [["10.0.0.0"], "Allocated"],
          "red/s2": [["10.0.0.1"], "Allocated"],
          "red/s3": [["10.0.1.0"], "Allocated"],
        },
      },
      {
        step: "a selector that parses and excludes them releases",
        act: (c) => c.setPool(team("team == 'blue'")),
        expect: { "red/s1": [["10.0.1.1"], "Allocated"], "red/s2": [["10.0.1.2"], "Allocated"] },
      },
    ]);
  });
});

describe("pools changing", () => {
  it("keeps addresses of a disabled pool, gives no new ones, and moves Services off a deleted pool", () => {
    runSteps(new TestCluster([A, B]), [
      { step: "s1 in a-pool", act: add("ns/s1"), expect: { "ns/s1": [["10.0.0.0"], "Allocated"] } },
      {
        step: "a-pool disabled",
        act: (c) => {
          c.setPool(ippool("a-pool", "10.0.0.0/30", { blockSize: 30, disabled: true }));
          add("ns/s2", { created: 1 })(c);
        },
        expect: { "ns/s1": [["10.0.0.0"], "Allocated"], "ns/s2": [["10.0.1.0"], "Allocated"] },
      },
      {
        step: "a-pool deleted",
        act: (c) => c.deletePool("a-pool"),
        expect: { "ns/s1": [["10.0.1.1"], "Allocated"] },
      },
      {
        step: "b-pool deleted",
        act: (c) => c.deletePool("b-pool"),
        expect: { "ns/s1": [[], "NoPool"], "ns/s2": [[], "NoPool"] },
      },
    ]);
  });

  // #11: a Service naming a deleted pool kept its address (InvalidAnnotation), so a new pool over the
  // same range could never give that address to anyone.
  it("releases a deleted pool's addresses however they were asked for, and the Services wait", () => {
    const manual = ippool("m", "10.67.0.0/29", { blockSize: 29, assignmentMode: "Manual" });
    const again = ippool("m2", "10.67.0.0/29", { blockSize: 29 });
    runSteps(new TestCluster([manual]), [
      {
        step: "by pool annotation and by address",
        act: (c) => {
          add("ns/po", { annotations: pools(["m"]) })(c);
          add("ns/ip", { created: 1, annotations: ips(["10.67.0.5"]) })(c);
        },
        expect: { "ns/po": [["10.67.0.0"], "Allocated"], "ns/ip": [["10.67.0.5"], "Allocated"] },
      },
      {
        step: "m deleted: both released",
        act: (c) => c.deletePool("m"),
        expect: { "ns/po": [[], "PoolNotFound"], "ns/ip": [[], "RequestedIPNotInPool"] },
      },
      {
        step: "a new pool over the range serves them again",
        act: (c) => {
          c.setPool(again);
          add("ns/new", { created: 2 })(c);
        },
        expect: {
          "ns/po": [[], "PoolNotFound"],
          "ns/ip": [["10.67.0.5"], "Allocated"],
          "ns/new": [["10.67.0.0"], "Allocated"],
        },
      },
    ]);
  });

  it("lets the older of two overlapping pools serve and the newer none", () => {
    const older = ippool("z-old", "10.0.0.0/30", { blockSize: 30 }, { created: 1 });
    const newer = ippool("a-new", "10.0.0.0/29", { blockSize: 30 }, { created: 2 });
    runSteps(new TestCluster([newer, older]), [
      { step: "older serves", act: add("ns/s1"), expect: { "ns/s1": [["10.0.0.0"], "Allocated"] } },
      {
        step: "newer cannot be named",
        act: add("ns/s2", { created: 1, annotations: pools(["a-new"]) }),
        expect: { "ns/s2": [[], "PoolNotAllocatable"] },
      },
    ]);
  });

  it("moves Services off a terminating pool", () => {
    runSteps(new TestCluster([A, B]), [
      { step: "served", act: add("ns/s"), expect: { "ns/s": [["10.0.0.0"], "Allocated"] } },
      {
        step: "a-pool terminating",
        act: (c) => c.setPool(ippool("a-pool", "10.0.0.0/30", { blockSize: 30 }, { deleting: true })),
        expect: { "ns/s": [["10.0.1.0"], "Allocated"] },
      },
    ]);
  });
});

describe("dual stack", () => {
  it("SingleStack serves the first family only", () => {
    runSteps(new TestCluster([A, V6]), [
      {
        step: "IPv6 first",
        act: add("ns/s", { families: ["IPv6", "IPv4"], policy: "SingleStack" }),
        expect: { "ns/s": [["2001:db8::"], "Allocated"] },
      },
    ]);
  });

  it("writes ingress in spec.ipFamilies order", () => {
    runSteps(new TestCluster([A, V6]), [
      {
        step: "IPv6, IPv4",
        act: add("ns/s", { families: ["IPv6", "IPv4"], policy: "RequireDualStack" }),
        expect: { "ns/s": [["2001:db8::", "10.0.0.0"], "Allocated"] },
      },
    ]);
  });

  it("PreferDualStack serves what it can now and the rest later", () => {
    runSteps(new TestCluster([A]), [
      {
        step: "no IPv6 pool",
        act: add("ns/s", { families: ["IPv4", "IPv6"], policy: "PreferDualStack" }),
        expect: { "ns/s": [["10.0.0.0"], "Allocated"] },
      },
      {
        step: "IPv6 pool created",
        act: (c) => c.setPool(V6),
        expect: { "ns/s": [["10.0.0.0", "2001:db8::"], "Allocated"] },
      },
    ]);
  });

  it("RequireDualStack is all or none", () => {
    runSteps(new TestCluster([A]), [
      {
        step: "no IPv6 pool",
        act: add("ns/s", { families: ["IPv4", "IPv6"], policy: "RequireDualStack" }),
        expect: { "ns/s": [[], "NoPool"] },
      },
      {
        step: "IPv6 pool created",
        act: (c) => c.setPool(V6),
        expect: { "ns/s": [["10.0.0.0", "2001:db8::"], "Allocated"] },
      },
      {
        step: "IPv6 pool deleted",
        act: (c) => c.deletePool("v6-pool"),
        expect: { "ns/s": [[], "NoPool"] },
      },
      {
        step: "the IPv4 address went back to the pool",
        act: add("ns/t", { created: 5 }),
        expect: { "ns/t": [["10.0.0.0"], "Allocated"] },
      },
    ]);
    const cluster = new TestCluster([A]);
    cluster.setService(lbService("ns/s", { families: ["IPv4", "IPv6"], policy: "RequireDualStack" }));
    assert.deepEqual(
      cluster.decideFor("ns/s").families.map((f) => (f.action === "wait" ? f.reason : f.action)),
      ["FamilyPending", "NoPool"],
    );
  });

  it("takes one address per family from loadBalancerIPs and ipv6pools", () => {
    const v6b = ippool("v6-b", "2001:db8:1::/126", { blockSize: 126 });
    runSteps(new TestCluster([A, V6, v6b]), [
      {
        step: "IPv4 address and IPv6 pool",
        act: add("ns/s", {
          families: ["IPv4", "IPv6"],
          policy: "RequireDualStack",
          annotations: { ...ips(["10.0.0.2"]), [ANNOTATION_IPV6_POOLS]: '["v6-b"]' },
        }),
        expect: { "ns/s": [["10.0.0.2", "2001:db8:1::"], "Allocated"] },
      },
    ]);
  });
});

describe("malformed input and restarts", () => {
  it("keeps what it has on every malformed annotation, and other Services are untouched", () => {
    const cases: Record<string, string>[] = [
      { [ANNOTATION_LOADBALANCER_IPS]: "10.0.0.1" },
      { [ANNOTATION_LOADBALANCER_IPS]: '"10.0.0.1"' },
      { [ANNOTATION_LOADBALANCER_IPS]: "[1]" },
      { [ANNOTATION_LOADBALANCER_IPS]: '["10.0.0.300"]' },
      { [ANNOTATION_LOADBALANCER_IPS]: '["10.0.0.1", "10.0.0.2"]' },
      { [ANNOTATION_LOADBALANCER_IPS]: '["2001:db8::1"]' },
      { [ANNOTATION_IPV4_POOLS]: '[""]' },
      { [ANNOTATION_IPV6_POOLS]: "{}" },
    ];
    for (const annotations of cases) {
      runSteps(new TestCluster([A]), [
        {
          step: "served",
          act: (c) => {
            add("ns/s")(c);
            add("ns/o", { created: 1 })(c);
          },
          expect: { "ns/s": [["10.0.0.0"], "Allocated"] },
        },
        {
          step: `malformed ${JSON.stringify(annotations)}`,
          act: edit("ns/s", { annotations }),
          expect: { "ns/s": [["10.0.0.0"], "InvalidAnnotation"], "ns/o": [["10.0.0.1"], "Allocated"] },
        },
      ]);
    }
  });

  it("rebuilds from statuses: nothing moves, nothing is written, the older of two claimants keeps an address", () => {
    const first = new TestCluster([A, V6]);
    first.setService(lbService("ns/s1", { families: ["IPv4", "IPv6"], policy: "PreferDualStack" }));
    first.setService(lbService("ns/s2", { created: 1 }));
    first.settle();
    const restarted = new TestCluster([A, V6]);
    for (const service of first.services.values()) restarted.setService(service);
    restarted.settle();
    for (const key of first.services.keys())
      assert.deepEqual(restarted.services.get(key), first.services.get(key));

    const clash = new TestCluster([A]);
    clash.setService(lbService("ns/young", { created: 9, ingress: [{ ip: "10.0.0.0" }] }));
    clash.setService(lbService("ns/old", { created: 1, ingress: [{ ip: "10.0.0.0" }] }));
    runSteps(clash, [
      {
        step: "rebuild",
        expect: { "ns/old": [["10.0.0.0"], "Allocated"], "ns/young": [["10.0.0.1"], "Allocated"] },
      },
    ]);
  });

  it("keeps the addresses of a Service being deleted and gives it nothing new", () => {
    const cluster = new TestCluster([A]);
    cluster.setService(lbService("ns/s"));
    cluster.settle();
    const service = cluster.services.get("ns/s")!;
    cluster.setService({
      ...service,
      metadata: { ...service.metadata, deletionTimestamp: "2026-02-01T00:00:00Z" },
      spec: { ...service.spec, ipFamilies: ["IPv4", "IPv6"], ipFamilyPolicy: "PreferDualStack" },
    });
    const decision = cluster.decideFor("ns/s");
    assert.deepEqual(
      decision.families.map((f) => f.action),
      ["keep", "wait"],
    );
    assert.deepEqual(decision.release, []);
  });
});
