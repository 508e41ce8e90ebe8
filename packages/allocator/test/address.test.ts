import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import ipaddr from "ipaddr.js";
import {
  cidrContains,
  cidrSize,
  cidrsOverlap,
  formatAddress,
  InvalidAddressError,
  InvalidCidrError,
  parseAddress,
  parseCidr,
} from "../src/index.js";

describe("parseAddress", () => {
  const good: [string, 4 | 6, bigint][] = [
    ["10.0.0.1", 4, 0x0a000001n],
    ["0.0.0.0", 4, 0n],
    ["255.255.255.255", 4, 0xffffffffn],
    ["2001:db8::1", 6, 0x20010db8000000000000000000000001n],
    ["::", 6, 0n],
    ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 6, (1n << 128n) - 1n],
  ];
  for (const [text, family, value] of good) {
    it(`reads ${text}`, () => assert.deepEqual(parseAddress(text), { family, value }));
  }
  const bad: [unknown, RegExp][] = [
    ["10.1", /four decimal octets/],
    ["0x0a000001", /four decimal octets/],
    ["10.0.0.256", /not an IPv4 or IPv6 address/],
    ["fe80::1%eth0", /zone identifiers/],
    ["::ffff:10.0.0.1", /IPv4-mapped/],
    ["", /not an IPv4 or IPv6 address/],
    [42, /must be a string/],
  ];
  for (const [text, reason] of bad) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      assert.throws(
        () => parseAddress(text),
        (e: unknown) => e instanceof InvalidAddressError && reason.test(e.message),
      );
    });
  }
});

describe("parseCidr", () => {
  it("reads a strictly masked CIDR of each family", () => {
    assert.deepEqual(parseCidr("192.210.0.0/20"), { family: 4, base: 0xc0d20000n, prefixLength: 20 });
    assert.deepEqual(parseCidr("2001:db8::/64"), { family: 6, base: 0x20010db8n << 96n, prefixLength: 64 });
  });
  it("refuses host bits and names the network", () => {
    assert.throws(() => parseCidr("10.0.0.1/24"), /host bits are set; the network is 10\.0\.0\.0\/24/);
    assert.throws(() => parseCidr("2001:db8::1/64"), /the network is 2001:db8::\/64/);
  });
  it("accepts host bits when not strict", () => {
    assert.equal(parseCidr("10.0.0.1/24", false).base, 0x0a000000n);
  });
  for (const text of [
    "10.0.0.0",
    "10.0.0.0/33",
    "10.0.0.0/-1",
    "10.0.0.0/08",
    "::/129",
    "10.0.0.0/x",
    "x/24",
  ]) {
    it(`refuses ${text}`, () => assert.throws(() => parseCidr(text), InvalidCidrError));
  }
  it("sizes, contains and overlaps", () => {
    const a = parseCidr("10.0.0.0/24");
    const b = parseCidr("10.0.0.128/25");
    const c = parseCidr("10.0.1.0/24");
    assert.equal(cidrSize(a), 256n);
    assert.equal(cidrSize(parseCidr("::/0")), 1n << 128n);
    assert.ok(cidrsOverlap(a, b));
    assert.ok(!cidrsOverlap(a, c));
    assert.ok(!cidrsOverlap(a, parseCidr("::/0")));
    assert.ok(cidrContains(a, parseAddress("10.0.0.255")));
    assert.ok(!cidrContains(a, parseAddress("10.0.1.0")));
  });
});

describe("formatAddress", () => {
  it("writes canonical text", () => {
    assert.equal(formatAddress(4, 0xc0d20001n), "192.210.0.1");
    assert.equal(
      formatAddress(6, parseAddress("2001:0db8:0000:0000:0000:0000:0000:0001").value),
      "2001:db8::1",
    );
    assert.equal(formatAddress(6, 0n), "::");
  });
});

describe("parseAddress agrees with ipaddr.js", () => {
  it("on any IPv4 and IPv6 address, written the way ipaddr.js writes it", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), (octets) => {
        const text = ipaddr.fromByteArray(octets).toString();
        const expected = octets.reduce((value, octet) => (value << 8n) | BigInt(octet), 0n);
        assert.deepEqual(parseAddress(text), { family: 4, value: expected });
      }),
    );
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), (parts) => {
        const ip = new ipaddr.IPv6(parts);
        fc.pre(!ip.isIPv4MappedAddress());
        const expected = parts.reduce((value, part) => (value << 16n) | BigInt(part), 0n);
        assert.deepEqual(parseAddress(ip.toString()), { family: 6, value: expected });
        assert.deepEqual(parseAddress(ip.toNormalizedString()), { family: 6, value: expected });
      }),
    );
  });
});
