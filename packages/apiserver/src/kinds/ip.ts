// IP address and CIDR parsing for Service validation and allocation, formatted as Go's net.IP prints.

export type IPFamily = "IPv4" | "IPv6";

export interface ParsedIP {
  family: IPFamily;
  value: bigint;
}

function parseIPv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    // Legacy kube fields accept leading zeros, read as decimal.
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(Number(part));
  }
  return value;
}

function parseIPv6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (half: string): number[] | undefined => {
    if (half === "") return [];
    const out: number[] = [];
    const pieces = half.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (piece.includes(".")) {
        const v4 = i === pieces.length - 1 ? parseIPv4(piece) : undefined;
        if (v4 === undefined) return undefined;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) {
        out.push(Number.parseInt(piece, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  return [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail].reduce(
    (acc, g) => (acc << 16n) | BigInt(g),
    0n,
  );
}

export function parseIP(text: string): ParsedIP | undefined {
  if (text.includes(":")) {
    const value = parseIPv6(text);
    if (value === undefined) return undefined;
    // IPv4-mapped IPv6 addresses are IPv4 to Go.
    if (value >> 32n === 0xffffn) return { family: "IPv4", value: value & 0xffffffffn };
    return { family: "IPv6", value };
  }
  const value = parseIPv4(text);
  return value === undefined ? undefined : { family: "IPv4", value };
}

function familyBits(family: IPFamily): number {
  return family === "IPv4" ? 32 : 128;
}

/** Go's net.IP.String(): dotted quad, or RFC 5952 IPv6 (longest zero run of two or more groups compressed). */
export function formatIP(family: IPFamily, value: bigint): string {
  if (family === "IPv4") return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join(".");
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLength < 2) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

export interface ParsedCIDR {
  family: IPFamily;
  /** The network address. */
  base: bigint;
  prefix: number;
}

export function parseCIDR(text: string): ParsedCIDR | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const ip = parseIP(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  const bits = familyBits(ip.family);
  if (prefix > bits) return undefined;
  const hostBits = BigInt(bits - prefix);
  return { family: ip.family, base: (ip.value >> hostBits) << hostBits, prefix };
}
