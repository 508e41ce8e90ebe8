// One pool as its users see it: addresses in, addresses out. It joins a
// validated spec to its storage (a dense bitmap or a sparse block tree) and
// turns addresses into offsets inside the pool.
import { type Cidr, FAMILY_BITS, formatAddress, formatCidr, parseAddress } from "./address.js";
import { type ConsistencyReport, DensePool, type PoolCounts } from "./dense-pool.js";
import { InvalidAddressError } from "./errors.js";
import { DENSE_MAX_ADDRESSES } from "./layout.js";
import { type PoolDefinition, type PoolSpec, validatePool } from "./pool-spec.js";
import { type OffsetRange, SparsePool } from "./sparse-pool.js";

/** What a worker needs to open a pool: plain data and the shared memory. */
export interface SharedPool {
  definition: { name: string; cidr: string; blockSize: number; createdAt: number };
  buffer: SharedArrayBuffer;
}

export class AddressPool {
  readonly spec: PoolSpec;
  private readonly dense: DensePool | undefined;
  private readonly sparse: SparsePool | undefined;
  private readonly scratch = new Float64Array(1);
  /** Reserved offset ranges as last set through this instance (reservations change on one thread). */
  private reserved: OffsetRange[] = [];

  private constructor(spec: PoolSpec, dense: DensePool | undefined, sparse: SparsePool | undefined) {
    this.spec = spec;
    this.dense = dense;
    this.sparse = sparse;
  }

  /** Validates the definition (throws InvalidPoolError) and creates empty storage for it. */
  static create(definition: PoolDefinition): AddressPool {
    const spec = validatePool(definition);
    if (spec.size <= BigInt(DENSE_MAX_ADDRESSES)) {
      return new AddressPool(spec, DensePool.create(Number(spec.size), spec.blockShift), undefined);
    }
    const blockIdBits = FAMILY_BITS[spec.family] - spec.cidr.prefixLength - spec.blockShift;
    return new AddressPool(spec, undefined, SparsePool.create(blockIdBits, spec.blockShift));
  }

  /** Opens, in this thread, a pool another thread created. */
  static attach(shared: SharedPool): AddressPool {
    const spec = validatePool(shared.definition);
    if (spec.size <= BigInt(DENSE_MAX_ADDRESSES)) {
      return new AddressPool(spec, DensePool.attach(shared.buffer), undefined);
    }
    return new AddressPool(spec, undefined, SparsePool.attach(shared.buffer));
  }

  get name(): string {
    return this.spec.name;
  }

  /** "dense" keeps one bit per address; "sparse" keeps only the blocks in use. */
  get storage(): "dense" | "sparse" {
    return this.dense ? "dense" : "sparse";
  }

  shared(): SharedPool {
    const { name, cidrText, blockSize, createdAt } = this.spec;
    return {
      definition: { name, cidr: cidrText, blockSize, createdAt },
      buffer: (this.dense ?? this.sparse)!.buffer,
    };
  }

  /** Whether `value` (an address of the pool's family) lies in the pool. */
  contains(value: bigint): boolean {
    const offset = value - this.spec.cidr.base;
    return offset >= 0n && offset < this.spec.size;
  }

  private offsetOf(value: bigint): bigint {
    if (!this.contains(value)) {
      throw new InvalidAddressError(
        formatAddress(this.spec.family, value),
        `not in pool ${this.spec.name} (${this.spec.cidrText})`,
      );
    }
    return value - this.spec.cidr.base;
  }

  /** Next address by the pool's policy, or undefined when nothing is free. */
  allocate(): bigint | undefined {
    return this.allocateHandles(1, this.scratch) === 1 ? this.valueOfHandle(this.scratch[0]!) : undefined;
  }

  /** Up to `count` addresses by the pool's policy (fewer when the pool runs out). */
  allocateMany(count: number): bigint[] {
    const out = new Float64Array(count);
    const got = this.allocateHandles(count, out);
    return Array.from(out.subarray(0, got), (handle) => this.valueOfHandle(handle));
  }

  /**
   * Allocates up to `count` addresses into `out` as handles, numbers that
   * name an address of this pool without building it (see valueOfHandle);
   * returns how many it got. The fast path for batches.
   */
  allocateHandles(count: number, out: Float64Array, at = 0): number {
    return this.dense ? this.dense.allocateMany(count, out, at) : this.sparse!.allocateMany(count, out, at);
  }

  /** The address a handle from allocateHandles names. */
  valueOfHandle(handle: number): bigint {
    const offset = this.dense ? BigInt(handle) : this.sparse!.offsetOfHandle(handle);
    return this.spec.cidr.base + offset;
  }

  /** Takes one address, reserved or not. False if someone holds it. */
  claim(value: bigint): boolean {
    const offset = this.offsetOf(value);
    return this.dense ? this.dense.claim(Number(offset)) : this.sparse!.claim(offset);
  }

  /** Gives an address back. False if it was not allocated. */
  release(value: bigint): boolean {
    const offset = this.offsetOf(value);
    return this.dense ? this.dense.release(Number(offset)) : this.sparse!.release(offset);
  }

  isAllocated(value: bigint): boolean {
    const offset = this.offsetOf(value);
    return this.dense ? this.dense.isAllocated(Number(offset)) : this.sparse!.isAllocated(offset);
  }

  /**
   * Sets the reservations that apply to this pool (any CIDRs; the parts
   * outside the pool are ignored). Replaces the previous set.
   */
  setReservations(cidrs: readonly Cidr[]): void {
    const ranges = this.rangesInPool(cidrs);
    if (this.sparse) {
      this.sparse.setReservations(ranges);
    } else {
      // Reserve the new ranges before freeing the old, so no address that
      // stays reserved is ever briefly open to automatic allocation.
      for (const range of ranges) this.dense!.setReserved(Number(range.from), Number(range.to), true);
      for (const range of subtractRanges(this.reserved, ranges)) {
        this.dense!.setReserved(Number(range.from), Number(range.to), false);
      }
    }
    this.reserved = ranges;
  }

  private rangesInPool(cidrs: readonly Cidr[]): OffsetRange[] {
    const { family, base } = this.spec.cidr;
    const end = base + this.spec.size;
    const ranges: OffsetRange[] = [];
    for (const cidr of cidrs) {
      if (cidr.family !== family) continue;
      // biome-ignore lint/complexity/useMathMinMax: Math.max does not take bigint
      const from = cidr.base > base ? cidr.base : base;
      const cidrEnd = cidr.base + (1n << BigInt(FAMILY_BITS[family] - cidr.prefixLength));
      const to = cidrEnd < end ? cidrEnd : end;
      if (from < to) ranges.push({ from: from - base, to: to - base });
    }
    if (this.spec.avoidBuggyIps && family === 4) ranges.push(...buggyAddressRanges(base, end));
    ranges.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
    const merged: OffsetRange[] = [];
    for (const range of ranges) {
      const last = merged[merged.length - 1];
      if (last && range.from <= last.to) {
        if (range.to > last.to) last.to = range.to;
      } else {
        merged.push({ ...range });
      }
    }
    return merged;
  }

  counts(): PoolCounts {
    return this.dense ? this.dense.counts() : this.sparse!.counts();
  }

  /** The blocks holding at least one allocation, as CIDRs (what a router would aggregate). */
  blocksInUse(): string[] {
    const { family, base } = this.spec.cidr;
    const blockSize = this.spec.blockSize;
    const shift = BigInt(this.spec.blockShift);
    const blocks = this.dense ? this.dense.blocksInUse().map(BigInt) : this.sparse!.blocksInUse();
    return blocks.map((block) =>
      formatCidr({ family, base: base + (block << shift), prefixLength: blockSize }),
    );
  }

  /** Every allocated address, ascending. */
  allocatedAddresses(): bigint[] {
    const base = this.spec.cidr.base;
    return this.dense
      ? this.dense.allocatedOffsets().map((offset) => base + BigInt(offset))
      : this.sparse!.allocatedOffsets().map((offset) => base + offset);
  }

  scan(repair = false): ConsistencyReport {
    return this.dense ? this.dense.scan(repair) : this.sparse!.scan(repair);
  }

  format(value: bigint): string {
    return formatAddress(this.spec.family, value);
  }

  /** Parses an address and checks it is of this pool's family (not that it is inside). */
  parse(text: string): bigint {
    const address = parseAddress(text);
    if (address.family !== this.spec.family) {
      throw new InvalidAddressError(text, `pool ${this.spec.name} is IPv${this.spec.family}`);
    }
    return address.value;
  }
}

/** The parts of sorted, merged `ranges` not covered by sorted, merged `minus`. */
export function subtractRanges(ranges: readonly OffsetRange[], minus: readonly OffsetRange[]): OffsetRange[] {
  const result: OffsetRange[] = [];
  for (const range of ranges) {
    let from = range.from;
    for (const cut of minus) {
      if (cut.to <= from) continue;
      if (cut.from >= range.to) break;
      if (cut.from > from) result.push({ from, to: cut.from });
      from = cut.to;
    }
    if (from < range.to) result.push({ from, to: range.to });
  }
  return result;
}

/**
 * The pool's IPv4 addresses ending in .0 or .255, as offset ranges (one per
 * address; a .255 and the next .0 merge later): some clients and routers
 * mistake them for network or broadcast addresses. Two per /24 the pool
 * touches: the pool view allows the option on pools of /8 or smaller only.
 */
function buggyAddressRanges(base: bigint, end: bigint): OffsetRange[] {
  const ranges: OffsetRange[] = [];
  for (let block = base / 256n; block * 256n < end; block++) {
    for (const address of [block * 256n, block * 256n + 255n]) {
      if (address >= base && address < end) ranges.push({ from: address - base, to: address - base + 1n });
    }
  }
  return ranges;
}
