import assert from "node:assert/strict";
import { isIPv6 } from "node:net";
import { describe, it } from "node:test";
import { printerColumnCells } from "../src/crd/index.js";
import type { KubeObject } from "../src/types.js";
import { create, deployedVersion, messages, RULES_NOT_CHECKED } from "./fixtures/crd/load.js";

const reservations = deployedVersion("ipreservations.projectcalico.org.yaml");

function reservation(reservedCIDRs: unknown[]): KubeObject {
  return {
    apiVersion: "projectcalico.org/v3",
    kind: "IPReservation",
    metadata: { name: "keep-out", creationTimestamp: "2026-01-01T00:00:00Z" },
    spec: { reservedCIDRs },
  };
}

const NOT_AN_ADDRESS =
  'Invalid value: "string": must be an IPv4 or IPv6 address or CIDR such as 192.0.2.3, 192.0.2.0/28 or 2001:db8::/123';

describe("IPReservation CRD", () => {
  it("accepts the upstream docs' mix of addresses and CIDRs", () => {
    const result = create(
      reservations,
      reservation(["192.168.2.3", "10.0.2.3/32", "cafe:f00d::/123", "2001:db8::1"]),
    );
    assert.deepEqual(messages(result), []);
  });

  it("refuses entries that are not addresses or CIDRs", () => {
    const result = create(
      reservations,
      reservation(["192.168.2.300", "10.0.0.0/33", "fe80::1%eth0", "2001:db8::/129"]),
    );
    assert.deepEqual(messages(result), [
      `spec.reservedCIDRs[0]: ${NOT_AN_ADDRESS}`,
      `spec.reservedCIDRs[1]: ${NOT_AN_ADDRESS}`,
      `spec.reservedCIDRs[2]: ${NOT_AN_ADDRESS}`,
      `spec.reservedCIDRs[3]: ${NOT_AN_ADDRESS}`,
    ]);
  });

  it("refuses CIDRs with host bits set", () => {
    const entries = ["10.0.2.0/28", "10.0.2.8/28", "2001:db8::/123", "2001:db8::10/123", "2001:db8::1"];
    assert.deepEqual(messages(create(reservations, reservation(entries))), [
      'spec.reservedCIDRs[1]: Invalid value: "string": a CIDR must be strictly masked (no bits set after the ' +
        "prefix length), e.g. 192.0.2.0/28 rather than 192.0.2.1/28",
      'spec.reservedCIDRs[3]: Invalid value: "string": a CIDR must be strictly masked (no bits set after the ' +
        "prefix length), e.g. 2001:db8::/123 rather than 2001:db8::1/123",
    ]);
  });

  it("holds at most 256 entries", () => {
    const entries = Array.from({ length: 257 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    assert.deepEqual(messages(create(reservations, reservation(entries))), [
      "spec.reservedCIDRs: Too many: 257: must have at most 256 items",
      RULES_NOT_CHECKED,
    ]);
    assert.deepEqual(messages(create(reservations, reservation(entries.slice(0, 256)))), []);
  });

  it("refuses duplicates (the list is a set)", () => {
    assert.deepEqual(messages(create(reservations, reservation(["10.0.2.3", "10.0.2.3"]))), [
      'spec.reservedCIDRs[1]: Duplicate value: "10.0.2.3"',
    ]);
  });

  it("recognises IPv6 addresses exactly as Node's parser does (no embedded IPv4 tail)", () => {
    // A deterministic walk over compressed forms of assorted addresses.
    let seed = 7;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const candidates: string[] = [];
    for (let i = 0; i < 80; i++) {
      const groups = Array.from({ length: 8 }, () => (next(3) === 0 ? "0" : next(65536).toString(16)));
      const from = next(9);
      const to = from + next(9 - from);
      const text =
        to > from ? `${groups.slice(0, from).join(":")}::${groups.slice(to).join(":")}` : groups.join(":");
      candidates.push(text, `${text}:1`, text.replace(":", ":::"));
    }
    // At most 256 entries (maxItems), each at most 64 characters (maxLength).
    const entries = candidates.filter((candidate) => candidate.length <= 64);
    assert.ok(entries.length <= 256);
    const refused = new Set(create(reservations, reservation(entries)).causes.map((cause) => cause.field));
    const mismatches = entries.filter((entry, i) => {
      const duplicateOfEarlier = entries.indexOf(entry) !== i;
      return !duplicateOfEarlier && isIPv6(entry) === refused.has(`spec.reservedCIDRs[${i}]`);
    });
    assert.deepEqual(mismatches, []);
    assert.ok(entries.some((entry) => isIPv6(entry)) && entries.some((entry) => !isIPv6(entry)));
  });

  it("prints the reserved entries", () => {
    const { object } = create(reservations, reservation(["192.0.2.3"]));
    assert.deepEqual(printerColumnCells(reservations, object, Date.parse("2026-01-03T00:00:00Z")), [
      '["192.0.2.3"]',
      "2d",
    ]);
  });
});
