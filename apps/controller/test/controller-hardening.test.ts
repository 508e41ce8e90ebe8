// Hostile and careless input, through the embedded API server (and the real
// kubectl where a user would type it): behaviour.md "Bounded work for any
// input", "Pool edits never take addresses by accident", "Addresses shown by
// Services lbipam does not manage", "Conflicts found at start". Each test has
// its own namespace and pools, so any one runs alone.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as k from "./helpers/cluster.js";
import {
  createPool,
  createReservation,
  ingressOf,
  type loadBalancer,
  mergePatch,
  oneAddressOf,
  waitFor,
} from "./helpers/cluster.js";

/** behaviour.md: condition and Event messages are at most 1 KiB. */
const MESSAGE_BOUND = 1024;

const suite = k.runningController();
const kubectl = (...args: string[]) => k.kubectl(suite.cluster, ...args);

/** `kubectl patch ippool NAME --type merge -p {"spec":{"namespaceSelector":...}}`, as a user types it. */
function patchSelector(pool: string, patch: string): Promise<string> {
  return kubectl("patch", "ippool", pool, "--type", "merge", "-p", patch);
}

async function namespace(name: string): Promise<string> {
  await suite.cluster.core.createNamespace({ body: { metadata: { name } } });
  return name;
}

const waitReason = (ns: string, name: string, reason: string) =>
  k.waitReason(suite.cluster, ns, name, reason);
const eventsOf = (ns: string, name: string) => k.eventsOf(suite.cluster, ns, name);
const waitEvent = (ns: string, name: string, reason: string) => k.waitEvent(suite.cluster, ns, name, reason);
const waitIps = (ns: string, name: string, expected: string[]) =>
  k.waitIngress(suite.cluster, ns, name, expected);
const createService = (ns: string, name: string, extra: Parameters<typeof loadBalancer>[1] = {}) =>
  k.createService(suite.cluster, ns, name, extra);

/** A status written by someone else (another controller, a hand-made status). */
async function showAddresses(ns: string, name: string, ips: string[]) {
  await suite.cluster.core.patchNamespacedServiceStatus(
    { namespace: ns, name, body: { status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } } } },
    mergePatch,
  );
}

/** A fresh Service of its own pool gets its address: the controller is working, and behind nothing. */
async function servesAFreshService(ns: string, pool: string): Promise<void> {
  const name = `fresh-${Math.random().toString(36).slice(2, 8)}`;
  await createService(ns, name, { annotations: { "projectcalico.org/ipv4pools": JSON.stringify([pool]) } });
  await oneAddressOf(suite.cluster, ns, name);
}

function metricValue(text: string, name: string, pool: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && l.includes(`pool="${pool}"`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("addresses shown by Services lbipam does not manage", () => {
  it("never gives another controller's address to a Service, names its holder, and leaves it alone", async () => {
    const ns = await namespace("hard-foreign");
    await createPool(suite.cluster, "h-foreign", {
      cidr: "10.70.0.0/29",
      blockSize: 29,
      assignmentMode: "Manual",
    });
    await createService(ns, "other", { spec: { loadBalancerClass: "example.com/other" } });
    // 10.70.0.0 is the address lbipam would hand out first.
    await showAddresses(ns, "other", ["10.70.0.0"]);
    const shown = (await suite.cluster.core.readNamespacedService({ namespace: ns, name: "other" })).metadata
      ?.resourceVersion;
    await waitFor(
      async () =>
        metricValue(
          await suite.controller.metrics.registry.metrics(),
          "lbipam_foreign_addresses",
          "h-foreign",
        ),
      (value) => value === 1,
      "lbipam_foreign_addresses{pool=h-foreign} 1",
    );
    await createService(ns, "mine", { annotations: { "projectcalico.org/ipv4pools": '["h-foreign"]' } });
    assert.deepEqual(await oneAddressOf(suite.cluster, ns, "mine"), ["10.70.0.1"]);
    await createService(ns, "asks", {
      annotations: { "projectcalico.org/loadBalancerIPs": '["10.70.0.0"]' },
    });
    const waiting = await waitReason(ns, "asks", "RequestedIPInUse");
    assert.match(waiting?.message ?? "", /hard-foreign\/other/);
    const other = await suite.cluster.core.readNamespacedServiceStatus({ namespace: ns, name: "other" });
    assert.equal(other.metadata?.resourceVersion, shown, "lbipam wrote nothing to it");
    assert.equal(other.status?.conditions, undefined, "no condition of ours on it");
    assert.deepEqual(await eventsOf(ns, "other"), [], "no Event on it");
    // Once the other Service lets go, the address is free to ask for.
    await suite.cluster.core.deleteNamespacedService({ namespace: ns, name: "other" });
    await waitIps(ns, "asks", ["10.70.0.0"]);
  });
});

describe("pool edits never take addresses by accident", () => {
  it("keeps every address through a namespaceSelector typo made with kubectl patch, and its fix", async () => {
    const ns = await namespace("hard-selector");
    await createPool(suite.cluster, "h-sel", {
      cidr: "10.71.0.0/29",
      blockSize: 29,
      assignmentMode: "Manual",
    });
    await createPool(suite.cluster, "h-sel-spare", {
      cidr: "10.71.1.0/29",
      blockSize: 29,
      assignmentMode: "Manual",
    });
    const asks = { "projectcalico.org/ipv4pools": '["h-sel","h-sel-spare"]' };
    await createService(ns, "one", { annotations: asks });
    assert.deepEqual(await oneAddressOf(suite.cluster, ns, "one"), ["10.71.0.0"]);
    await createService(ns, "two", { annotations: asks });
    assert.deepEqual(await oneAddressOf(suite.cluster, ns, "two"), ["10.71.0.1"]);

    const typo = await patchSelector("h-sel", '{"spec":{"namespaceSelector":"team == "}}');
    assert.match(typo, /patched/);
    await waitFor(
      async () =>
        JSON.parse(await kubectl("get", "ippool", "h-sel", "-o", "json")) as {
          status?: { conditions?: { type: string; reason: string }[] };
        },
      (pool) => pool.status?.conditions?.some((c) => c.reason === "InvalidNamespaceSelector") === true,
      "h-sel Allocatable=False InvalidNamespaceSelector",
    );
    // The pool serves nothing new: a fresh Service asking for it takes the spare.
    await createService(ns, "three", { annotations: asks });
    assert.deepEqual(await oneAddressOf(suite.cluster, ns, "three"), ["10.71.1.0"]);
    assert.deepEqual(await ingressOf(suite.cluster, ns, "one"), ["10.71.0.0"]);
    assert.deepEqual(await ingressOf(suite.cluster, ns, "two"), ["10.71.0.1"]);

    await patchSelector("h-sel", '{"spec":{"namespaceSelector":"all()"}}');
    await servesAFreshService(ns, "h-sel");
    assert.deepEqual(
      await ingressOf(suite.cluster, ns, "one"),
      ["10.71.0.0"],
      "fixing the typo changes nothing",
    );
    assert.deepEqual(await ingressOf(suite.cluster, ns, "two"), ["10.71.0.1"]);
    for (const name of ["one", "two"]) {
      assert.ok(
        !(await eventsOf(ns, name)).some((e) => e.reason === "IPReleased"),
        `${name} released nothing`,
      );
    }

    // A selector that parses and excludes the Namespace does release its addresses.
    await patchSelector("h-sel", `{"spec":{"namespaceSelector":"team == 'elsewhere'"}}`);
    await waitFor(
      () => ingressOf(suite.cluster, ns, "one"),
      (ips) => ips.length === 1 && ips[0]!.startsWith("10.71.1."),
      "one moved to the spare pool",
    );
  });

  it("releases a deleted pool's address from a Service that names the pool, which then waits", async () => {
    const ns = await namespace("hard-deleted");
    await createPool(suite.cluster, "h-m", { cidr: "10.72.0.0/29", blockSize: 29, assignmentMode: "Manual" });
    await createService(ns, "po", { annotations: { "projectcalico.org/ipv4pools": '["h-m"]' } });
    assert.deepEqual(await oneAddressOf(suite.cluster, ns, "po"), ["10.72.0.0"]);
    assert.match(await kubectl("delete", "ippool", "h-m"), /deleted/);
    await waitIps(ns, "po", []);
    const condition = await waitReason(ns, "po", "PoolNotFound");
    assert.match(condition?.message ?? "", /h-m/);
    await waitEvent(ns, "po", "IPReleased");
    // A new pool over the same range can hand the address out again.
    await createPool(suite.cluster, "h-m2", {
      cidr: "10.72.0.0/29",
      blockSize: 29,
      assignmentMode: "Manual",
    });
    await createService(ns, "exact", {
      annotations: { "projectcalico.org/loadBalancerIPs": '["10.72.0.0"]' },
    });
    await waitIps(ns, "exact", ["10.72.0.0"]);
  });

  it("counts a reservation of a whole /64 of a huge pool exactly, in status and metrics", async () => {
    await createPool(suite.cluster, "h-huge", { cidr: "3000::/8" });
    await createReservation(suite.cluster, "h-huge-64", ["3000::/64"]);
    const pool = await waitFor(
      async () =>
        JSON.parse(await kubectl("get", "ippool", "h-huge", "-o", "json")) as {
          status?: { addresses?: { reserved?: number | string } };
        },
      (p) => p.status?.addresses?.reserved !== undefined && p.status.addresses.reserved !== 0,
      "h-huge's reserved count",
    );
    assert.equal(String(pool.status?.addresses?.reserved), String(2n ** 64n));
    const reserved = metricValue(
      await suite.controller.metrics.registry.metrics(),
      "lbipam_pool_reserved_addresses",
      "h-huge",
    );
    assert.equal(reserved, 2 ** 64);
  });
});

describe("bad annotations", () => {
  it("refuses the same address twice in loadBalancerIPs", async () => {
    const ns = await namespace("hard-twice");
    await createPool(suite.cluster, "h-twice", {
      cidr: "10.73.0.0/29",
      blockSize: 29,
      assignmentMode: "Manual",
    });
    await createService(ns, "twice", {
      annotations: { "projectcalico.org/loadBalancerIPs": '["10.73.0.1","10.73.0.1"]' },
    });
    const condition = await waitReason(ns, "twice", "InvalidAnnotation");
    assert.match(condition?.message ?? "", /same address twice \(10\.73\.0\.1\)/);
    assert.deepEqual(await ingressOf(suite.cluster, ns, "twice"), []);
  });

  it("names the key a typo'd annotation probably meant, in a Warning, and serves the Service as if it were absent", async () => {
    const ns = await namespace("hard-typo");
    await createPool(suite.cluster, "h-auto", { cidr: "10.76.0.0/29", blockSize: 29 });
    await createService(ns, "typo", {
      annotations: { "projectcalico.org/loadBalancerIps": '["10.99.0.1"]' },
    });
    const warning = await waitEvent(ns, "typo", "UnknownAnnotation");
    assert.equal(warning.type, "Warning");
    assert.match(warning.message ?? "", /projectcalico\.org\/loadBalancerIPs/);
    const [address] = await oneAddressOf(suite.cluster, ns, "typo");
    assert.match(address ?? "", /^10\.76\.0\./, "an automatic address, as without the annotation");
  });

  it("keeps conditions and Events within 1 KiB for enormous annotations, and keeps serving others", async () => {
    const ns = await namespace("hard-huge");
    await createPool(suite.cluster, "h-huge-v4", {
      cidr: "10.74.0.0/28",
      blockSize: 28,
      assignmentMode: "Manual",
    });
    const names = (count: number) =>
      JSON.stringify(Array.from({ length: count }, (_, i) => `no-such-pool-${i}`));
    const cases: [string, Record<string, string>, RegExp][] = [
      ["ten-thousand-pools", { "projectcalico.org/ipv4pools": names(10_000) }, /16 KiB/],
      ["five-hundred-pools", { "projectcalico.org/ipv4pools": names(500) }, /lists 500 entries; at most 32/],
      ["thirty-three-pools", { "projectcalico.org/ipv4pools": names(33) }, /at most 32/],
      [
        "huge-ips",
        {
          "projectcalico.org/loadBalancerIPs": JSON.stringify(
            Array.from({ length: 10_000 }, (_, i) => `10.74.${i >> 8}.${i & 255}`),
          ),
        },
        /16 KiB/,
      ],
      [
        "three-ips",
        { "projectcalico.org/loadBalancerIPs": '["10.74.0.1","10.74.0.2","10.74.0.3"]' },
        /at most 2/,
      ],
    ];
    for (const [name, annotations] of cases) await createService(ns, name, { annotations });
    for (const [name, , limit] of cases) {
      const condition = await waitReason(ns, name, "InvalidAnnotation");
      const message = condition?.message ?? "";
      assert.ok(Buffer.byteLength(message) <= MESSAGE_BOUND, `${name}: condition of ${message.length} bytes`);
      assert.match(message, limit, name);
      const warning = await waitEvent(ns, name, "InvalidAnnotation");
      assert.ok(Buffer.byteLength(warning.message ?? "") <= MESSAGE_BOUND, `${name}: Event message size`);
      assert.equal(warning.count ?? 1, 1, `${name}: one Event, not one per problem`);
    }
    await servesAFreshService(ns, "h-huge-v4");
  });
});

describe("conflicts found at start", () => {
  it("gives the Service that loses an address to an older one a Warning naming both", async () => {
    // A cluster of its own: the conflict is written before any controller runs.
    const cluster = await k.startCluster();
    const controller = k.startController(cluster);
    try {
      const ns = "hard-conflict";
      await k.isolatedNamespace(cluster, ns, {
        "h-conflict": { cidr: "10.75.0.0/29", blockSize: 29, assignmentMode: "Manual" },
      });
      const annotations = { "projectcalico.org/ipv4pools": '["h-conflict"]' };
      // Two Services show one address (a-old is the older by name).
      for (const name of ["a-old", "b-young"]) {
        await k.createService(cluster, ns, name, { annotations });
        await cluster.core.patchNamespacedServiceStatus(
          { namespace: ns, name, body: { status: { loadBalancer: { ingress: [{ ip: "10.75.0.3" }] } } } },
          mergePatch,
        );
      }
      await controller.start();
      const warning = await k.waitEvent(cluster, ns, "b-young", "AddressConflict");
      assert.equal(warning.type, "Warning");
      assert.match(warning.message ?? "", /10\.75\.0\.3 is kept by Service hard-conflict\/a-old/);
      await waitFor(
        () => ingressOf(cluster, ns, "b-young"),
        (ips) => ips.length === 1 && ips[0] !== "10.75.0.3",
        "b-young reassigned",
      );
      assert.deepEqual(await ingressOf(cluster, ns, "a-old"), ["10.75.0.3"]);
    } finally {
      await controller.stop();
      await cluster.stop();
    }
  });
});
