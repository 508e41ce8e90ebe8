// A pool small enough to map every address: one bit per address in shared
// memory, plus hint trees so that finding a free address reads a handful of
// words however full the pool is.
//
// Concurrency: an address belongs to whoever sets its bit with
// Atomics.compareExchange (or clears it with Atomics.and), so no two threads
// ever get the same address. The block hints (partly used, unused) are
// brought in line with the block's words by a write-then-reread loop
// (syncBlock): every thread that changes a block syncs its hints afterwards,
// and the last writer of a hint has re-read the words after writing, so once
// the racing threads are done each hint agrees with its block. See layout.ts
// for which reads are plain loads and why.
import { SharedLayoutError } from "./errors.js";
import { HintTree, lowestBit } from "./hint-tree.js";
import { type DenseLayout, denseLayout, HEADER, LAYOUT_MAGIC, LAYOUT_VERSION } from "./layout.js";

/**
 * A pool's utilisation. Exact whatever the pool's size: total, reserved and
 * free are bigints because an IPv6 pool (and a reservation inside it) may
 * hold up to 2^128 addresses; allocations are bounded by what was handed out.
 */
export interface PoolCounts {
  total: bigint;
  allocated: number;
  reserved: bigint;
  /** Addresses neither allocated nor reserved: what automatic allocation can still hand out. */
  free: bigint;
}

/** The counts from the pool's totals; `both` is the addresses reserved and allocated at once. */
export function poolCounts(total: bigint, allocated: number, reserved: bigint, both: number): PoolCounts {
  return { total, allocated, reserved, free: total - BigInt(allocated) - reserved + BigInt(both) };
}

export interface ConsistencyReport {
  consistent: boolean;
  counts: PoolCounts;
  problems: string[];
}

enum BlockState {
  Full = 0,
  Partial = 1,
  Empty = 2,
}

export function popcount(word: number): number {
  let v = word - ((word >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** The lowest `count` set bits of `word` (all of them if it has fewer). */
export function lowestBits(word: number, count: number): number {
  if (count >= 32) return word;
  let taken = 0;
  let rest = word;
  for (let i = 0; i < count && rest !== 0; i++) {
    const bit = rest & -rest;
    taken |= bit;
    rest ^= bit;
  }
  return taken;
}

export class DensePool {
  readonly buffer: SharedArrayBuffer;
  readonly layout: DenseLayout;
  private readonly m: Int32Array;
  private readonly partialBlocks: HintTree;
  private readonly emptyBlocks: HintTree;
  /** Mask of the addresses that exist in a word (pools smaller than 32 addresses use part of one word). */
  private readonly validMask: number;
  private readonly blockLength: number;
  /** Whether blocks span whole words (32 addresses or more) rather than share one. */
  private readonly wideBlocks: boolean;
  /** Whether this thread created the pool and so owns HEADER.OWNER_ALLOCATED. */
  private readonly owner: boolean;
  private readonly scratch = new Float64Array(1);

  private constructor(buffer: SharedArrayBuffer, layout: DenseLayout, owner: boolean) {
    this.buffer = buffer;
    this.layout = layout;
    this.m = new Int32Array(buffer);
    this.partialBlocks = new HintTree(this.m, layout.partialBlocks);
    this.emptyBlocks = new HintTree(this.m, layout.emptyBlocks);
    this.validMask = layout.size >= 32 ? -1 : (1 << layout.size) - 1;
    this.blockLength = 2 ** layout.blockShift;
    this.wideBlocks = layout.blockShift >= 5;
    this.owner = owner;
  }

  static create(size: number, blockShift: number): DensePool {
    const layout = denseLayout(size, blockShift);
    const buffer = new SharedArrayBuffer(layout.totalWords * 4);
    const m = new Int32Array(buffer);
    m[HEADER.MAGIC] = LAYOUT_MAGIC;
    m[HEADER.VERSION] = LAYOUT_VERSION;
    m[HEADER.SIZE] = size;
    m[HEADER.BLOCK_SHIFT] = blockShift;
    const pool = new DensePool(buffer, layout, true);
    for (let b = 0; b < layout.blocks; b++) pool.emptyBlocks.set(b);
    return pool;
  }

  /** Opens, in this thread, a pool created by another thread on the same shared memory. */
  static attach(buffer: SharedArrayBuffer): DensePool {
    const m = new Int32Array(buffer);
    if (m.length < HEADER.LENGTH || Atomics.load(m, HEADER.MAGIC) !== LAYOUT_MAGIC) {
      throw new SharedLayoutError("bad magic");
    }
    const version = Atomics.load(m, HEADER.VERSION);
    if (version !== LAYOUT_VERSION) throw new SharedLayoutError(`layout version ${version}`);
    const layout = denseLayout(Atomics.load(m, HEADER.SIZE), Atomics.load(m, HEADER.BLOCK_SHIFT));
    if (layout.totalWords * 4 !== buffer.byteLength)
      throw new SharedLayoutError("buffer size does not match");
    return new DensePool(buffer, layout, false);
  }

  get size(): number {
    return this.layout.size;
  }

  private addAllocated(n: number): void {
    if (this.owner) this.m[HEADER.OWNER_ALLOCATED]! += n;
    else Atomics.add(this.m, HEADER.SHARED_ALLOCATED, n);
  }

  private firstWord(block: number): number {
    return (block << this.layout.blockShift) >>> 5;
  }

  private endWord(block: number): number {
    return this.wideBlocks ? this.firstWord(block) + (this.blockLength >>> 5) : this.firstWord(block) + 1;
  }

  /** The bits of the block's words that belong to it (all of them for wide blocks). */
  private blockMask(block: number): number {
    if (this.wideBlocks) return this.validMask;
    return (((1 << this.blockLength) - 1) << ((block << this.layout.blockShift) & 31)) & this.validMask;
  }

  /** Reads the block's words (starting where a change was made, as it usually settles there). */
  private blockState(block: number, from: number): BlockState {
    const l = this.layout;
    const m = this.m;
    const first = this.firstWord(block);
    const end = this.endWord(block);
    const mask = this.blockMask(block);
    let hasFree = false;
    let inUse = false;
    for (
      let i = 0, w = from;
      i < end - first && !(hasFree && inUse);
      i++, w = w + 1 === end ? first : w + 1
    ) {
      const a = m[l.allocated + w]! & mask;
      if (a !== 0) inUse = true;
      if ((~(a | m[l.reserved + w]!) & mask) !== 0) hasFree = true;
    }
    if (!hasFree) return BlockState.Full;
    return inUse ? BlockState.Partial : BlockState.Empty;
  }

  /** Brings the partial/empty hints of a block in line with its words. */
  private syncBlock(block: number, from = this.firstWord(block)): void {
    for (;;) {
      const state = this.blockState(block, from);
      const partial = state === BlockState.Partial;
      const empty = state === BlockState.Empty;
      let wrote = false;
      if (partial !== this.partialBlocks.has(block)) {
        if (partial) this.partialBlocks.set(block);
        else this.partialBlocks.clear(block);
        wrote = true;
      }
      if (empty !== this.emptyBlocks.has(block)) {
        if (empty) this.emptyBlocks.set(block);
        else this.emptyBlocks.clear(block);
        wrote = true;
      }
      // Only a thread that wrote a hint must re-read: one that wrote nothing
      // leaves the last word to whoever wrote last.
      if (!wrote || this.blockState(block, from) === state) return;
    }
  }

  /**
   * Claims up to `want` free addresses of one block, lowest first, writing
   * their offsets to `out` from `at`. Returns how many it claimed.
   */
  private claimInBlock(block: number, want: number, out: Float64Array, at: number): number {
    const l = this.layout;
    const m = this.m;
    const end = this.endWord(block);
    const mask = this.blockMask(block);
    let got = 0;
    let word = this.firstWord(block);
    let last = word;
    while (word < end && got < want) {
      const current = m[l.allocated + word]!;
      const free = ~(current | m[l.reserved + word]!) & mask;
      if (free === 0) {
        word++;
        continue;
      }
      const take = lowestBits(free, want - got);
      // Lost a race for this word: read it again.
      if (Atomics.compareExchange(m, l.allocated + word, current, current | take) !== current) continue;
      const base = word << 5;
      for (let bits = take; bits !== 0; bits &= bits - 1) out[at + got++] = base + lowestBit(bits);
      last = word;
    }
    if (got > 0) this.addAllocated(got);
    this.syncBlock(block, last);
    return got;
  }

  private nextBlock(): number {
    const partial = this.partialBlocks.findFirst();
    return partial >= 0 ? partial : this.emptyBlocks.findFirst();
  }

  /** Allocates the next free address (partly used blocks first, lowest first); its offset, or -1 when full. */
  allocate(): number {
    return this.allocateMany(1, this.scratch, 0) === 1 ? this.scratch[0]! : -1;
  }

  /** Allocates up to `count` addresses in policy order into `out`; returns how many it got. */
  allocateMany(count: number, out: Float64Array, at = 0): number {
    let got = 0;
    while (got < count) {
      const block = this.nextBlock();
      if (block < 0) break;
      // A hinted block with nothing free (a stale hint) is settled by claimInBlock's sync.
      got += this.claimInBlock(block, count - got, out, at + got);
    }
    return got;
  }

  /** Claims one specific address (reserved or not). False if it is already allocated. */
  claim(offset: number): boolean {
    this.checkOffset(offset);
    const l = this.layout;
    const word = offset >>> 5;
    const bit = 1 << (offset & 31);
    let current = this.m[l.allocated + word]!;
    for (;;) {
      if ((current & bit) !== 0) return false;
      const seen = Atomics.compareExchange(this.m, l.allocated + word, current, current | bit);
      if (seen === current) break;
      current = seen;
    }
    this.addAllocated(1);
    if ((this.m[l.reserved + word]! & bit) !== 0) Atomics.add(this.m, HEADER.RESERVED_ALLOCATED, 1);
    this.syncBlock(offset >>> l.blockShift, word);
    return true;
  }

  /** Frees an address. False if it was not allocated. */
  release(offset: number): boolean {
    this.checkOffset(offset);
    const l = this.layout;
    const word = offset >>> 5;
    const bit = 1 << (offset & 31);
    const old = Atomics.and(this.m, l.allocated + word, ~bit);
    if ((old & bit) === 0) return false;
    this.addAllocated(-1);
    if ((this.m[l.reserved + word]! & bit) !== 0) Atomics.sub(this.m, HEADER.RESERVED_ALLOCATED, 1);
    const block = offset >>> l.blockShift;
    // A partly used block stays so unless this emptied its word; a full one never stays full.
    if (old === bit || !this.wideBlocks || !this.partialBlocks.has(block)) this.syncBlock(block, word);
    return true;
  }

  isAllocated(offset: number): boolean {
    this.checkOffset(offset);
    return (Atomics.load(this.m, this.layout.allocated + (offset >>> 5)) & (1 << (offset & 31))) !== 0;
  }

  isReserved(offset: number): boolean {
    this.checkOffset(offset);
    return (Atomics.load(this.m, this.layout.reserved + (offset >>> 5)) & (1 << (offset & 31))) !== 0;
  }

  /**
   * Marks [from, to) reserved (or not). Reservations change on the main thread
   * only; an address claimed while it is being reserved stays claimed.
   * Returns how many addresses changed state.
   */
  setReserved(from: number, to: number, reserved: boolean): number {
    if (from < 0 || to > this.layout.size || from > to) {
      throw new RangeError(`range [${from}, ${to}) is outside the pool of ${this.layout.size} addresses`);
    }
    const l = this.layout;
    let changed = 0;
    for (let i = from; i < to; ) {
      const word = i >>> 5;
      const shift = i & 31;
      const span = Math.min(32 - shift, to - i);
      const mask = (span === 32 ? -1 : ((1 << span) - 1) << shift) & this.validMask;
      const old = reserved
        ? Atomics.or(this.m, l.reserved + word, mask)
        : Atomics.and(this.m, l.reserved + word, ~mask);
      const flipped = (reserved ? ~old : old) & mask;
      if (flipped !== 0) {
        const n = popcount(flipped);
        const allocatedToo = popcount(flipped & Atomics.load(this.m, l.allocated + word));
        Atomics.add(this.m, HEADER.RESERVED, reserved ? n : -n);
        Atomics.add(this.m, HEADER.RESERVED_ALLOCATED, reserved ? allocatedToo : -allocatedToo);
        changed += n;
        const firstBlock = (word << 5) >>> l.blockShift;
        const lastBlock = Math.min(((word << 5) + 31) >>> l.blockShift, l.blocks - 1);
        for (let b = firstBlock; b <= lastBlock; b++) this.syncBlock(b);
      }
      i += span;
    }
    return changed;
  }

  allocatedCount(): number {
    return Atomics.load(this.m, HEADER.OWNER_ALLOCATED) + Atomics.load(this.m, HEADER.SHARED_ALLOCATED);
  }

  counts(): PoolCounts {
    const allocated = this.allocatedCount();
    const reserved = Atomics.load(this.m, HEADER.RESERVED);
    const both = Atomics.load(this.m, HEADER.RESERVED_ALLOCATED);
    return poolCounts(BigInt(this.layout.size), allocated, BigInt(reserved), both);
  }

  /** Indexes of the blocks holding at least one allocation, ascending. */
  blocksInUse(): number[] {
    const l = this.layout;
    const blocks: number[] = [];
    let last = -1;
    for (let w = 0; w < l.leafWords; w++) {
      for (let bits = Atomics.load(this.m, l.allocated + w); bits !== 0; bits &= bits - 1) {
        const block = ((w << 5) + lowestBit(bits)) >>> l.blockShift;
        if (block !== last) blocks.push(block);
        last = block;
        // A wide block spans whole words: one hit settles the word.
        if (l.blockShift >= 5) break;
      }
    }
    return blocks;
  }

  /** Offsets of every allocated address, ascending. */
  allocatedOffsets(): number[] {
    const l = this.layout;
    const offsets: number[] = [];
    for (let w = 0; w < l.leafWords; w++) {
      for (let bits = Atomics.load(this.m, l.allocated + w); bits !== 0; bits &= bits - 1) {
        offsets.push((w << 5) + lowestBit(bits));
      }
    }
    return offsets;
  }

  /**
   * Recounts every counter from the bitmaps and checks every hint; with
   * `repair`, rewrites counters and hints from the bitmaps. Run it when no
   * other thread is writing, or the report may show a race in flight.
   */
  scan(repair = false): ConsistencyReport {
    const l = this.layout;
    const problems: string[] = [];
    let allocated = 0;
    let reserved = 0;
    let both = 0;
    for (let w = 0; w < l.leafWords; w++) {
      const a = Atomics.load(this.m, l.allocated + w) & this.validMask;
      const r = Atomics.load(this.m, l.reserved + w) & this.validMask;
      allocated += popcount(a);
      reserved += popcount(r);
      both += popcount(a & r);
    }
    for (let b = 0; b < l.blocks; b++) {
      const state = this.blockState(b, this.firstWord(b));
      if (
        (state === BlockState.Partial) !== this.partialBlocks.has(b) ||
        (state === BlockState.Empty) !== this.emptyBlocks.has(b)
      ) {
        problems.push(`block ${b}: partial/empty hints do not match its state`);
        if (repair) this.syncBlock(b);
      }
    }
    const stored: [number, number, string][] = [
      [this.allocatedCount(), allocated, "allocated"],
      [Atomics.load(this.m, HEADER.RESERVED), reserved, "reserved"],
      [Atomics.load(this.m, HEADER.RESERVED_ALLOCATED), both, "reserved and allocated"],
    ];
    for (const [count, actual, what] of stored) {
      if (count !== actual) problems.push(`pool counts ${count} ${what}, bitmap has ${actual}`);
    }
    if (repair && stored[0]![0] !== allocated) {
      // The owner's counter is the owner's alone: put the difference in the shared one.
      Atomics.store(
        this.m,
        HEADER.SHARED_ALLOCATED,
        allocated - Atomics.load(this.m, HEADER.OWNER_ALLOCATED),
      );
    }
    if (repair) {
      Atomics.store(this.m, HEADER.RESERVED, reserved);
      Atomics.store(this.m, HEADER.RESERVED_ALLOCATED, both);
    }
    const counts = poolCounts(BigInt(l.size), allocated, BigInt(reserved), both);
    return { consistent: problems.length === 0, counts, problems };
  }

  private checkOffset(offset: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset >= this.layout.size) {
      throw new RangeError(`offset ${offset} is outside the pool of ${this.layout.size} addresses`);
    }
  }
}
