import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { printerColumnCells } from "../src/crd/index.js";
import type { KubeObject } from "../src/types.js";
import { create, deployedVersion, messages, RULES_NOT_CHECKED, update } from "./fixtures/crd/load.js";

const ippools = deployedVersion("ippools.projectcalico.org.yaml");

function pool(spec: Record<string, unknown>, extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: "projectcalico.org/v3", kind: "IPPool", metadata: { name: "pool-a" }, spec, ...extra };
}

const lb = { allowedUses: ["LoadBalancer"] };

/** Each rule of the CRD: an object it accepts, one it refuses, and the exact message of the refusal. */
const rules: {
  rule: string;
  valid: Record<string, unknown>;
  invalid: Record<string, unknown>;
  message: string;
}[] = [
  {
    rule: "cidr is a CIDR",
    valid: { cidr: "2001:db8::/120" },
    invalid: { cidr: "192.0.2.0" },
    message:
      'spec.cidr: Invalid value: "string": must be an IPv4 or IPv6 CIDR such as 192.0.2.0/24 or 2001:db8::/120',
  },
  {
    rule: "an IPv4 cidr is strictly masked",
    valid: { cidr: "192.0.2.64/26" },
    invalid: { cidr: "192.0.2.65/26" },
    message:
      'spec.cidr: Invalid value: "string": must be strictly masked (no bits set after the prefix length), ' +
      "e.g. 192.0.2.0/24 rather than 192.0.2.1/24",
  },
  {
    rule: "an IPv6 cidr is strictly masked",
    valid: { cidr: "2001:DB8:0:1::/64" },
    invalid: { cidr: "2001:db8::1:0:0:0/64" },
    message:
      'spec.cidr: Invalid value: "string": must be strictly masked (no bits set after the prefix length), ' +
      "e.g. 2001:db8::/64 rather than 2001:db8::1/64",
  },
  {
    rule: "IPv4 blockSize is 20-32",
    valid: { cidr: "192.0.2.0/24", blockSize: 32 },
    invalid: { cidr: "192.0.2.0/24", blockSize: 33 },
    message: 'spec: Invalid value: "object": blockSize of an IPv4 pool must be between 20 and 32',
  },
  {
    rule: "IPv6 blockSize is 116-128",
    valid: { cidr: "2001:db8::/112", blockSize: 116 },
    invalid: { cidr: "2001:db8::/112", blockSize: 115 },
    message: 'spec: Invalid value: "object": blockSize of an IPv6 pool must be between 116 and 128',
  },
  {
    rule: "a pool holds at least one block (explicit blockSize)",
    valid: { cidr: "192.0.2.0/28", blockSize: 28 },
    invalid: { cidr: "192.0.2.0/28", blockSize: 27 },
    message:
      'spec: Invalid value: "object": the pool must hold at least one block: the cidr prefix length may not ' +
      "exceed blockSize (default 26 for IPv4, 122 for IPv6)",
  },
  {
    rule: "a pool holds at least one block (family default blockSize)",
    valid: { cidr: "2001:db8::/122" },
    invalid: { cidr: "2001:db8::/123" },
    message:
      'spec: Invalid value: "object": the pool must hold at least one block: the cidr prefix length may not ' +
      "exceed blockSize (default 26 for IPv4, 122 for IPv6)",
  },
  {
    rule: "LoadBalancer is not combined with Workload or Tunnel",
    valid: { cidr: "192.0.2.0/24", allowedUses: ["Workload", "Tunnel"] },
    invalid: { cidr: "192.0.2.0/24", allowedUses: ["LoadBalancer", "Tunnel"] },
    message:
      'spec.allowedUses: Invalid value: "array": LoadBalancer may not be combined with Workload or Tunnel',
  },
  {
    rule: "no IPIP on LoadBalancer pools",
    valid: { cidr: "192.0.2.0/24", ipipMode: "CrossSubnet" },
    invalid: { cidr: "192.0.2.0/24", ...lb, ipipMode: "Always" },
    message: 'spec: Invalid value: "object": a LoadBalancer pool may not use IPIP (ipipMode must be Never)',
  },
  {
    rule: "no VXLAN on LoadBalancer pools",
    valid: { cidr: "192.0.2.0/24", ...lb, vxlanMode: "Never" },
    invalid: { cidr: "192.0.2.0/24", ...lb, vxlanMode: "CrossSubnet" },
    message: 'spec: Invalid value: "object": a LoadBalancer pool may not use VXLAN (vxlanMode must be Never)',
  },
  {
    rule: "LoadBalancer pools keep BGP export",
    valid: { cidr: "192.0.2.0/24", disableBGPExport: true },
    invalid: { cidr: "192.0.2.0/24", ...lb, disableBGPExport: true },
    message: 'spec: Invalid value: "object": a LoadBalancer pool may not disable BGP export',
  },
  {
    rule: "LoadBalancer pools select all nodes",
    valid: { cidr: "192.0.2.0/24", ...lb, nodeSelector: " all() " },
    invalid: { cidr: "192.0.2.0/24", ...lb, nodeSelector: "zone == 'a'" },
    message: 'spec: Invalid value: "object": the nodeSelector of a LoadBalancer pool must be all()',
  },
];

describe("IPPool CRD rules", () => {
  for (const { rule, valid, invalid, message } of rules) {
    it(`${rule}: accepts a valid pool and refuses an invalid one`, () => {
      assert.deepEqual(messages(create(ippools, pool(valid))), []);
      assert.deepEqual(messages(create(ippools, pool(invalid))), [message]);
    });
  }

  it("reports every broken rule of one pool, the node's own rules before its fields'", () => {
    const result = create(
      ippools,
      pool({ cidr: "10.0.0.1/24", allowedUses: ["LoadBalancer", "Workload"], ipipMode: "Always" }),
    );
    assert.deepEqual(messages(result), [
      'spec: Invalid value: "object": a LoadBalancer pool may not use IPIP (ipipMode must be Never)',
      'spec.cidr: Invalid value: "string": must be strictly masked (no bits set after the prefix length), ' +
        "e.g. 192.0.2.0/24 rather than 192.0.2.1/24",
      'spec.allowedUses: Invalid value: "array": LoadBalancer may not be combined with Workload or Tunnel',
    ]);
  });
});

describe("IPPool cidr masking agrees with a reference computation", () => {
  /** Whether the bits of `cidr` after its prefix length are all zero, computed on a BigInt. */
  function isMasked(cidr: string): boolean {
    const [address = "", prefix = "0"] = cidr.split("/");
    const [head = "", tail] = address.split("::");
    const headGroups = head === "" ? [] : head.split(":");
    const tailGroups = tail === undefined || tail === "" ? [] : tail.split(":");
    const zeros = tail === undefined ? [] : Array(8 - headGroups.length - tailGroups.length).fill("0");
    const value = [...headGroups, ...zeros, ...tailGroups].reduce(
      (acc, group) => (acc << 16n) | BigInt(`0x${group}`),
      0n,
    );
    const hostBits = BigInt(128 - Number(prefix));
    return (value & ((1n << hostBits) - 1n)) === 0n;
  }

  it("for compressed and uncompressed IPv6 CIDRs of every prefix length", () => {
    let seed = 11;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const disagreements: string[] = [];
    for (let i = 0; i < 150; i++) {
      const prefix = next(129);
      let value = 0n;
      for (let g = 0; g < 8; g++) value = (value << 16n) | BigInt(next(3) === 0 ? 0 : next(65536));
      const hostBits = BigInt(128 - prefix);
      if (next(2) === 0) value = (value >> hostBits) << hostBits;
      const groups = Array.from({ length: 8 }, (_, g) =>
        ((value >> BigInt(16 * (7 - g))) & 0xffffn).toString(16),
      );
      const from = next(9);
      const to = from + next(9 - from);
      const text =
        to > from ? `${groups.slice(0, from).join(":")}::${groups.slice(to).join(":")}` : groups.join(":");
      const cidr = `${text}/${prefix}`;
      const refused = create(ippools, pool({ cidr, blockSize: 128 })).causes.some(
        (cause) => cause.field === "spec.cidr",
      );
      if (refused === isMasked(cidr)) disagreements.push(cidr);
    }
    assert.deepEqual(disagreements, []);
  });
});

describe("IPPool schema validation", () => {
  it("requires spec and spec.cidr", () => {
    assert.deepEqual(
      messages(create(ippools, { apiVersion: "projectcalico.org/v3", kind: "IPPool", metadata: {} })),
      ["spec: Required value", RULES_NOT_CHECKED],
    );
    assert.deepEqual(messages(create(ippools, pool({}))), ["spec.cidr: Required value", RULES_NOT_CHECKED]);
  });

  it("bounds blockSize in the schema and reports it with kube-openapi's wording", () => {
    const result = create(ippools, pool({ cidr: "2001:db8::/112", blockSize: 129 }));
    // An out-of-range number does not block the CEL rules (a wrong type or enum does).
    assert.deepEqual(messages(result), [
      "spec.blockSize: Invalid value: 129: spec.blockSize in body should be less than or equal to 128",
      'spec: Invalid value: "object": blockSize of an IPv6 pool must be between 116 and 128',
    ]);
    assert.equal(result.causes[0]?.reason, "FieldValueInvalid");
    assert.deepEqual(messages(create(ippools, pool({ cidr: "192.0.2.0/24", blockSize: 19 }))), [
      "spec.blockSize: Invalid value: 19: spec.blockSize in body should be greater than or equal to 20",
      'spec: Invalid value: "object": blockSize of an IPv4 pool must be between 20 and 32',
      'spec: Invalid value: "object": the pool must hold at least one block: the cidr prefix length may not ' +
        "exceed blockSize (default 26 for IPv4, 122 for IPv6)",
    ]);
  });

  it("refuses values outside the enums and skips the CEL rules then", () => {
    const result = create(
      ippools,
      pool({ cidr: "192.0.2.0/24", assignmentMode: "Sometimes", allowedUses: ["Egress"] }),
    );
    assert.deepEqual(messages(result), [
      'spec.allowedUses[0]: Unsupported value: "Egress": supported values: "Workload", "Tunnel", "LoadBalancer"',
      'spec.assignmentMode: Unsupported value: "Sometimes": supported values: "Automatic", "Manual"',
      RULES_NOT_CHECKED,
    ]);
    assert.equal(result.causes[0]?.reason, "FieldValueNotSupported");
  });

  it("refuses a wrong type with the type named", () => {
    const result = create(ippools, pool({ cidr: "192.0.2.0/24", blockSize: "26" }));
    assert.deepEqual(messages(result), [
      'spec.blockSize: Invalid value: "string": spec.blockSize in body must be of type integer: "string"',
      RULES_NOT_CHECKED,
    ]);
    assert.equal(result.causes[0]?.reason, "FieldValueTypeInvalid");
  });

  it("refuses duplicate and empty allowedUses", () => {
    assert.deepEqual(
      messages(create(ippools, pool({ cidr: "192.0.2.0/24", allowedUses: ["Workload", "Workload"] }))),
      ['spec.allowedUses[1]: Duplicate value: "Workload"'],
    );
    assert.deepEqual(messages(create(ippools, pool({ cidr: "192.0.2.0/24", allowedUses: [] }))), [
      "spec.allowedUses: Invalid value: 0: spec.allowedUses in body should have at least 1 items",
    ]);
  });

  it("checks the status conditions' shape", () => {
    const status = {
      conditions: [
        {
          type: "Allocatable",
          status: "Maybe",
          reason: "bad reason",
          message: "",
          lastTransitionTime: "now",
        },
      ],
    };
    assert.deepEqual(messages(create(ippools, pool({ cidr: "192.0.2.0/24" }, { status }))), [
      'status.conditions[0].status: Unsupported value: "Maybe": supported values: "True", "False", "Unknown"',
      'status.conditions[0].lastTransitionTime: Invalid value: "now": status.conditions[0].lastTransitionTime ' +
        'in body must be of type date-time: "now"',
      'status.conditions[0].reason: Invalid value: "bad reason": status.conditions[0].reason in body should match ' +
        "'^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$'",
      RULES_NOT_CHECKED,
    ]);
  });
});

describe("IPPool defaults and pruning", () => {
  it("defaults every optional field except blockSize, whose default depends on the family", () => {
    const { object, causes } = create(ippools, pool({ cidr: "192.0.2.0/24" }));
    assert.deepEqual(causes, []);
    assert.deepEqual(object.spec, {
      cidr: "192.0.2.0/24",
      allowedUses: ["Workload", "Tunnel"],
      assignmentMode: "Automatic",
      disabled: false,
      nodeSelector: "all()",
      natOutgoing: false,
      ipipMode: "Never",
      vxlanMode: "Never",
      disableBGPExport: false,
    });
  });

  it("keeps values that are set, and replaces a null with the default", () => {
    const { object } = create(
      ippools,
      pool({ cidr: "192.0.2.0/24", ...lb, assignmentMode: "Manual", disabled: null }),
    );
    const spec = object.spec as Record<string, unknown>;
    assert.deepEqual(spec.allowedUses, ["LoadBalancer"]);
    assert.equal(spec.assignmentMode, "Manual");
    assert.equal(spec.disabled, false);
  });

  it("prunes unknown fields and lists their paths, keeping apiVersion, kind and metadata", () => {
    const input = pool({ cidr: "192.0.2.0/24", bogus: 1 }, { extra: true, status: { phase: "x" } });
    input.metadata = { name: "pool-a", labels: { team: "net" } };
    const { object, unknownFields, causes } = create(ippools, input);
    assert.deepEqual(causes, []);
    assert.deepEqual(unknownFields, [".spec.bogus", ".extra", ".status.phase"]);
    assert.deepEqual(Object.keys(object).sort(), ["apiVersion", "kind", "metadata", "spec", "status"]);
    assert.deepEqual(object.metadata, { name: "pool-a", labels: { team: "net" } });
    assert.equal("bogus" in (object.spec as object), false);
  });

  it("does not change its input", () => {
    const input = pool({ cidr: "192.0.2.0/24", bogus: 1 });
    const before = structuredClone(input);
    create(ippools, input);
    assert.deepEqual(input, before);
  });

  it("applies defaults to a stored object on read", () => {
    const stored = pool({ cidr: "192.0.2.0/24", allowedUses: ["LoadBalancer"] });
    const read = ippools.applyDefaults(stored);
    assert.equal((read.spec as Record<string, unknown>).assignmentMode, "Automatic");
    assert.equal((stored.spec as Record<string, unknown>).assignmentMode, undefined);
  });
});

describe("IPPool transition rules", () => {
  const old = pool({ cidr: "192.0.2.0/24", ...lb });

  it("run only on update", () => {
    assert.deepEqual(messages(create(ippools, pool({ cidr: "198.51.100.0/24", ...lb }))), []);
    assert.deepEqual(
      messages(update(ippools, old, pool({ cidr: "192.0.2.0/24", ...lb, disabled: true }))),
      [],
    );
  });

  it("keep cidr immutable", () => {
    assert.deepEqual(messages(update(ippools, old, pool({ cidr: "198.51.100.0/24", ...lb }))), [
      'spec.cidr: Invalid value: "string": cidr is immutable; create a new pool instead',
    ]);
  });

  it("keep the effective blockSize immutable, so spelling out the default is allowed", () => {
    assert.deepEqual(
      messages(update(ippools, old, pool({ cidr: "192.0.2.0/24", ...lb, blockSize: 26 }))),
      [],
    );
    assert.deepEqual(messages(update(ippools, old, pool({ cidr: "192.0.2.0/24", ...lb, blockSize: 27 }))), [
      'spec: Invalid value: "object": blockSize is immutable; create a new pool instead',
    ]);
  });

  it("keep LoadBalancer in allowedUses once there, even when allowedUses is dropped", () => {
    assert.deepEqual(messages(update(ippools, old, pool({ cidr: "192.0.2.0/24" }))), [
      'spec.allowedUses: Invalid value: "array": LoadBalancer may not be removed from allowedUses; delete the pool instead',
    ]);
    const workload = pool({ cidr: "192.0.2.0/24", allowedUses: ["Workload"] });
    assert.deepEqual(messages(update(ippools, workload, pool({ cidr: "192.0.2.0/24", ...lb }))), []);
  });
});

describe("IPPool printer columns", () => {
  it("show range, uses, mode, Allocatable and utilisation", () => {
    const status = {
      conditions: [
        {
          type: "Other",
          status: "False",
          reason: "X",
          message: "",
          lastTransitionTime: "2026-01-01T00:00:00Z",
        },
        {
          type: "Allocatable",
          status: "False",
          reason: "CIDROverlap",
          message: "",
          lastTransitionTime: "2026-01-01T00:00:00Z",
        },
      ],
      blockSize: 28,
      addresses: { family: "IPv4", total: 256, allocated: 12, reserved: 2 },
    };
    // Block Size is the status' (the controller writes the size in use, defaulted or not).
    const input = pool({ cidr: "192.0.2.0/24", ...lb }, { status });
    input.metadata = { name: "pool-a", creationTimestamp: "2026-01-01T00:00:00Z" };
    const { object } = create(ippools, input);
    const header = ippools.printerColumns.map((column) => column.name);
    const cells = printerColumnCells(ippools, object, Date.parse("2026-01-01T03:00:00Z"));
    assert.deepEqual(Object.fromEntries(header.map((name, i) => [name, cells[i]])), {
      CIDR: "192.0.2.0/24",
      "Block Size": 28,
      Uses: '["LoadBalancer"]',
      Mode: "Automatic",
      Disabled: false,
      Allocatable: "False",
      Allocated: 12,
      Total: "256",
      Reserved: 2,
      Reason: "CIDROverlap",
      Namespaces: null,
      Age: "3h",
    });
  });

  it("hide the wide columns behind priority 1", () => {
    const wide = ippools.printerColumns.filter((column) => column.priority > 0).map((column) => column.name);
    assert.deepEqual(wide, ["Reserved", "Reason", "Namespaces"]);
  });
});
