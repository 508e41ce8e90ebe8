// Random small clusters run through a tiny controller loop (decide, then
// release / claim / allocate on a real PoolSet, until nothing changes),
// checking what must hold whatever the cluster looks like.
import assert from "node:assert/strict";
import { it } from "node:test";
import { type Family, parseAddress } from "@lbipam/allocator";
import {
  ANNOTATION_IPV4_POOLS,
  ANNOTATION_IPV6_POOLS,
  ANNOTATION_LOADBALANCER_IPS,
  ANNOTATION_SHARING_CROSS_NAMESPACE,
  ANNOTATION_SHARING_KEY,
  type Decision,
  type IPPool,
  parseServiceRequest,
  type Service,
  serviceKey,
  whyCannotShare,
  whyUnmanaged,
} from "@lbipam/api";
import fc from "fast-check";
import { ippool, lbService, TestCluster } from "./helpers/cluster.js";

const POOL_CIDRS = [
  "10.0.0.0/30",
  "10.0.0.0/29",
  "10.0.1.0/30",
  "10.0.2.0/31",
  "2001:db8::/126",
  "2001:db8::/125",
];
// Pool i has POOL_CIDRS[i]: p0..p3 IPv4, p4 and p5 IPv6; p0 and p1, p4 and p5 overlap.
const POOL_NAMES = ["p0", "p1", "p2", "p3", "p4", "p5"];
const SELECTORS = [
  undefined,
  undefined,
  undefined,
  undefined,
  "team == 'red'",
  "team != 'red'",
  "has(team",
  "all()",
  // Hostile: a typo'd comparison, nesting past the depth read, text past the length read.
  "team == ",
  `${"(".repeat(40)}all()${")".repeat(40)}`,
  `team == '${"r".repeat(17_000)}'`,
];
const ADDRESSES = ["10.0.0.1", "10.0.0.5", "10.0.1.2", "10.0.2.1", "10.0.9.9", "2001:db8::1", "2001:db8::6"];

const poolArb = fc.record({
  cidr: fc.constantFrom(...POOL_CIDRS),
  manual: fc.boolean(),
  disabled: fc.boolean(),
  selector: fc.constantFrom(...SELECTORS),
  loadBalancer: fc.nat(9).map((n) => n > 0),
  created: fc.nat(5),
  deleting: fc.nat(9).map((n) => n === 0),
});

const annotationArb = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 6 },
  {
    arbitrary: fc.record({
      key: fc.constant(ANNOTATION_IPV4_POOLS),
      names: fc.subarray(["p0", "p1", "p2", "p3", "p4", "nope"], { minLength: 1, maxLength: 2 }),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      key: fc.constant(ANNOTATION_IPV6_POOLS),
      names: fc.subarray(["p4", "p5"], { minLength: 1 }),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      key: fc.constant(ANNOTATION_LOADBALANCER_IPS),
      names: fc.subarray(ADDRESSES, { minLength: 1, maxLength: 1 }),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      key: fc.constant(ANNOTATION_LOADBALANCER_IPS),
      names: fc.subarray(ADDRESSES, { minLength: 2 }),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({ key: fc.constant(ANNOTATION_LOADBALANCER_IPS), names: fc.constant(["not json"]) }),
    weight: 1,
  },
  // Hostile input (behaviour.md "Bounded work for any input").
  {
    arbitrary: fc.record({
      key: fc.constantFrom(ANNOTATION_IPV4_POOLS, ANNOTATION_IPV6_POOLS),
      names: fc.nat(3).map((n) => Array.from({ length: 30 + n * 500 }, (_, i) => `missing-${i}`)),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      key: fc.constant(ANNOTATION_LOADBALANCER_IPS),
      names: fc.constantFrom(ADDRESSES).map((ip) => [ip, ip]),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      key: fc.constantFrom("projectcalico.org/loadBalancerIps", "projectcalico.org/IPv4pools"),
      names: fc.subarray(ADDRESSES, { minLength: 1, maxLength: 1 }),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({ key: fc.constant(ANNOTATION_IPV4_POOLS), names: fc.constant(["deep json"]) }),
    weight: 1,
  },
);

const serviceArb = fc.record({
  namespace: fc.constantFrom("red", "blue"),
  families: fc.constantFrom<("IPv4" | "IPv6")[][]>(
    ["IPv4"],
    ["IPv4"],
    ["IPv6"],
    ["IPv4", "IPv6"],
    ["IPv6", "IPv4"],
  ),
  policy: fc.constantFrom("SingleStack", "PreferDualStack", "RequireDualStack"),
  annotation: annotationArb,
  type: fc.nat(9).map((n) => (n === 0 ? "ClusterIP" : "LoadBalancer")),
  loadBalancerClass: fc.constantFrom(undefined, undefined, undefined, undefined, "calico", "other"),
  created: fc.nat(20),
  ingress: fc.subarray([...ADDRESSES, "lb.example"], { maxLength: 2 }),
  // Sharing: two keys, ports that collide or not, both traffic policies, namespaces let in or not.
  sharingKey: fc.constantFrom(undefined, undefined, "k1", "k1", "k2"),
  crossNamespace: fc.constantFrom(undefined, undefined, "*", "red", "blue,red", "not a name!"),
  ports: fc.subarray(["TCP/53", "UDP/53", "TCP/80", "TCP/443"], { minLength: 1, maxLength: 2 }),
  local: fc.nat(4).map((n) => n === 0),
  selector: fc.constantFrom(undefined, { app: "a" }, { app: "b" }),
});

const clusterArb = fc.record({
  pools: fc.array(poolArb, { minLength: 3, maxLength: 6 }),
  services: fc.array(serviceArb, { minLength: 1, maxLength: 12 }),
  requestedOnly: fc.nat(3).map((n) => n === 0),
  redLabelled: fc.boolean(),
});

type ClusterSpec = typeof clusterArb extends fc.Arbitrary<infer T> ? T : never;

function build(spec: ClusterSpec): TestCluster {
  const pools: IPPool[] = spec.pools.map((p, i) =>
    ippool(
      POOL_NAMES[i]!,
      POOL_CIDRS[i]!,
      {
        // One block per pool, so small pools stay valid.
        blockSize: Number(POOL_CIDRS[i]!.split("/")[1]),
        allowedUses: p.loadBalancer ? ["LoadBalancer"] : ["Workload"],
        assignmentMode: p.manual ? "Manual" : "Automatic",
        disabled: p.disabled,
        ...(p.selector === undefined ? {} : { namespaceSelector: p.selector }),
      },
      { created: p.created, deleting: p.deleting },
    ),
  );
  const cluster = new TestCluster(pools);
  cluster.namespaces.set("red", spec.redLabelled ? { team: "red" } : {});
  cluster.config = {
    ...cluster.config,
    assignIPs: spec.requestedOnly ? "RequestedServicesOnly" : "AllServices",
  };
  spec.services.forEach((s, i) => {
    const annotations: Record<string, string> | undefined = s.annotation
      ? { [s.annotation.key]: JSON.stringify(s.annotation.names) }
      : undefined;
    if (s.annotation?.names[0] === "not json") annotations![s.annotation.key] = "not json";
    if (s.annotation?.names[0] === "deep json") {
      annotations![s.annotation.key] = `${"[".repeat(5000)}${"]".repeat(5000)}`;
    }
    const sharing = {
      ...(s.sharingKey ? { [ANNOTATION_SHARING_KEY]: s.sharingKey } : {}),
      ...(s.crossNamespace ? { [ANNOTATION_SHARING_CROSS_NAMESPACE]: s.crossNamespace } : {}),
    };
    cluster.setService(
      lbService(`${s.namespace}/s${i}`, {
        families: s.families,
        policy: s.policy as "SingleStack",
        type: s.type,
        created: s.created,
        ...(annotations || s.sharingKey || s.crossNamespace
          ? { annotations: { ...annotations, ...sharing } }
          : {}),
        ports: s.ports,
        externalTrafficPolicy: s.local ? "Local" : "Cluster",
        ...(s.selector ? { selector: s.selector } : {}),
        ...(s.loadBalancerClass ? { loadBalancerClass: s.loadBalancerClass } : {}),
        ...(s.ingress.length > 0
          ? { ingress: s.ingress.map((x) => (x.includes(".e") ? { hostname: x } : { ip: x })) }
          : {}),
      }),
    );
  });
  return cluster;
}

function decideAll(cluster: TestCluster): Map<string, Decision> {
  return new Map([...cluster.services.keys()].map((key) => [key, cluster.decideFor(key)]));
}

/** An Automatic pool that could give this Service a new address of the family right now (a naive oracle). */
function couldServe(cluster: TestCluster, service: Service, family: Family): boolean {
  const labels = cluster.namespaces.get(service.metadata.namespace!) ?? {};
  return [...cluster.views.values()].some(
    (view) =>
      view.loadBalancer &&
      view.mode === "Automatic" &&
      view.family === family &&
      !view.disabled &&
      !view.terminating &&
      view.problems.length === 0 &&
      view.namespaceMatcher?.(labels) === true &&
      cluster.poolSet.isServing(view.name) &&
      (cluster.poolSet.get(view.name)?.counts().free ?? 0) > 0,
  );
}

it("random clusters settle with every address held once, stable answers, and no servable Service left waiting", () => {
  fc.assert(
    fc.property(clusterArb, (spec) => {
      const cluster = build(spec);
      cluster.settle(40);
      cluster.assertSharedOnlyByKey();

      // The ledger and the statuses agree: whoever holds an address shows it.
      for (const [address, key] of cluster.held()) {
        const [family, value] = address.split("/");
        const shown = (cluster.services.get(key)?.status?.loadBalancer?.ingress ?? []).some((entry) => {
          if (!entry.ip) return false;
          const parsed = parseAddress(entry.ip);
          return parsed.family === Number(family) && parsed.value === BigInt(value!);
        });
        assert.ok(shown, `${key} holds ${address} but does not show it`);
      }

      // An unchanged cluster gives unchanged answers: the same decisions twice,
      // nothing left to claim, allocate or release, and a further pass changes nothing.
      const decisions = decideAll(cluster);
      assert.deepEqual(decideAll(cluster), decisions);
      for (const decision of decisions.values()) {
        assert.deepEqual(decision.release, [], `${decision.key} would still release`);
        for (const family of decision.families) {
          assert.ok(
            family.action === "keep" || family.action === "wait",
            `${decision.key}: ${family.action}`,
          );
        }
      }
      for (const key of cluster.keysOldestFirst())
        assert.equal(cluster.reconcile(key), false, `${key} changed`);

      // No two Services want the same address, unless their sharing key lets them share it.
      const wanted = new Map<string, string[]>();
      for (const decision of decisions.values()) {
        for (const family of decision.families) {
          if (family.action !== "keep") continue;
          for (const other of wanted.get(family.address) ?? []) {
            const theirs = decisions.get(other)!.sharing;
            const why = decision.sharing ? whyCannotShare(decision.sharing, other, theirs) : "no sharing key";
            assert.equal(why, undefined, `${family.address} wanted by ${other} and ${decision.key}`);
          }
          wanted.set(family.address, [...(wanted.get(family.address) ?? []), decision.key]);
        }
      }

      // A managed Service that asks for nothing in particular and still waits
      // for a family really has no Automatic pool with a free address for it.
      for (const service of cluster.services.values()) {
        const request = parseServiceRequest(service);
        if (whyUnmanaged(service, request, cluster.config) !== undefined) continue;
        if (
          request.asks ||
          request.problems.length > 0 ||
          service.spec?.ipFamilyPolicy === "RequireDualStack"
        )
          continue;
        const decision = decisions.get(serviceKey(service))!;
        for (const family of decision.families) {
          if (family.action !== "wait") continue;
          assert.ok(
            !couldServe(cluster, service, family.family),
            `${decision.key} waits for IPv${family.family} (${family.reason}) though a pool has room`,
          );
        }
      }
    }),
    { numRuns: 300 },
  );
});

it("decide changes neither the PoolSet nor the Service", () => {
  fc.assert(
    fc.property(clusterArb, (spec) => {
      const cluster = build(spec);
      const counts = () =>
        cluster.poolSet.list().map((pool) => [pool.name, pool.counts(), pool.allocatedAddresses()]);
      const before = counts();
      const services = structuredClone([...cluster.services.values()]);
      decideAll(cluster);
      assert.deepEqual(counts(), before);
      assert.deepEqual([...cluster.services.values()], services);
    }),
    { numRuns: 100 },
  );
});

it("every address held comes from a LoadBalancer pool that serves the Service's namespace", () => {
  fc.assert(
    fc.property(clusterArb, (spec) => {
      const cluster = build(spec);
      cluster.settle(40);
      for (const [address, key] of cluster.held()) {
        // A Service with a malformed annotation keeps what it had, whatever it was.
        if (cluster.reason(key) === "InvalidAnnotation") continue;
        const [family, value] = address.split("/");
        const pool = cluster.poolSet.find(Number(family) as Family, BigInt(value!));
        const view = pool && cluster.views.get(pool.name);
        assert.ok(view?.loadBalancer, `${key} holds ${address} outside every serving LoadBalancer pool`);
        const labels = cluster.namespaces.get(cluster.services.get(key)!.metadata.namespace!) ?? {};
        // A selector that does not parse keeps what the pool gave; one that parses must select the namespace.
        assert.ok(view.namespaceMatcher?.(labels) ?? true, `${key} holds ${address} of ${view.name}`);
        assert.equal(view.terminating, false, `${key} holds ${address} of terminating ${view.name}`);
      }
    }),
    { numRuns: 100 },
  );
});

/** A pool edit a careless user makes, and the rule (if any) by which it may take addresses away. */
const poolEditArb = fc.record({
  pool: fc.nat(5),
  edit: fc.constantFrom("typo-selector", "deep-selector", "disable", "delete", "exclude-selector"),
});

it("a pool edit takes an address away only by a rule: the pool deleted, or a selector that parses excludes the Namespace", () => {
  fc.assert(
    fc.property(clusterArb, poolEditArb, (spec, { pool: index, edit }) => {
      const cluster = build(spec);
      cluster.settle(40);
      const name = POOL_NAMES[index]!;
      const object = cluster.pools.get(name);
      fc.pre(object !== undefined);
      const before = cluster.held();
      // A malformed annotation keeps what the Service had, whatever it was; once the
      // pool it names is deleted the Service waits instead (behaviour.md "Pool edits
      // never take addresses by accident"), so it lets go of that kept address too.
      const keptByMalformedAnnotationNaming = new Set(
        [...cluster.services.keys()].filter((key) => {
          const decision = cluster.decideFor(key);
          return decision.condition?.reason === "InvalidAnnotation" && decision.requestedPools.includes(name);
        }),
      );
      const edited = cluster.poolSet.get(name);
      const inEdited = (address: string) => {
        const [family, value] = address.split("/");
        return edited?.contains(BigInt(value!)) === true && edited.spec.family === Number(family);
      };
      if (edit === "delete") cluster.deletePool(name);
      else {
        const selector = {
          "typo-selector": "team == ",
          "deep-selector": `${"(".repeat(40)}all()${")".repeat(40)}`,
          "exclude-selector": "team == 'nobody'",
          disable: object.spec.namespaceSelector,
        }[edit];
        cluster.setPool({
          ...object,
          spec: {
            ...object.spec,
            ...(selector === undefined ? {} : { namespaceSelector: selector }),
            ...(edit === "disable" ? { disabled: true } : {}),
          },
        });
      }
      cluster.settle(40);
      cluster.assertSharedOnlyByKey();
      const after = new Set(cluster.held().map(([address, key]) => `${address} ${key}`));
      for (const [address, key] of before) {
        if (after.has(`${address} ${key}`)) continue;
        if (edit === "delete" && keptByMalformedAnnotationNaming.has(key)) continue;
        // A selector that does not parse, and disabling, keep every address the pool gave.
        assert.ok(
          edit === "delete" || edit === "exclude-selector",
          `${edit} of ${name} took ${address} from ${key}`,
        );
        // RequireDualStack is all or none: losing the edited pool's address gives back the other family's.
        const allOrNone =
          cluster.services.get(key)?.spec?.ipFamilyPolicy === "RequireDualStack" &&
          [...before].some(([other, holder]) => holder === key && inEdited(other));
        assert.ok(
          inEdited(address) || allOrNone,
          `${edit} of ${name} took ${address} (of another pool) from ${key}`,
        );
      }
    }),
    { numRuns: 200 },
  );
});
