import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { InputError } from "../src/errors.js";
import { expandFilenames, parseManifests, readManifests } from "../src/manifests.js";
import { simulate } from "../src/simulate.js";
import { renderSimulation } from "../src/simulation-report.js";
import { fixtureObjects, objects, pool, service } from "./helpers/fixtures.js";

function assignments(result: ReturnType<typeof simulate>): Record<string, string> {
  return Object.fromEntries(
    result.services.map((s) => [
      s.service,
      `${s.outcome}${s.addresses.length ? ` ${s.addresses.join(",")}` : ""}${s.reason && s.outcome !== "allocated" ? ` ${s.reason}` : ""}`,
    ]),
  );
}

describe("simulate over the YAML fixtures", () => {
  it("keeps addresses in status, serves the rest oldest first, and says why the others wait", () => {
    const result = simulate(fixtureObjects("pools.yaml", "services.yaml"));
    assert.deepEqual(assignments(result), {
      "shop/old-web": "allocated 192.0.2.1",
      "shop/api": "allocated 192.0.2.0",
      "shop/pinned": "allocated 203.0.113.5",
      "shop/dual": "allocated 192.0.2.2,2001:db8::",
      "shop/wants-off": "pending PoolDisabled",
      "shop/bad": "invalid InvalidAnnotation",
      "shop/cluster-ip": "unmanaged",
    });
    const usage = Object.fromEntries(result.pools.map((p) => [p.name, `${p.allocated}/${p.total}`]));
    assert.deepEqual(usage, {
      "a-small": "3/4",
      "b-backup": "0/8",
      manual: "1/16",
      off: "0/16",
      v6: "1/256",
    });
    const text = renderSimulation(result);
    assert.match(
      text,
      /^shop\/wants-off +<pending> +- +pending +PoolDisabled +IPv4 pending: no IPv4 pool can serve: pool off is disabled$/m,
    );
    assert.match(text, /^4 allocated, 1 pending, 1 invalid, 1 unmanaged$/m);
    assert.match(text, /^a-small +IPv4 +192\.0\.2\.0\/30 .* \[###############\.\.\.\.\.\] 75\.0%$/m);
  });

  it("--delete-pool moves its Services to the next pool, skipping the reserved address", () => {
    const result = simulate(fixtureObjects("pools.yaml", "services.yaml"), { deletePools: ["a-small"] });
    const moved = assignments(result);
    assert.equal(moved["shop/old-web"], "allocated 198.51.100.1");
    assert.equal(moved["shop/api"], "allocated 198.51.100.2");
    assert.equal(moved["shop/dual"], "allocated 198.51.100.3,2001:db8::");
    assert.deepEqual(result.services.find((s) => s.service === "shop/old-web")!.before, ["192.0.2.1"]);
    assert.equal(
      result.pools.find((p) => p.name === "a-small"),
      undefined,
    );
  });

  it("--add-services fills the pools and shows where they run out", () => {
    const result = simulate(fixtureObjects("pools.yaml", "services.yaml"), { addServices: 9 });
    const added = result.services.filter((s) => s.service.startsWith("default/simulated-"));
    assert.equal(added.length, 9);
    assert.deepEqual(
      added.map((s) => s.addresses[0] ?? s.reason),
      ["192.0.2.3", ...[1, 2, 3, 4, 5, 6, 7].map((n) => `198.51.100.${n}`), "PoolExhausted"],
    );
    assert.equal(result.pools.find((p) => p.name === "b-backup")!.free, 0);
  });

  it("--add-services with both families and a namespace", () => {
    const result = simulate(
      objects({
        pools: [pool("v4", { cidr: "192.0.2.0/30", blockSize: 30 }), pool("v6", { cidr: "2001:db8::/120" })],
      }),
      {
        addServices: 1,
        addNamespace: "team",
        addFamilies: ["IPv6", "IPv4"],
      },
    );
    assert.deepEqual(assignments(result), { "team/simulated-1": "allocated 2001:db8::,192.0.2.0" });
  });

  it("the older Service wins an address both ask for, whatever the file order", () => {
    const pinned = { "projectcalico.org/loadBalancerIPs": '["192.0.2.1"]' };
    const result = simulate(
      objects({
        pools: [pool("edge", { cidr: "192.0.2.0/30", blockSize: 30 })],
        services: [
          service("ns/young", { created: "2026-02-01T00:00:00Z", annotations: pinned }),
          service("ns/old", { created: "2026-01-01T00:00:00Z", annotations: pinned }),
        ],
      }),
    );
    assert.deepEqual(assignments(result), {
      "ns/old": "allocated 192.0.2.1",
      "ns/young": "pending RequestedIPInUse",
    });
  });

  it("an address a younger Service gives up goes to the older one waiting for it", () => {
    // young holds 192.0.2.1 in its status but now asks for pool b: it releases
    // the address after old (reconciled first) found it taken; the next pass serves old.
    const result = simulate(
      objects({
        pools: [
          pool("a", { cidr: "192.0.2.0/30", blockSize: 30 }),
          pool("b", { cidr: "198.51.100.0/30", blockSize: 30 }),
        ],
        services: [
          service("ns/old", {
            created: "2026-01-01T00:00:00Z",
            annotations: { "projectcalico.org/loadBalancerIPs": '["192.0.2.1"]' },
          }),
          service("ns/young", {
            created: "2026-02-01T00:00:00Z",
            annotations: { "projectcalico.org/ipv4pools": '["b"]' },
            ingress: ["192.0.2.1"],
          }),
        ],
      }),
    );
    assert.deepEqual(assignments(result), {
      "ns/old": "allocated 192.0.2.1",
      "ns/young": "allocated 198.51.100.0",
    });
  });

  it("RequireDualStack takes no address when one family cannot be served; PreferDualStack takes what it can", () => {
    const dual = (policy: "RequireDualStack" | "PreferDualStack") => ({
      type: "LoadBalancer",
      ipFamilies: ["IPv4", "IPv6"] as ("IPv4" | "IPv6")[],
      ipFamilyPolicy: policy,
    });
    const result = simulate(
      objects({
        pools: [pool("v4", { cidr: "192.0.2.0/30", blockSize: 30 })],
        services: [
          service("ns/require", { created: "2026-01-01T00:00:00Z", spec: dual("RequireDualStack") }),
          service("ns/prefer", { created: "2026-01-02T00:00:00Z", spec: dual("PreferDualStack") }),
        ],
      }),
    );
    assert.deepEqual(assignments(result), {
      "ns/require": "pending NoPool",
      "ns/prefer": "partial 192.0.2.0 Allocated",
    });
  });

  it("namespace selectors read the labels of the Namespaces given", () => {
    const result = simulate(
      objects({
        pools: [pool("team", { cidr: "192.0.2.0/30", blockSize: 30, namespaceSelector: "team == 'red'" })],
        namespaces: [{ metadata: { name: "red", labels: { team: "red" } } }],
        services: [
          service("red/a", { created: "2026-01-01T00:00:00Z" }),
          service("blue/b", { created: "2026-01-02T00:00:00Z" }),
        ],
      }),
    );
    assert.deepEqual(assignments(result), {
      "red/a": "allocated 192.0.2.0",
      "blue/b": "pending NamespaceNotAllowed",
    });
  });

  describe("Services whose Namespace was not given", () => {
    const selecting = () =>
      objects({
        pools: [
          pool("team", { cidr: "192.0.2.0/30", blockSize: 30, namespaceSelector: "team == 'red'" }),
          pool("any", { cidr: "198.51.100.0/30", blockSize: 30, namespaceSelector: "all()" }),
        ],
        namespaces: [{ metadata: { name: "red", labels: { team: "red" } } }],
        services: [
          service("red/a", { created: "2026-01-01T00:00:00Z" }),
          service("green/c", { created: "2026-01-02T00:00:00Z" }),
          service("blue/b", { created: "2026-01-03T00:00:00Z" }),
          service("blue/d", { created: "2026-01-04T00:00:00Z" }),
          service("white/internal", { spec: { type: "ClusterIP" } }),
        ],
      });

    it("are a problem naming their namespaces and the pools that select by label", () => {
      const { problems } = simulate(selecting());
      assert.equal(problems.length, 1);
      assert.match(
        problems[0]!,
        /^no Namespace given for namespaces blue, green, which have LoadBalancer Services: /,
      );
      assert.match(problems[0]!, /the namespaceSelector of pool team is matched as if they had no labels/);
      assert.match(problems[0]!, /kubectl get services,namespaces -A -o yaml/);
      assert.doesNotMatch(problems[0]!, /\bred\b|white|\bany\b/);
      assert.match(
        renderSimulation(simulate(selecting())),
        /^problem: no Namespace given for namespaces blue, green/m,
      );
    });

    it("count the namespace of added Services", () => {
      const given = selecting();
      given.services = given.services.filter((s) => s.metadata.namespace === "red");
      const { problems } = simulate(given, { addServices: 1, addNamespace: "yellow" });
      assert.match(problems[0] ?? "", /^no Namespace given for namespace yellow, which has /);
    });

    it("are no problem when no pool selects namespaces by label", () => {
      const plain = selecting();
      plain.pools = [
        pool("blank", { cidr: "192.0.2.0/30", blockSize: 30, namespaceSelector: " " }),
        pool("any", { cidr: "198.51.100.0/30", blockSize: 30, namespaceSelector: " all() " }),
        pool("unset", { cidr: "203.0.113.0/30", blockSize: 30 }),
        // Not a LoadBalancer pool: its selector decides nothing here.
        pool("workloads", {
          cidr: "10.0.0.0/16",
          allowedUses: ["Workload"],
          namespaceSelector: "team == 'red'",
        }),
      ];
      assert.deepEqual(simulate(plain).problems, []);
    });

    it("are no problem once the only selecting pool is deleted", () => {
      assert.deepEqual(simulate(selecting(), { deletePools: ["team"] }).problems, []);
    });
  });

  it("RequestedServicesOnly leaves Services that ask for nothing alone", () => {
    const result = simulate(
      objects({
        pools: [pool("edge", { cidr: "192.0.2.0/30", blockSize: 30 })],
        configuration: {
          metadata: { name: "default" },
          spec: { controllers: { loadBalancer: { AssignIPs: "RequestedServicesOnly" } } },
        },
        services: [
          service("ns/plain", { created: "2026-01-01T00:00:00Z" }),
          service("ns/asks", {
            created: "2026-01-02T00:00:00Z",
            annotations: { "projectcalico.org/ipv4pools": '["edge"]' },
          }),
        ],
      }),
    );
    assert.deepEqual(assignments(result), { "ns/plain": "unmanaged", "ns/asks": "allocated 192.0.2.0" });
  });

  it("two Services showing one address: the older keeps it, the other is reassigned, and it is reported", () => {
    const result = simulate(
      objects({
        pools: [pool("edge", { cidr: "192.0.2.0/30", blockSize: 30 })],
        services: [
          service("ns/b", { created: "2026-02-01T00:00:00Z", ingress: ["192.0.2.2"] }),
          service("ns/a", { created: "2026-01-01T00:00:00Z", ingress: ["192.0.2.2"] }),
        ],
      }),
    );
    assert.deepEqual(assignments(result), { "ns/a": "allocated 192.0.2.2", "ns/b": "allocated 192.0.2.0" });
    assert.deepEqual(result.problems, [
      "192.0.2.2 is in the status of both ns/a and ns/b; the older, ns/a, keeps it",
    ]);
  });

  it("predicts sharing: one sharing key and disjoint ports (TCP and UDP 53) share an address, a port collision gets its own", () => {
    const dns = (key: string, created: string, protocol: "TCP" | "UDP") =>
      service(key, {
        created,
        annotations: { "lbipam.io/sharing-key": "dns" },
        spec: { type: "LoadBalancer", ports: [{ port: 53, protocol }] },
      });
    const result = simulate(
      objects({
        pools: [pool("edge", { cidr: "192.0.2.0/30", blockSize: 30 })],
        services: [
          dns("ns/tcp", "2026-01-01T00:00:00Z", "TCP"),
          dns("ns/udp", "2026-01-02T00:00:00Z", "UDP"),
          dns("ns/clash", "2026-01-03T00:00:00Z", "TCP"),
        ],
      }),
    );
    assert.deepEqual(assignments(result), {
      "ns/tcp": "allocated 192.0.2.0",
      "ns/udp": "allocated 192.0.2.0",
      "ns/clash": "allocated 192.0.2.1",
    });
    assert.deepEqual(result.shared, [{ address: "192.0.2.0", key: "dns", services: ["ns/tcp", "ns/udp"] }]);
    const clash = result.services.find((s) => s.service === "ns/clash")!;
    assert.match(
      clash.message ?? "",
      /192\.0\.2\.0 of sharing key "dns" is not shared: port TCP\/53 is used by Service ns\/tcp/,
    );
    const text = renderSimulation(result);
    assert.match(text, /^192\.0\.2\.0 shared by ns\/tcp, ns\/udp \(sharing key "dns"\)$/m);
    assert.doesNotMatch(text, /^192\.0\.2\.1 shared/m);
    // The pool counts a shared address once.
    assert.equal(result.pools[0]!.allocated, 2);
  });

  it("an unknown --delete-pool is an error naming the pool", () => {
    assert.throws(
      () => simulate(fixtureObjects("pools.yaml"), { deletePools: ["nope"] }),
      (error: unknown) => error instanceof InputError && /--delete-pool nope/.test(error.message),
    );
  });
});

describe("manifests", () => {
  it("expands -f DIR as kubectl does: its .json, .yaml and .yml files in name order, subdirectories only with -R", () => {
    // kubectl read a directory; simulate failed with EISDIR (#17).
    const dir = mkdtempSync(join(tmpdir(), "lbipam-f-"));
    mkdirSync(join(dir, "sub"));
    const pool =
      "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: p}\nspec: {cidr: 192.0.2.0/30, allowedUses: [LoadBalancer]}\n";
    writeFileSync(join(dir, "b-pool.yml"), pool);
    writeFileSync(join(dir, "a.json"), JSON.stringify({ apiVersion: "v1", kind: "List", items: [] }));
    writeFileSync(join(dir, "notes.txt"), "not a manifest");
    writeFileSync(
      join(dir, "sub", "svc.yaml"),
      "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: ns}\nspec: {type: LoadBalancer}\n",
    );
    assert.deepEqual(expandFilenames([dir]), [join(dir, "a.json"), join(dir, "b-pool.yml")]);
    assert.deepEqual(expandFilenames([dir], true), [
      join(dir, "a.json"),
      join(dir, "b-pool.yml"),
      join(dir, "sub", "svc.yaml"),
    ]);
    // A file named on its own is read whatever its name.
    assert.deepEqual(expandFilenames([join(dir, "notes.txt"), "-"]), [join(dir, "notes.txt"), "-"]);
    const { objects } = readManifests([dir], true);
    assert.deepEqual([objects.pools.length, objects.services.length], [1, 1]);
    assert.throws(() => expandFilenames([join(dir, "missing")]), InputError);
    mkdirSync(join(dir, "empty"));
    assert.throws(() => expandFilenames([join(dir, "empty")]), /no \.json, \.yaml or \.yml files/);
  });

  it("reads Lists and multi-document streams, defaults the namespace, reports kinds it ignores", () => {
    const { objects: read, ignored } = parseManifests([
      {
        source: "x.yaml",
        text: "kind: Service\nmetadata: {name: a}\nspec: {type: LoadBalancer}\n---\nkind: ConfigMap\nmetadata: {name: c}\n---\n",
      },
    ]);
    assert.equal(read.services[0]!.metadata.namespace, "default");
    assert.deepEqual(ignored, ["x.yaml: ConfigMap c (not read by simulate)"]);
  });

  it("reads typed lists as the API returns them, their items without kind", () => {
    const { objects: read } = parseManifests([
      {
        source: "x.json",
        text: JSON.stringify({
          kind: "ServiceList",
          items: [
            { kind: "Service", metadata: { name: "a", namespace: "ns" }, spec: { type: "LoadBalancer" } },
          ],
        }),
      },
    ]);
    assert.deepEqual(
      read.services.map((s) => `${s.metadata.namespace}/${s.metadata.name}`),
      ["ns/a"],
    );
  });

  const bad: [string, RegExp][] = [
    ["kind: IPPool\nspec: {}\n", /x\.yaml: a IPPool without metadata.name/],
    ["- 1\n", /expected an object/],
    [
      "kind: IPPool\nmetadata: {name: a}\n---\nkind: IPPool\nmetadata: {name: a}\n",
      /IPPool a is given twice/,
    ],
    ["kind: [\n", /x\.yaml: /],
  ];
  for (const [text, message] of bad) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      assert.throws(
        () => parseManifests([{ source: "x.yaml", text }]),
        (e: unknown) => e instanceof InputError && message.test(e.message),
      );
    });
  }
});

describe("simulate with Calico's IPAM blocks (files from kubectl get ipamblocks.crd.projectcalico.org -o yaml)", () => {
  it("keeps what Calico's controller recorded for each Service, gives a Service its recorded address when its status lost it, and never gives a recorded address to another", () => {
    const result = simulate(fixtureObjects("calico/v1.yaml"));
    assert.deepEqual(assignments(result), {
      "shop/kept": "allocated 10.80.0.1",
      "shop/unshown": "allocated 10.80.0.2",
      "shop/new": "allocated 10.80.0.3",
    });
    // The gone Service's address stays out of use: four of eight taken.
    assert.equal(result.pools.find((p) => p.name === "lb")?.allocated, 4);
  });

  it("without the blocks, the Service whose status lost its address is given another: the check a migration needs", () => {
    const all = fixtureObjects("calico/v1.yaml");
    const result = simulate({ ...all, blocks: [] });
    assert.deepEqual(assignments(result), {
      "shop/kept": "allocated 10.80.0.1",
      "shop/unshown": "allocated 10.80.0.0",
      "shop/new": "allocated 10.80.0.2",
    });
  });
});
