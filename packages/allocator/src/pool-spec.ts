// Validation of a pool definition: the rules of behaviour.md for `cidr` and `blockSize`.
import { type Cidr, cidrSize, FAMILY_BITS, type Family, formatCidr, parseCidr } from "./address.js";
import { type FieldProblem, InvalidCidrError, InvalidPoolError } from "./errors.js";

export interface PoolDefinition {
  name: string;
  cidr: unknown;
  /** Prefix length of one block; defaults per family. */
  blockSize?: unknown;
  /** Age for overlap resolution: the smaller value is the older pool (then the name decides). */
  createdAt?: number;
  /** IPv4: never hand out addresses ending in .0 or .255 automatically (MetalLB's avoidBuggyIPs); they count as reserved. */
  avoidBuggyIps?: boolean;
}

export interface PoolSpec {
  name: string;
  family: Family;
  cidr: Cidr;
  /** Canonical text of the CIDR. */
  cidrText: string;
  blockSize: number;
  /** Addresses in the pool. */
  size: bigint;
  /** log2 of the addresses in one block. */
  blockShift: number;
  createdAt: number;
  /** See PoolDefinition.avoidBuggyIps. */
  avoidBuggyIps: boolean;
}

export const BLOCK_SIZE_RULES: Record<Family, { min: number; max: number; default: number }> = {
  4: { min: 20, max: 32, default: 26 },
  6: { min: 116, max: 128, default: 122 },
};

/** Returns the usable spec of a pool, or throws InvalidPoolError naming every bad field. */
export function validatePool(definition: PoolDefinition): PoolSpec {
  const problems: FieldProblem[] = [];
  const name = definition.name;
  if (typeof name !== "string" || name.length === 0) {
    problems.push({ field: "name", value: name, reason: "must be a non-empty string" });
  }
  let cidr: Cidr | undefined;
  try {
    cidr = parseCidr(definition.cidr, true);
  } catch (error) {
    if (!(error instanceof InvalidCidrError)) throw error;
    problems.push({ field: "cidr", value: definition.cidr, reason: error.message });
  }
  let blockSize: number | undefined;
  if (cidr) {
    const rule = BLOCK_SIZE_RULES[cidr.family];
    const raw = definition.blockSize ?? rule.default;
    if (typeof raw !== "number" || !Number.isInteger(raw)) {
      problems.push({ field: "blockSize", value: raw, reason: "must be a whole number" });
    } else if (raw < rule.min || raw > rule.max) {
      problems.push({
        field: "blockSize",
        value: raw,
        reason: `must be between ${rule.min} and ${rule.max} for IPv${cidr.family}`,
      });
    } else if (raw < cidr.prefixLength) {
      problems.push({
        field: "blockSize",
        value: raw,
        reason: `a /${raw} block is larger than the /${cidr.prefixLength} pool; the pool must hold at least one block`,
      });
    } else {
      blockSize = raw;
    }
  }
  const createdAt = definition.createdAt ?? 0;
  if (typeof createdAt !== "number" || !Number.isFinite(createdAt)) {
    problems.push({ field: "createdAt", value: createdAt, reason: "must be a finite number" });
  }
  if (problems.length > 0 || !cidr || blockSize === undefined) {
    throw new InvalidPoolError(String(name), problems);
  }
  return {
    name,
    family: cidr.family,
    cidr,
    cidrText: formatCidr(cidr),
    blockSize,
    size: cidrSize(cidr),
    blockShift: FAMILY_BITS[cidr.family] - blockSize,
    createdAt,
    avoidBuggyIps: definition.avoidBuggyIps === true,
  };
}
