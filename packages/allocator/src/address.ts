// Address and CIDR parsing at the edge of the allocator: text in, numbers out.
// Everything past this module works on numbers (bigint for whole addresses,
// plain numbers for offsets inside a pool), never on strings.
import ipaddr from "ipaddr.js";
import { InvalidAddressError, InvalidCidrError } from "./errors.js";

export type Family = 4 | 6;

export const FAMILY_BITS: Record<Family, number> = { 4: 32, 6: 128 };

export interface Address {
  family: Family;
  value: bigint;
}

export interface Cidr {
  family: Family;
  /** First address of the range. */
  base: bigint;
  prefixLength: number;
}

/** Four decimal octets without leading zeros (what ipaddr.js calls a four-part decimal). */
const FOUR_DECIMALS = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;

const MAX_ADDRESS_TEXT = 45;

/**
 * Addresses are read on every reconcile, so the common forms are read
 * directly: four decimals in one pass, and only text with a colon goes to
 * ipaddr.js's IPv6 parser (asking it whether IPv6 text is IPv4 costs an
 * exception, ~100 us with a deep stack).
 */
export function parseAddress(text: unknown): Address {
  if (typeof text !== "string") throw new InvalidAddressError(text, "must be a string");
  // The longest address text is 45 characters (IPv6 ending in dotted IPv4): past it, no parse.
  if (text.length > MAX_ADDRESS_TEXT) throw new InvalidAddressError(text, "too long for an IP address");
  if (text.includes("%")) throw new InvalidAddressError(text, "zone identifiers are not allowed");
  if (!text.includes(":")) return { family: 4, value: parseIPv4(text) };
  let v6: ipaddr.IPv6;
  try {
    v6 = ipaddr.IPv6.parse(text);
  } catch (error) {
    throw new InvalidAddressError(text, "not an IPv4 or IPv6 address", { cause: error });
  }
  if (v6.isIPv4MappedAddress()) {
    throw new InvalidAddressError(text, "IPv4-mapped IPv6 addresses are not allowed; use the IPv4 form");
  }
  // Two 64-bit halves: four bigint steps instead of sixteen.
  const parts = v6.parts;
  let value = 0n;
  for (let i = 0; i < 8; i += 4) {
    const high = parts[i]! * 0x10000 + parts[i + 1]!;
    const low = parts[i + 2]! * 0x10000 + parts[i + 3]!;
    value = (value << 64n) | (BigInt(high) << 32n) | BigInt(low);
  }
  return { family: 6, value };
}

function parseIPv4(text: string): bigint {
  const decimals = FOUR_DECIMALS.exec(text);
  if (decimals) {
    const [a, b, c, d] = [Number(decimals[1]), Number(decimals[2]), Number(decimals[3]), Number(decimals[4])];
    if (a <= 255 && b <= 255 && c <= 255 && d <= 255)
      return BigInt(a * 0x1000000 + b * 0x10000 + c * 0x100 + d);
  }
  // ipaddr.js also accepts "10.1" and hex forms; an operator means four decimals.
  if (ipaddr.IPv4.isValid(text))
    throw new InvalidAddressError(text, "IPv4 addresses must be four decimal octets");
  throw new InvalidAddressError(text, "not an IPv4 or IPv6 address");
}

/**
 * Parses `a.b.c.d/n` or `x::/n`. With `strict`, host bits must be zero
 * (`10.0.0.1/24` is refused rather than silently widened).
 */
export function parseCidr(text: unknown, strict = true): Cidr {
  if (typeof text !== "string") throw new InvalidCidrError(text, "must be a string");
  const slash = text.indexOf("/");
  if (slash < 0) throw new InvalidCidrError(text, "missing /prefix-length");
  const prefixText = text.slice(slash + 1);
  let address: Address;
  try {
    address = parseAddress(text.slice(0, slash));
  } catch (cause) {
    throw new InvalidCidrError(text, (cause as Error).message, { cause });
  }
  const bits = FAMILY_BITS[address.family];
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > bits) {
    throw new InvalidCidrError(text, `prefix length must be a whole number from 0 to ${bits}`);
  }
  const prefixLength = Number(prefixText);
  const hostBits = BigInt(bits - prefixLength);
  const base = (address.value >> hostBits) << hostBits;
  if (strict && base !== address.value) {
    throw new InvalidCidrError(
      text,
      `host bits are set; the network is ${formatAddress(address.family, base)}/${prefixLength}`,
    );
  }
  return { family: address.family, base, prefixLength };
}

export function formatAddress(family: Family, value: bigint): string {
  if (family === 4) {
    const n = Number(value);
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  }
  const parts: number[] = new Array(8);
  for (let i = 7, v = value; i >= 0; i--, v >>= 16n) parts[i] = Number(v & 0xffffn);
  return new ipaddr.IPv6(parts).toString();
}

export function formatCidr(cidr: Cidr): string {
  return `${formatAddress(cidr.family, cidr.base)}/${cidr.prefixLength}`;
}

/** Number of addresses in the CIDR. */
export function cidrSize(cidr: Cidr): bigint {
  return 1n << BigInt(FAMILY_BITS[cidr.family] - cidr.prefixLength);
}

export function cidrContains(cidr: Cidr, address: Address): boolean {
  return (
    address.family === cidr.family && address.value >= cidr.base && address.value < cidr.base + cidrSize(cidr)
  );
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && a.base < b.base + cidrSize(b) && b.base < a.base + cidrSize(a);
}
