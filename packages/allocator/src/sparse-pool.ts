// A pool too large to map (an IPv6 /64 holds 2^58 blocks of 64): a radix tree
// over block numbers that holds only the blocks opened so far. Inner nodes
// carry two masks over their children, "holds a partly used block" and
// "holds an unused block with free addresses", so the policy's next block is
// one walk from the root. Memory follows the blocks ever opened, not the pool.
//
// Threads share the tree through a growable SharedArrayBuffer. Operations run
// under a lock taken with Atomics.compareExchange (and Atomics.wait when held),
// so main thread and workers may allocate in one pool at once; inside the
// lock, plain reads and writes are ordered by the lock's Atomics.

import type { ConsistencyReport, PoolCounts } from "./dense-pool.js";
import { lowestBits, poolCounts, popcount } from "./dense-pool.js";
import { AllocatorError, SharedLayoutError } from "./errors.js";
import { lowestBit } from "./hint-tree.js";
import {
  FANOUT,
  FANOUT_BITS,
  SPARSE_HEADER as H,
  LEAF,
  leafWords,
  NODE,
  RESERVATIONS,
  RESERVED_WORDS,
  SPARSE_MAGIC,
  SPARSE_VERSION,
  treeDepth,
} from "./sparse-layout.js";

/** A range of offsets [from, to) inside the pool. */
export interface OffsetRange {
  from: bigint;
  to: bigint;
}

/** A leaf offset and the index of an address in it, packed so that one Float64 names an address. */
const HANDLE_SCALE = 4096;

const DEFAULT_MAX_BYTES = 256 * 2 ** 20;

/** Writes the low `words.length` 32-bit words of `value` into `words`, least significant first. */
function toWords(value: bigint, words: number[]): void {
  for (let i = 0; i < words.length; i++) words[i] = Number(BigInt.asUintN(32, value >> BigInt(32 * i))) | 0;
}

function fromWords(m: Int32Array, at: number, count = 4): bigint {
  let value = 0n;
  for (let i = count - 1; i >= 0; i--) value = (value << 32n) | BigInt(m[at + i]! >>> 0);
  return value;
}

export class SparsePool {
  readonly buffer: SharedArrayBuffer;
  /**
   * A fixed-length view, renewed when the buffer has grown: V8 reads a
   * length-tracking view of a growable buffer about ten times slower.
   */
  private m: Int32Array;
  readonly blockIdBits: number;
  readonly blockShift: number;
  /** Addresses in the pool: 2^(blockIdBits + blockShift). */
  private readonly total: bigint;
  private readonly depth: number;
  private readonly blockLength: number;
  private readonly words: number;
  private readonly leafMask: number;
  /** Reservation list as last read from shared memory, and the version it was read at. */
  private ranges: OffsetRange[] = [];
  private rangesVersion = 0;
  private readonly idWords = [0, 0, 0, 0];
  private readonly pathNodes: number[] = [];
  private readonly pathDigits: number[] = [];

  private constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.m = new Int32Array(buffer, 0, buffer.byteLength / 4);
    this.blockIdBits = this.m[H.BLOCK_ID_BITS]!;
    this.blockShift = this.m[H.BLOCK_SHIFT]!;
    this.total = 1n << BigInt(this.blockIdBits + this.blockShift);
    this.depth = treeDepth(this.blockIdBits);
    this.blockLength = 2 ** this.blockShift;
    this.words = leafWords(this.blockShift);
    this.leafMask = this.blockLength >= 32 ? -1 : (1 << this.blockLength) - 1;
  }

  /** A pool of 2^blockIdBits blocks of 2^blockShift addresses. */
  static create(blockIdBits: number, blockShift: number, maxBytes = DEFAULT_MAX_BYTES): SparsePool {
    if (blockShift > 12)
      throw new RangeError(`blocks of 2^${blockShift} addresses are larger than supported`);
    const buffer = new SharedArrayBuffer(4096, { maxByteLength: maxBytes });
    const m = new Int32Array(buffer);
    m[H.MAGIC] = SPARSE_MAGIC;
    m[H.VERSION] = SPARSE_VERSION;
    m[H.BLOCK_ID_BITS] = blockIdBits;
    m[H.BLOCK_SHIFT] = blockShift;
    m[H.ARENA_TOP] = H.LENGTH;
    return new SparsePool(buffer);
  }

  static attach(buffer: SharedArrayBuffer): SparsePool {
    const m = new Int32Array(buffer);
    if (m.length < H.LENGTH || Atomics.load(m, H.MAGIC) !== SPARSE_MAGIC)
      throw new SharedLayoutError("bad magic");
    const version = Atomics.load(m, H.VERSION);
    if (version !== SPARSE_VERSION) throw new SharedLayoutError(`layout version ${version}`);
    return new SparsePool(buffer);
  }

  /** Memory the pool uses now, in bytes. */
  get bytesUsed(): number {
    return this.buffer.byteLength;
  }

  private lock(): void {
    let state = Atomics.compareExchange(this.m, H.LOCK, 0, 1);
    if (state === 0) return;
    if (state !== 2) state = Atomics.exchange(this.m, H.LOCK, 2);
    while (state !== 0) {
      Atomics.wait(this.m, H.LOCK, 2);
      state = Atomics.exchange(this.m, H.LOCK, 2);
    }
  }

  private unlock(): void {
    if (Atomics.sub(this.m, H.LOCK, 1) !== 1) {
      Atomics.store(this.m, H.LOCK, 0);
      Atomics.notify(this.m, H.LOCK, 1);
    }
  }

  private withLock<T>(body: () => T): T {
    this.lock();
    try {
      if (this.m.byteLength !== this.buffer.byteLength) this.renewView();
      this.refreshReservations();
      return body();
    } finally {
      this.unlock();
    }
  }

  private allocWords(count: number): number {
    const top = this.m[H.ARENA_TOP]!;
    const needed = (top + count) * 4;
    if (needed > this.buffer.byteLength) {
      const next = Math.min(Math.max(needed, this.buffer.byteLength * 2), this.buffer.maxByteLength);
      if (next < needed) {
        throw new AllocatorError(
          "POOL_MEMORY",
          `sparse pool needs more than ${this.buffer.maxByteLength} bytes`,
        );
      }
      this.buffer.grow(next);
      this.renewView();
    }
    this.m[H.ARENA_TOP] = top + count;
    return top;
  }

  private renewView(): void {
    this.m = new Int32Array(this.buffer, 0, this.buffer.byteLength / 4);
  }

  private refreshReservations(): void {
    const version = this.m[H.RESERVATIONS_VERSION]!;
    if (version === this.rangesVersion) return;
    const at = this.m[H.RESERVATIONS]!;
    const ranges: OffsetRange[] = [];
    if (at !== 0) {
      const count = this.m[at + RESERVATIONS.COUNT]!;
      for (let i = 0; i < count; i++) {
        const r = at + RESERVATIONS.RANGES + i * RESERVATIONS.WORDS_PER_RANGE;
        ranges.push({ from: fromWords(this.m, r), to: fromWords(this.m, r + 4) + 1n });
      }
    }
    this.ranges = ranges;
    this.rangesVersion = version;
  }

  /** First offset in [from, to) not reserved, or -1n. Ranges are sorted and merged. */
  private firstUnreserved(from: bigint, to: bigint): bigint {
    let at = from;
    for (const range of this.ranges) {
      if (range.to <= at) continue;
      if (range.from > at) break;
      at = range.to;
    }
    return at < to ? at : -1n;
  }

  // --- tree shape -----------------------------------------------------------

  /** Children that exist at a level: the top level may use fewer than 64 digits. */
  private childrenAt(level: number): number {
    const below = FANOUT_BITS * (this.depth - 1 - level);
    return level === 0 ? 2 ** Math.min(FANOUT_BITS, this.blockIdBits - below) : FANOUT;
  }

  /** Offsets covered by a child subtree at `level` whose block-number prefix is `prefix`. */
  private subtreeRange(level: number, prefix: bigint): OffsetRange {
    const blockBits = BigInt(FANOUT_BITS * (this.depth - 1 - level));
    const shift = BigInt(this.blockShift);
    const from = (prefix << blockBits) << shift;
    return { from, to: from + ((1n << blockBits) << shift) };
  }

  private prefixOf(level: number): bigint {
    let prefix = 0n;
    for (let l = 0; l <= level; l++) prefix = (prefix << BigInt(FANOUT_BITS)) | BigInt(this.pathDigits[l]!);
    return prefix;
  }

  /**
   * A new inner node at `level`; its own block-number prefix is the recorded
   * path above it (only read when reservations exist: without them every
   * child is an unused subtree with free addresses).
   */
  private newNode(level: number): number {
    const node = this.allocWords(NODE.LENGTH);
    const children = this.childrenAt(level);
    const prefix = this.ranges.length > 0 && level > 0 ? this.prefixOf(level - 1) : 0n;
    for (let c = 0; c < children; c++) {
      if (this.ranges.length > 0) {
        const range = this.subtreeRange(level, (prefix << BigInt(FANOUT_BITS)) | BigInt(c));
        if (this.firstUnreserved(range.from, range.to) < 0n) continue;
      }
      this.setBit(node, NODE.EMPTY, c, true);
    }
    return node;
  }

  /** A new leaf for the block number in `idWords`. */
  private newLeaf(): number {
    const leaf = this.allocWords(LEAF.BITMAPS + 2 * this.words);
    for (let i = 0; i < 4; i++) this.m[leaf + LEAF.ID + i] = this.idWords[i]!;
    // Fresh arena words are zero: without reservations the reserved bitmap is already right.
    if (this.ranges.length > 0) this.applyReservations(leaf, fromWords(this.m, leaf + LEAF.ID));
    return leaf;
  }

  /** Writes the reservation bitmap of a leaf from the reservation list; returns addresses reserved. */
  private applyReservations(leaf: number, blockId: bigint): number {
    const start = blockId << BigInt(this.blockShift);
    const end = start + BigInt(this.blockLength);
    const reservedAt = leaf + LEAF.BITMAPS + this.words;
    for (let w = 0; w < this.words; w++) this.m[reservedAt + w] = 0;
    let count = 0;
    for (const range of this.ranges) {
      if (range.to <= start || range.from >= end) continue;
      const from = Number((range.from > start ? range.from : start) - start);
      const to = Number((range.to < end ? range.to : end) - start);
      for (let i = from; i < to; i++) this.m[reservedAt + (i >>> 5)]! |= 1 << (i & 31);
      count += to - from;
    }
    this.m[leaf + LEAF.RESERVED] = count;
    return count;
  }

  private leafFreeWord(leaf: number, w: number): number {
    const a = this.m[leaf + LEAF.BITMAPS + w]!;
    const r = this.m[leaf + LEAF.BITMAPS + this.words + w]!;
    return ~(a | r) & this.leafMask;
  }

  private leafHasFree(leaf: number): boolean {
    for (let w = 0; w < this.words; w++) if (this.leafFreeWord(leaf, w) !== 0) return true;
    return false;
  }

  private hasBit(node: number, mask: number, child: number): boolean {
    return (this.m[node + mask + (child >>> 5)]! & (1 << (child & 31))) !== 0;
  }

  private setBit(node: number, mask: number, child: number, on: boolean): void {
    const at = node + mask + (child >>> 5);
    if (on) this.m[at]! |= 1 << (child & 31);
    else this.m[at]! &= ~(1 << (child & 31));
  }

  private lowestChild(node: number, mask: number): number {
    const low = this.m[node + mask]!;
    if (low !== 0) return lowestBit(low);
    const high = this.m[node + mask + 1]!;
    return high !== 0 ? 32 + lowestBit(high) : -1;
  }

  /** After a leaf changed, brings the masks on the recorded path in line. */
  private updatePath(leaf: number): void {
    const count = this.m[leaf + LEAF.ALLOCATED]!;
    const free = this.leafHasFree(leaf);
    let partial = count > 0 && free;
    let empty = count === 0 && free;
    for (let level = this.depth - 1; level >= 0; level--) {
      const node = this.pathNodes[level]!;
      const child = this.pathDigits[level]!;
      this.setBit(node, NODE.PARTIAL, child, partial);
      this.setBit(node, NODE.EMPTY, child, empty);
      partial = (this.m[node + NODE.PARTIAL]! | this.m[node + NODE.PARTIAL + 1]!) !== 0;
      empty = (this.m[node + NODE.EMPTY]! | this.m[node + NODE.EMPTY + 1]!) !== 0;
    }
  }

  private root(): number {
    let root = this.m[H.ROOT]!;
    if (root === 0) {
      this.idWords.fill(0);
      root = this.depth === 0 ? this.newLeaf() : this.newNode(0);
      this.m[H.ROOT] = root;
    }
    return root;
  }

  /** The digit of the block number in `idWords` that picks the child at `level`. */
  private digitAt(level: number): number {
    const p = FANOUT_BITS * (this.depth - 1 - level);
    const word = p >>> 5;
    const shift = p & 31;
    let digit = this.idWords[word]! >>> shift;
    if (shift > 32 - FANOUT_BITS && word < 3) digit |= this.idWords[word + 1]! << (32 - shift);
    return digit & (FANOUT - 1);
  }

  /** Puts the recorded path's digits into `idWords` (the block number they spell). */
  private pathToWords(): void {
    this.idWords.fill(0);
    for (let level = 0; level < this.depth; level++) {
      const p = FANOUT_BITS * (this.depth - 1 - level);
      const digit = this.pathDigits[level]!;
      const word = p >>> 5;
      const shift = p & 31;
      this.idWords[word]! |= digit << shift;
      if (shift > 32 - FANOUT_BITS && word < 3) this.idWords[word + 1]! |= digit >>> (32 - shift);
    }
  }

  /**
   * Walks from `level` (whose node is recorded) to the leaf of the block
   * number in `idWords`, recording the path; creates what is missing when
   * `create`. Returns the leaf, or 0 if absent.
   */
  private descend(level: number, node: number, create: boolean): number {
    let at = node;
    for (let l = level; l < this.depth; l++) {
      const digit = this.digitAt(l);
      this.pathNodes[l] = at;
      this.pathDigits[l] = digit;
      let child = this.m[at + NODE.CHILDREN + digit]!;
      if (child === 0) {
        if (!create) return 0;
        child = l === this.depth - 1 ? this.newLeaf() : this.newNode(l + 1);
        this.m[at + NODE.CHILDREN + digit] = child;
      }
      at = child;
    }
    return at;
  }

  /** Walks to the leaf of `blockId`, recording the path; creates what is missing when `create`. */
  private walkTo(blockId: bigint, create: boolean): number {
    if (!create && this.m[H.ROOT] === 0) return 0;
    const root = this.root();
    toWords(blockId, this.idWords);
    return this.descend(0, root, create);
  }

  /** The leaf the policy takes next (partly used first, then the lowest unused), path recorded; 0 if full. */
  private nextLeaf(): number {
    let node = this.root();
    if (this.depth === 0) return this.leafHasFree(node) ? node : 0;
    const mask = this.lowestChild(node, NODE.PARTIAL) >= 0 ? NODE.PARTIAL : NODE.EMPTY;
    for (let level = 0; level < this.depth; level++) {
      const digit = this.lowestChild(node, mask);
      if (digit < 0) return 0;
      this.pathNodes[level] = node;
      this.pathDigits[level] = digit;
      const child = this.m[node + NODE.CHILDREN + digit]!;
      if (child === 0) return this.openUnusedBlock(level);
      node = child;
    }
    return node;
  }

  /** Opens the lowest block with a free address below the absent child recorded at `level`. */
  private openUnusedBlock(level: number): number {
    if (this.ranges.length === 0) {
      // Nothing reserved: the subtree's first block, digits below all zero.
      for (let l = level + 1; l < this.depth; l++) this.pathDigits[l] = 0;
      this.pathToWords();
      return this.descend(level, this.pathNodes[level]!, true);
    }
    const range = this.subtreeRange(level, this.prefixOf(level));
    const first = this.firstUnreserved(range.from, range.to);
    if (first < 0n)
      throw new AllocatorError("POOL_CORRUPT", "an unused subtree marked free is fully reserved");
    return this.walkTo(first >> BigInt(this.blockShift), true);
  }

  // --- operations -----------------------------------------------------------

  /**
   * Allocates up to `count` addresses in policy order, writing a handle for
   * each to `out` (see offsetOfHandle); returns how many it got.
   */
  allocateMany(count: number, out: Float64Array, at = 0): number {
    return this.withLock(() => {
      let got = 0;
      while (got < count) {
        const leaf = this.nextLeaf();
        if (leaf === 0) break;
        const handleBase = leaf * HANDLE_SCALE;
        let taken = 0;
        for (let w = 0; w < this.words && got < count; w++) {
          const free = this.leafFreeWord(leaf, w);
          if (free === 0) continue;
          const take = lowestBits(free, count - got);
          this.m[leaf + LEAF.BITMAPS + w]! |= take;
          for (let bits = take; bits !== 0; bits &= bits - 1)
            out[at + got++] = handleBase + (w << 5) + lowestBit(bits);
          taken += popcount(take);
        }
        this.m[leaf + LEAF.ALLOCATED]! += taken;
        this.m[H.ALLOCATED]! += taken;
        this.updatePath(leaf);
      }
      return got;
    });
  }

  /** The pool offset a handle from allocateMany names. */
  offsetOfHandle(handle: number): bigint {
    const leaf = Math.floor(handle / HANDLE_SCALE);
    const index = handle - leaf * HANDLE_SCALE;
    return (fromWords(this.m, leaf + LEAF.ID) << BigInt(this.blockShift)) + BigInt(index);
  }

  /** Allocates one address; its offset, or -1n when the pool is full. */
  allocate(): bigint {
    const out = new Float64Array(1);
    return this.allocateMany(1, out) === 1 ? this.offsetOfHandle(out[0]!) : -1n;
  }

  private split(offset: bigint): { blockId: bigint; index: number } {
    if (offset < 0n || offset >= this.total) throw new RangeError(`offset ${offset} is outside the pool`);
    return {
      blockId: offset >> BigInt(this.blockShift),
      index: Number(offset & BigInt(this.blockLength - 1)),
    };
  }

  /** Claims one specific address (reserved or not). False if it is already allocated. */
  claim(offset: bigint): boolean {
    const { blockId, index } = this.split(offset);
    return this.withLock(() => {
      const leaf = this.walkTo(blockId, true);
      const at = leaf + LEAF.BITMAPS + (index >>> 5);
      const bit = 1 << (index & 31);
      if ((this.m[at]! & bit) !== 0) return false;
      this.m[at]! |= bit;
      if ((this.m[at + this.words]! & bit) !== 0) this.m[H.RESERVED_ALLOCATED]!++;
      this.m[leaf + LEAF.ALLOCATED]!++;
      this.m[H.ALLOCATED]!++;
      this.updatePath(leaf);
      return true;
    });
  }

  /** Frees an address. False if it was not allocated. */
  release(offset: bigint): boolean {
    const { blockId, index } = this.split(offset);
    return this.withLock(() => {
      const leaf = this.walkTo(blockId, false);
      if (leaf === 0) return false;
      const at = leaf + LEAF.BITMAPS + (index >>> 5);
      const bit = 1 << (index & 31);
      if ((this.m[at]! & bit) === 0) return false;
      this.m[at]! &= ~bit;
      if ((this.m[at + this.words]! & bit) !== 0) this.m[H.RESERVED_ALLOCATED]!--;
      this.m[leaf + LEAF.ALLOCATED]!--;
      this.m[H.ALLOCATED]!--;
      this.updatePath(leaf);
      return true;
    });
  }

  isAllocated(offset: bigint): boolean {
    const { blockId, index } = this.split(offset);
    return this.withLock(() => {
      const leaf = this.walkTo(blockId, false);
      return leaf !== 0 && (this.m[leaf + LEAF.BITMAPS + (index >>> 5)]! & (1 << (index & 31))) !== 0;
    });
  }

  /**
   * Replaces the reservation list (sorted, merged ranges of offsets) and
   * brings every opened block and mask in line with it.
   */
  setReservations(ranges: OffsetRange[]): void {
    this.withLock(() => {
      const list = this.allocWords(RESERVATIONS.RANGES + ranges.length * RESERVATIONS.WORDS_PER_RANGE);
      this.m[list + RESERVATIONS.COUNT] = ranges.length;
      let reserved = 0n;
      ranges.forEach((range, i) => {
        const at = list + RESERVATIONS.RANGES + i * RESERVATIONS.WORDS_PER_RANGE;
        toWords(range.from, this.idWords);
        for (let k = 0; k < 4; k++) this.m[at + k] = this.idWords[k]!;
        // The last offset, not the end: the end of a ::/0 range (2^128) does not fit in four words.
        toWords(range.to - 1n, this.idWords);
        for (let k = 0; k < 4; k++) this.m[at + 4 + k] = this.idWords[k]!;
        reserved += range.to - range.from;
      });
      this.m[H.RESERVATIONS] = list;
      const reservedWords = new Array<number>(RESERVED_WORDS);
      toWords(reserved, reservedWords);
      for (let k = 0; k < RESERVED_WORDS; k++) this.m[H.RESERVED + k] = reservedWords[k]!;
      this.m[H.RESERVATIONS_VERSION]!++;
      this.refreshReservations();
      let both = 0;
      this.eachLeaf((leaf, id) => {
        this.applyReservations(leaf, id);
        for (let w = 0; w < this.words; w++) {
          both += popcount(this.m[leaf + LEAF.BITMAPS + w]! & this.m[leaf + LEAF.BITMAPS + this.words + w]!);
        }
      });
      this.m[H.RESERVED_ALLOCATED] = both;
      this.settleAllMasks(true);
    });
  }

  /**
   * Recomputes the masks below `node` from its leaves; writes them when
   * `write`, and counts the bits that disagreed in `mismatches`.
   * Returns whether the subtree holds a partial and an unused block.
   */
  private settleMasks(
    node: number,
    level: number,
    prefix: bigint,
    write: boolean,
    mismatches: number[],
  ): [boolean, boolean] {
    if (level === this.depth) {
      const free = this.leafHasFree(node);
      const count = this.m[node + LEAF.ALLOCATED]!;
      return [count > 0 && free, count === 0 && free];
    }
    for (let c = 0; c < this.childrenAt(level); c++) {
      const childPrefix = (prefix << BigInt(FANOUT_BITS)) | BigInt(c);
      const child = this.m[node + NODE.CHILDREN + c]!;
      let partial = false;
      let empty: boolean;
      if (child === 0) {
        const range = this.subtreeRange(level, childPrefix);
        empty = this.firstUnreserved(range.from, range.to) >= 0n;
      } else {
        [partial, empty] = this.settleMasks(child, level + 1, childPrefix, write, mismatches);
      }
      if (this.hasBit(node, NODE.PARTIAL, c) !== partial || this.hasBit(node, NODE.EMPTY, c) !== empty) {
        mismatches[0]!++;
        if (write) {
          this.setBit(node, NODE.PARTIAL, c, partial);
          this.setBit(node, NODE.EMPTY, c, empty);
        }
      }
    }
    return [this.lowestChild(node, NODE.PARTIAL) >= 0, this.lowestChild(node, NODE.EMPTY) >= 0];
  }

  private settleAllMasks(write: boolean): number {
    const mismatches = [0];
    const root = this.m[H.ROOT]!;
    if (root !== 0) this.settleMasks(root, 0, 0n, write, mismatches);
    return mismatches[0]!;
  }

  counts(): PoolCounts {
    return this.withLock(() => {
      const allocated = this.m[H.ALLOCATED]!;
      return poolCounts(
        this.total,
        allocated,
        fromWords(this.m, H.RESERVED, RESERVED_WORDS),
        this.m[H.RESERVED_ALLOCATED]!,
      );
    });
  }

  /** Visits every opened leaf in block order. */
  private eachLeaf(visit: (leaf: number, blockId: bigint) => void): void {
    const root = this.m[H.ROOT]!;
    if (root === 0) return;
    const walk = (node: number, level: number, prefix: bigint): void => {
      if (level === this.depth) {
        visit(node, prefix);
        return;
      }
      for (let c = 0; c < FANOUT; c++) {
        const child = this.m[node + NODE.CHILDREN + c]!;
        if (child !== 0) walk(child, level + 1, (prefix << BigInt(FANOUT_BITS)) | BigInt(c));
      }
    };
    walk(root, 0, 0n);
  }

  /** Numbers of the blocks holding at least one allocation, ascending. */
  blocksInUse(): bigint[] {
    return this.withLock(() => {
      const blocks: bigint[] = [];
      this.eachLeaf((leaf, id) => {
        if (this.m[leaf + LEAF.ALLOCATED]! > 0) blocks.push(id);
      });
      return blocks;
    });
  }

  /** Offsets of every allocated address, ascending. */
  allocatedOffsets(): bigint[] {
    return this.withLock(() => {
      const offsets: bigint[] = [];
      this.eachLeaf((leaf, id) => {
        const base = id << BigInt(this.blockShift);
        for (let w = 0; w < this.words; w++) {
          for (let bits = this.m[leaf + LEAF.BITMAPS + w]!; bits !== 0; bits &= bits - 1) {
            offsets.push(base + BigInt((w << 5) + lowestBit(bits)));
          }
        }
      });
      return offsets;
    });
  }

  /** Recounts every counter from the leaves and checks every mask; with `repair`, rewrites them. */
  scan(repair = false): ConsistencyReport {
    return this.withLock(() => {
      const problems: string[] = [];
      let allocated = 0;
      let both = 0;
      this.eachLeaf((leaf, id) => {
        let count = 0;
        for (let w = 0; w < this.words; w++) {
          const a = this.m[leaf + LEAF.BITMAPS + w]!;
          count += popcount(a);
          both += popcount(a & this.m[leaf + LEAF.BITMAPS + this.words + w]!);
        }
        if (count !== this.m[leaf + LEAF.ALLOCATED]) {
          problems.push(
            `block ${id}: counts ${this.m[leaf + LEAF.ALLOCATED]} allocations, bitmap has ${count}`,
          );
          if (repair) this.m[leaf + LEAF.ALLOCATED] = count;
        }
        allocated += count;
      });
      if (allocated !== this.m[H.ALLOCATED]) {
        problems.push(`pool counts ${this.m[H.ALLOCATED]} allocated, bitmaps have ${allocated}`);
        if (repair) this.m[H.ALLOCATED] = allocated;
      }
      if (this.settleAllMasks(repair) > 0) problems.push("partial/empty masks did not match the blocks");
      if (both !== this.m[H.RESERVED_ALLOCATED]) {
        problems.push(
          `pool counts ${this.m[H.RESERVED_ALLOCATED]} reserved and allocated, bitmaps have ${both}`,
        );
        if (repair) this.m[H.RESERVED_ALLOCATED] = both;
      }
      const counts = poolCounts(this.total, allocated, fromWords(this.m, H.RESERVED, RESERVED_WORDS), both);
      return { consistent: problems.length === 0, counts, problems };
    });
  }
}
