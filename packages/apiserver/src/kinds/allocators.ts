// Allocation of Service cluster IPs and node ports. The server core owns the allocator instances
// (their state); Service admission only calls them through these interfaces.
import { ApiServerError } from "../errors.js";
import { formatIP, type IPFamily, parseCIDR, parseIP } from "./ip.js";

/** Why a value could not be allocated; messages are those of kube's ipallocator/portallocator. */
export class AllocationError extends ApiServerError {
  constructor(
    readonly reason: "full" | "allocated" | "notInRange",
    message: string,
  ) {
    super(message, "LBIPAM_APISERVER_ALLOCATION_FAILED");
  }
}

export interface RangeAllocator<T> {
  /** Claims a specific value; throws AllocationError. */
  allocate(value: T): void;
  /** Claims any free value; throws AllocationError when the range is full. */
  allocateNext(): T;
  release(value: T): void;
}

export interface ServiceAllocators {
  /** One allocator per service CIDR family; two makes the cluster dual-stack. */
  ips: Partial<Record<IPFamily, RangeAllocator<string>>>;
  /** The family single-stack Services get when they do not ask (the first service CIDR's). */
  primaryFamily: IPFamily;
  nodePorts: RangeAllocator<number>;
}

/**
 * A free slot in [0, size): random in the upper band first (kube keeps the lower band, up to 256
 * values, for static requests), then anywhere.
 */
function pickFree(
  size: number,
  isUsed: (offset: number) => boolean,
  random: () => number,
): number | undefined {
  const lowerBand = Math.min(Math.max(16, Math.floor(size / 16)), 256);
  const scan = (start: number, end: number): number | undefined => {
    if (end <= start) return undefined;
    const first = start + Math.floor(random() * (end - start));
    for (let i = 0; i < end - start; i++) {
      const offset = start + ((first - start + i) % (end - start));
      if (!isUsed(offset)) return offset;
    }
    return undefined;
  };
  return size > lowerBand ? (scan(lowerBand, size) ?? scan(0, lowerBand)) : scan(0, size);
}

// Ranges beyond this many addresses are only partly used (as kube limits its bitmap allocators).
const MAX_RANGE_SIZE = 1 << 24;

/**
 * The cluster IP allocator of one service CIDR. The network address (and, for IPv4, the broadcast
 * address) are never handed out.
 */
export function createCidrAllocator(
  cidr: string,
  random: () => number = Math.random,
): RangeAllocator<string> {
  const parsed = parseCIDR(cidr);
  if (!parsed) throw new Error(`invalid service CIDR ${JSON.stringify(cidr)}`);
  const { family, base, prefix } = parsed;
  const total = 1n << BigInt((family === "IPv4" ? 32 : 128) - prefix);
  const usable = total - (family === "IPv4" ? 2n : 1n);
  const size = Number(usable < BigInt(MAX_RANGE_SIZE) ? usable : BigInt(MAX_RANGE_SIZE));
  const used = new Set<number>();
  const toOffset = (ip: string): number | undefined => {
    const p = parseIP(ip);
    if (!p || p.family !== family) return undefined;
    const offset = p.value - base - 1n;
    return offset >= 0n && offset < BigInt(size) ? Number(offset) : undefined;
  };
  return {
    allocate(ip) {
      const offset = toOffset(ip);
      if (offset === undefined) {
        throw new AllocationError(
          "notInRange",
          `the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${cidr}`,
        );
      }
      if (used.has(offset)) throw new AllocationError("allocated", "provided IP is already allocated");
      used.add(offset);
    },
    allocateNext() {
      const offset = pickFree(size, (o) => used.has(o), random);
      if (offset === undefined) throw new AllocationError("full", "range is full");
      used.add(offset);
      return formatIP(family, base + 1n + BigInt(offset));
    },
    release(ip) {
      const offset = toOffset(ip);
      if (offset !== undefined) used.delete(offset);
    },
  };
}

/** The node port allocator of a port range such as 30000-32767. */
export function createPortAllocator(
  first: number,
  last: number,
  random: () => number = Math.random,
): RangeAllocator<number> {
  const used = new Set<number>();
  const size = last - first + 1;
  return {
    allocate(port) {
      if (port < first || port > last) {
        throw new AllocationError(
          "notInRange",
          `provided port is not in the valid range. The range of valid ports is ${first}-${last}`,
        );
      }
      if (used.has(port)) throw new AllocationError("allocated", "provided port is already allocated");
      used.add(port);
    },
    allocateNext() {
      const offset = pickFree(size, (o) => used.has(first + o), random);
      if (offset === undefined) throw new AllocationError("full", "range is full");
      used.add(first + offset);
      return first + offset;
    },
    release(port) {
      used.delete(port);
    },
  };
}

export const DEFAULT_SERVICE_CIDRS = ["10.96.0.0/12", "fd00:10:96::/108"] as const;
export const DEFAULT_NODE_PORT_RANGE = [30000, 32767] as const;

/** Allocators for the default dual-stack, IPv4-primary configuration. */
export function createDefaultServiceAllocators(random: () => number = Math.random): ServiceAllocators {
  return {
    ips: {
      IPv4: createCidrAllocator(DEFAULT_SERVICE_CIDRS[0], random),
      IPv6: createCidrAllocator(DEFAULT_SERVICE_CIDRS[1], random),
    },
    primaryFamily: "IPv4",
    nodePorts: createPortAllocator(DEFAULT_NODE_PORT_RANGE[0], DEFAULT_NODE_PORT_RANGE[1], random),
  };
}
