import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type IPPool,
  type IPPoolSpec,
  POOL_CONDITION_TYPE,
  PoolReason,
  poolAddresses,
  poolCondition,
  toPoolView,
} from "../src/index.js";

const pool = (spec: Partial<IPPoolSpec>, metadata: IPPool["metadata"] = {}): IPPool => ({
  metadata: { name: "p", creationTimestamp: "2026-01-01T00:00:00Z", ...metadata },
  spec: { cidr: "10.0.0.0/24", allowedUses: ["LoadBalancer"], ...spec },
});

describe("toPoolView", () => {
  it("reads a LoadBalancer pool with its defaults", () => {
    const view = toPoolView(pool({}));
    assert.equal(view.name, "p");
    assert.equal(view.family, 4);
    assert.equal(view.blockSize, 26);
    assert.equal(view.mode, "Automatic");
    assert.equal(view.disabled, false);
    assert.equal(view.loadBalancer, true);
    assert.equal(view.terminating, false);
    assert.equal(view.createdAt, Date.parse("2026-01-01T00:00:00Z"));
    assert.deepEqual(view.problems, []);
    assert.deepEqual(view.definition, {
      name: "p",
      cidr: "10.0.0.0/24",
      blockSize: undefined,
      createdAt: view.createdAt,
    });
    assert.equal(view.namespaceMatcher?.({}), true);
  });

  it("defaults allowedUses to Workload and Tunnel, not LoadBalancer", () => {
    const { allowedUses: _, ...spec } = pool({}).spec;
    assert.equal(toPoolView({ metadata: { name: "w" }, spec }).loadBalancer, false);
  });

  // [case, spec, field, reason]
  const invalid: [string, Partial<IPPoolSpec>, string, RegExp][] = [
    ["host bits set", { cidr: "10.0.0.1/24" }, "spec.cidr", /host bits are set/],
    ["not a CIDR", { cidr: "ten" }, "spec.cidr", /invalid CIDR/],
    ["block size out of range", { blockSize: 33 }, "spec.blockSize", /between 20 and 32/],
    [
      "block larger than pool",
      { cidr: "10.0.0.0/28", blockSize: 26 },
      "spec.blockSize",
      /at least one block/,
    ],
    [
      "LoadBalancer with Workload",
      { allowedUses: ["LoadBalancer", "Workload"] },
      "spec.allowedUses",
      /may not be combined/,
    ],
    ["IPIP", { ipipMode: "Always" }, "spec.ipipMode", /must be Never/],
    ["VXLAN", { vxlanMode: "CrossSubnet" }, "spec.vxlanMode", /must be Never/],
    [
      "BGP export disabled",
      { disableBGPExport: true },
      "spec.disableBGPExport",
      /may not disable BGP export/,
    ],
    ["node selector", { nodeSelector: "has(x)" }, "spec.nodeSelector", /must be all\(\)/],
    [
      "assignment mode",
      { assignmentMode: "Sometimes" as "Manual" },
      "spec.assignmentMode",
      /Automatic or Manual/,
    ],
  ];
  for (const [name, spec, field, reason] of invalid) {
    it(`reports ${name} as ${field} and an InvalidPool condition`, () => {
      const view = toPoolView(pool(spec));
      assert.equal(view.problems.length, 1, JSON.stringify(view.problems));
      assert.equal(view.problems[0]?.field, field);
      assert.match(view.problems[0]!.reason, reason);
      const condition = poolCondition(view, { overlappedBy: undefined });
      assert.deepEqual([condition.status, condition.reason], ["False", PoolReason.InvalidPool]);
      assert.ok(condition.message.includes(field));
    });
  }

  it("leaves no definition for the allocator when the range is unusable", () => {
    assert.equal(toPoolView(pool({ cidr: "10.0.0.1/24" })).definition, undefined);
    assert.notEqual(toPoolView(pool({ ipipMode: "Always" })).definition, undefined);
  });

  it("accepts a nodeSelector of all() with spaces around", () => {
    assert.deepEqual(toPoolView(pool({ nodeSelector: " all() " })).problems, []);
  });
});

describe("poolCondition", () => {
  const facts = { overlappedBy: undefined };
  // [case, pool, facts, status, reason, message part]
  const cases: [string, IPPool, { overlappedBy: string | undefined }, string, string, string][] = [
    ["serving", pool({}), facts, "True", PoolReason.Allocatable, "hands out"],
    ["disabled", pool({ disabled: true }), facts, "False", PoolReason.PoolDisabled, "spec.disabled"],
    [
      "terminating",
      pool({}, { deletionTimestamp: "2026-01-02T00:00:00Z" }),
      facts,
      "False",
      PoolReason.Terminating,
      "deleted",
    ],
    ["overlapped", pool({}), { overlappedBy: "older" }, "False", PoolReason.CIDROverlap, "older pool older"],
    [
      "bad selector",
      pool({ namespaceSelector: "a ==" }),
      facts,
      "False",
      PoolReason.InvalidNamespaceSelector,
      "position 4",
    ],
    [
      "not for LoadBalancer",
      pool({ allowedUses: ["Workload"] }),
      facts,
      "False",
      PoolReason.NotLoadBalancer,
      "allowedUses",
    ],
    [
      "invalid beats disabled",
      pool({ cidr: "x", disabled: true }),
      facts,
      "False",
      PoolReason.InvalidPool,
      "spec.cidr",
    ],
    [
      "terminating beats overlap",
      pool({}, { deletionTimestamp: "x" }),
      { overlappedBy: "o" },
      "False",
      PoolReason.Terminating,
      "",
    ],
    [
      "overlap beats disabled",
      pool({ disabled: true }),
      { overlappedBy: "o" },
      "False",
      PoolReason.CIDROverlap,
      "",
    ],
  ];
  for (const [name, object, poolFacts, status, reason, part] of cases) {
    it(`${name}: ${status} ${reason}`, () => {
      const condition = poolCondition(toPoolView(object), poolFacts);
      assert.equal(condition.type, POOL_CONDITION_TYPE);
      assert.deepEqual([condition.status, condition.reason], [status, reason]);
      assert.ok(condition.message.includes(part), condition.message);
    });
  }
});

describe("poolAddresses", () => {
  it("reports the range's size, and the allocator's allocated and reserved counts", () => {
    const counts = { total: 256n, allocated: 3, reserved: 16n, free: 237n };
    assert.deepEqual(poolAddresses(toPoolView(pool({})), counts), {
      family: "IPv4",
      total: 256,
      allocated: 3,
      reserved: 16,
    });
    assert.deepEqual(poolAddresses(toPoolView(pool({ cidr: "2001:db8::/64", blockSize: 122 })), undefined), {
      family: "IPv6",
      total: "18446744073709551616",
      allocated: 0,
      reserved: 0,
    });
    assert.equal(poolAddresses(toPoolView(pool({ cidr: "bad" })), counts), undefined);
  });

  it("reports a reservation of 2^64 addresses exactly, as a decimal string", () => {
    const big = { total: 2n ** 120n, allocated: 1, reserved: 2n ** 64n, free: 2n ** 120n - 2n ** 64n };
    assert.deepEqual(poolAddresses(toPoolView(pool({ cidr: "3000::/8", blockSize: 122 })), big), {
      family: "IPv6",
      total: "1329227995784915872903807060280344576",
      allocated: 1,
      reserved: "18446744073709551616",
    });
  });
});
