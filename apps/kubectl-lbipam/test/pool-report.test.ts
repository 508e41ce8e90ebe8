import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { poolRows, renderPoolNotes, renderPoolTable, utilisationBar } from "../src/pool-report.js";
import { buildState } from "../src/state.js";
import { fixtureObjects, objects, pool, service } from "./helpers/fixtures.js";

function rowsOf(parts: Parameters<typeof objects>[0]) {
  const all = objects(parts);
  const specs = new Map(all.pools.map((p) => [p.metadata.name ?? "", p.spec]));
  return poolRows(buildState(all), specs);
}

describe("pool rows", () => {
  it("count what the Services' status holds, reservations, and skip pools not for LoadBalancer", () => {
    const all = fixtureObjects("pools.yaml", "services.yaml");
    const specs = new Map(all.pools.map((p) => [p.metadata.name ?? "", p.spec]));
    const rows = poolRows(buildState(all), specs);
    assert.deepEqual(
      rows.map((r) => [
        r.name,
        r.family,
        r.cidr,
        r.mode,
        r.disabled,
        r.allocatable,
        r.allocated,
        r.total,
        r.reserved,
        r.free,
      ]),
      [
        ["a-small", "IPv4", "192.0.2.0/30", "Automatic", false, true, 2, 4, 0, 2],
        ["b-backup", "IPv4", "198.51.100.0/29", "Automatic", false, true, 0, 8, 1, 7],
        ["manual", "IPv4", "203.0.113.0/28", "Manual", false, true, 0, 16, 0, 16],
        ["off", "IPv4", "203.0.113.64/28", "Automatic", true, false, 0, 16, 0, 16],
        ["v6", "IPv6", "2001:db8::/120", "Automatic", false, true, 0, 256, 0, 256],
      ],
    );
    assert.equal(rows[0]!.utilisationPercent, 50);
    assert.equal(rows[3]!.reason, "PoolDisabled");
  });

  it("prints the table kubectl-style, with a bar and a note per pool that hands out nothing", () => {
    const rows = rowsOf({
      pools: [
        pool("edge", { cidr: "192.0.2.0/30", blockSize: 30 }),
        pool("off", { cidr: "192.0.2.8/30", blockSize: 30, disabled: true }),
      ],
      services: [service("ns/a", { ingress: ["192.0.2.0"] })],
    });
    assert.equal(
      renderPoolTable(rows) + renderPoolNotes(rows),
      [
        "NAME   FAMILY   CIDR           MODE        DISABLED   ALLOCATABLE            ALLOCATED   TOTAL   RESERVED   FREE   USAGE",
        "edge   IPv4     192.0.2.0/30   Automatic   false      True                   1           4       0          3      [#####...............] 25.0%",
        "off    IPv4     192.0.2.8/30   Automatic   true       False (PoolDisabled)   0           4       0          4      [....................] 0.0%",
        "",
        "pool off is not allocatable (PoolDisabled): spec.disabled is true: existing addresses stay, no new ones",
        "",
      ].join("\n"),
    );
  });

  it("says so when there is no LoadBalancer pool", () => {
    assert.equal(renderPoolTable(rowsOf({ pools: [] })), "No LoadBalancer pools found.\n");
  });

  it("counts a reservation of whole /64s of a huge pool exactly (it showed 0 reserved and the pool all free)", () => {
    const [row] = rowsOf({
      pools: [pool("huge", { cidr: "3000::/8" })],
      reservations: [
        {
          apiVersion: "projectcalico.org/v3",
          kind: "IPReservation",
          metadata: { name: "r" },
          spec: { reservedCIDRs: ["3000::/64", "3000:0:0:1::/64"] },
        },
      ],
    });
    assert.equal(row!.reserved, String(2n * 2n ** 64n));
    assert.equal(row!.free, String(2n ** 120n - 2n * 2n ** 64n));
  });

  it("reports an IPv6 /64 exactly, as strings past 2^53 - 1", () => {
    const [row] = rowsOf({
      pools: [pool("big", { cidr: "2001:db8::/64" })],
      services: [
        service("ns/a", { ingress: ["2001:db8::5"], spec: { type: "LoadBalancer", ipFamilies: ["IPv6"] } }),
      ],
    });
    assert.equal(row!.total, "18446744073709551616");
    assert.equal(row!.free, "18446744073709551615");
    assert.equal(row!.allocated, 1);
    assert.ok(renderPoolTable([row!]).includes("[#...................] <0.1%"));
  });

  it("shows overlapping, invalid and selector-broken pools as not allocatable, with the reason", () => {
    const rows = rowsOf({
      pools: [
        {
          ...pool("older", { cidr: "192.0.2.0/24" }),
          metadata: { name: "older", creationTimestamp: "2026-01-01T00:00:00Z" },
        },
        {
          ...pool("newer", { cidr: "192.0.2.0/25" }),
          metadata: { name: "newer", creationTimestamp: "2026-02-01T00:00:00Z" },
        },
        pool("broken", { cidr: "192.0.2.1/24" }),
        pool("selector", { cidr: "10.1.0.0/24", namespaceSelector: "team ==" }),
      ],
    });
    const reasons = Object.fromEntries(rows.map((r) => [r.name, [r.allocatable, r.reason, r.cidr]]));
    assert.deepEqual(reasons, {
      broken: [false, "InvalidPool", "192.0.2.1/24"],
      newer: [false, "CIDROverlap", "192.0.2.0/25"],
      older: [true, "Allocatable", "192.0.2.0/24"],
      selector: [false, "InvalidNamespaceSelector", "10.1.0.0/24"],
    });
  });

  it("holds what Services of another class and non-LoadBalancer Services show for them, and names them", () => {
    const [row] = rowsOf({
      pools: [pool("edge", { cidr: "192.0.2.0/30", blockSize: 30 })],
      services: [
        service("ns/other", {
          ingress: ["192.0.2.0"],
          spec: { type: "LoadBalancer", loadBalancerClass: "metallb" },
        }),
        service("ns/plain", { ingress: ["192.0.2.1"], spec: { type: "ClusterIP" } }),
        service("ns/ours", {
          ingress: ["192.0.2.2"],
          spec: { type: "LoadBalancer", loadBalancerClass: "calico" },
        }),
      ],
    });
    // Before #11 these were free to hand out again: allocated was 1.
    assert.equal(row!.allocated, 3);
    assert.deepEqual(row!.foreign, [
      { address: "192.0.2.0", service: "ns/other" },
      { address: "192.0.2.1", service: "ns/plain" },
    ]);
    assert.match(
      renderPoolNotes([row!]),
      /pool edge: held for Services lbipam does not manage: 192\.0\.2\.0 \(Service ns\/other\); 192\.0\.2\.1 \(Service ns\/plain\)/,
    );
  });
});

describe("utilisation bar", () => {
  const cases: [number, number, number, string][] = [
    [0, 0, 10, "[....................]"],
    [10, 0, 10, "[####################]"],
    [5, 0, 10, "[##########..........]"],
    [1, 0, 1000, "[#...................]"],
    [2, 2, 4, "[##########----------]"],
    [0, 4, 4, "[--------------------]"],
    [0, 0, 0, "[                    ]"],
  ];
  for (const [allocated, reserved, total, bar] of cases) {
    it(`${allocated} allocated, ${reserved} reserved of ${total}: ${bar}`, () => {
      assert.equal(utilisationBar({ allocated, reserved, total }), bar);
    });
  }
});

describe("pool rows in a Calico cluster", () => {
  it("show the addresses Calico's IPAM blocks hold that no Service lbipam serves holds, naming a block whose Service is gone", () => {
    const all = fixtureObjects("calico/v1.yaml");
    const specs = new Map(all.pools.map((p) => [p.metadata.name ?? "", p.spec]));
    const [row] = poolRows(buildState(all), specs);
    assert.equal(row!.name, "lb");
    assert.equal(row!.allocated, 3, "kept's address, and the two only a block holds");
    assert.deepEqual(row!.calicoBlocks, [
      { address: "10.80.0.0", service: "shop/gone", block: "10-80-0-0-29", serviceExists: false },
      { address: "10.80.0.2", service: "shop/unshown", block: "10-80-0-0-29", serviceExists: true },
    ]);
    assert.match(
      renderPoolNotes([row!]),
      /pool lb: held by Calico IPAM blocks: 10\.80\.0\.0 \(block 10-80-0-0-29, Service shop\/gone is gone: a Calico block with no Service\); 10\.80\.0\.2 \(block 10-80-0-0-29, for Service shop\/unshown\)/,
    );
  });
});
