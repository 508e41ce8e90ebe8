import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidPoolError, validatePool } from "../src/index.js";

describe("validatePool", () => {
  const valid: [string, unknown, unknown, { blockSize: number; size: bigint; blockShift: number }][] = [
    ["IPv4 default block size", "192.210.0.0/20", undefined, { blockSize: 26, size: 4096n, blockShift: 6 }],
    ["IPv6 default block size", "2001:db8::/120", undefined, { blockSize: 122, size: 256n, blockShift: 6 }],
    ["upstream example", "192.210.0.0/20", 24, { blockSize: 24, size: 4096n, blockShift: 8 }],
    ["IPv4 /32 pool", "10.9.9.9/32", 32, { blockSize: 32, size: 1n, blockShift: 0 }],
    ["IPv6 /128 pool", "2001:db8::7/128", 128, { blockSize: 128, size: 1n, blockShift: 0 }],
    ["block size equal to the prefix", "10.0.0.0/20", 20, { blockSize: 20, size: 4096n, blockShift: 12 }],
    ["IPv6 /64 pool", "2001:db8::/64", 122, { blockSize: 122, size: 1n << 64n, blockShift: 6 }],
    ["smallest IPv6 block", "2001:db8::/116", 116, { blockSize: 116, size: 4096n, blockShift: 12 }],
  ];
  for (const [what, cidr, blockSize, expected] of valid) {
    it(`accepts ${what}`, () => {
      const spec = validatePool({ name: "p", cidr, blockSize });
      assert.equal(spec.blockSize, expected.blockSize);
      assert.equal(spec.size, expected.size);
      assert.equal(spec.blockShift, expected.blockShift);
    });
  }

  const invalid: [string, Record<string, unknown>, { field: string; reason: RegExp }[]][] = [
    ["a missing CIDR", { cidr: undefined }, [{ field: "cidr", reason: /must be a string/ }]],
    ["a CIDR without prefix", { cidr: "10.0.0.0" }, [{ field: "cidr", reason: /missing \/prefix-length/ }]],
    ["host bits", { cidr: "10.0.0.1/24" }, [{ field: "cidr", reason: /host bits are set/ }]],
    ["a bad address", { cidr: "10.0.0.300/24" }, [{ field: "cidr", reason: /not an IPv4 or IPv6 address/ }]],
    [
      "an IPv4 block size too large",
      { cidr: "10.0.0.0/16", blockSize: 19 },
      [{ field: "blockSize", reason: /between 20 and 32 for IPv4/ }],
    ],
    [
      "an IPv4 block size too small",
      { cidr: "10.0.0.0/16", blockSize: 33 },
      [{ field: "blockSize", reason: /between 20 and 32/ }],
    ],
    [
      "an IPv6 block size out of range",
      { cidr: "2001:db8::/64", blockSize: 115 },
      [{ field: "blockSize", reason: /between 116 and 128 for IPv6/ }],
    ],
    [
      "an IPv4 block size on IPv6",
      { cidr: "2001:db8::/64", blockSize: 26 },
      [{ field: "blockSize", reason: /between 116 and 128/ }],
    ],
    [
      "a pool smaller than a block",
      { cidr: "10.0.0.0/28", blockSize: 26 },
      [{ field: "blockSize", reason: /at least one block/ }],
    ],
    [
      "a fractional block size",
      { cidr: "10.0.0.0/16", blockSize: 26.5 },
      [{ field: "blockSize", reason: /whole number/ }],
    ],
    [
      "a string block size",
      { cidr: "10.0.0.0/16", blockSize: "26" },
      [{ field: "blockSize", reason: /whole number/ }],
    ],
    ["an empty name", { name: "", cidr: "10.0.0.0/16" }, [{ field: "name", reason: /non-empty/ }]],
    [
      "several problems at once",
      { name: "", cidr: "10.0.0.1/16" },
      [
        { field: "name", reason: /non-empty/ },
        { field: "cidr", reason: /host bits/ },
      ],
    ],
  ];
  for (const [what, fields, problems] of invalid) {
    it(`refuses ${what}`, () => {
      assert.throws(
        () => validatePool({ name: "p", ...fields } as Parameters<typeof validatePool>[0]),
        (error: unknown) => {
          assert.ok(error instanceof InvalidPoolError);
          assert.equal(error.code, "POOL_INVALID");
          assert.equal(error.problems.length, problems.length);
          problems.forEach((expected, i) => {
            assert.equal(error.problems[i]!.field, expected.field);
            assert.match(error.problems[i]!.reason, expected.reason);
          });
          return true;
        },
      );
    });
  }
});
