// The shared-memory layout of a dense pool, in one place. The main thread and
// every worker derive the same layout from (size, blockShift), so only those
// two numbers travel in the header; everything else is computed.
//
// Which accesses are Atomics and which are not. Every change of an address
// bit or a hint bit is an Atomics read-modify-write (compareExchange, and, or),
// so no update is ever lost and no address is handed out twice. Reads are
// plain loads: one that only picks where to try (a hint, the value a
// compare-exchange will confirm) costs a retry when stale, and the re-reads
// that settle a hint follow that thread's own Atomics read-modify-write, a
// full barrier on the hardware V8 runs on. An Atomics.load costs about 20 ns
// on this V8 against 1 ns for a plain load (docs/benchmarks.md).

/** Words of the header at the start of every dense pool buffer (Int32 indexes). */
export const HEADER = {
  MAGIC: 0,
  VERSION: 1,
  /** Addresses in the pool (a power of two, at most DENSE_MAX_ADDRESSES). */
  SIZE: 2,
  /** log2 of the addresses in one block. */
  BLOCK_SHIFT: 3,
  /** Addresses reserved. */
  RESERVED: 4,
  /** Addresses both reserved and allocated (claimed explicitly). */
  RESERVED_ALLOCATED: 5,
  /**
   * Allocated addresses counted by the thread that created the pool: only
   * that thread writes it, so a plain increment loses nothing. The pool
   * total is OWNER_ALLOCATED + SHARED_ALLOCATED.
   */
  OWNER_ALLOCATED: 6,
  /** Allocated addresses counted by every other thread, with Atomics.add. */
  SHARED_ALLOCATED: 7,
  LENGTH: 8,
} as const;

export const LAYOUT_MAGIC = 0x4c424950; // "LBIP"
export const LAYOUT_VERSION = 1;

/** Pools up to this many addresses keep a full bitmap (2^26 addresses = 8 MiB per bitmap). */
export const DENSE_MAX_ADDRESSES = 2 ** 26;

/** A hierarchical bitmap: level 0 has one bit per entry, each level above one bit per word below. */
export interface HintTreeLayout {
  /** Int32 offset and word count of each level, level 0 first. */
  levels: { offset: number; words: number }[];
}

export interface DenseLayout {
  size: number;
  blockShift: number;
  blocks: number;
  /** Words in each address bitmap. */
  leafWords: number;
  /** Offset of the allocation bitmap (bit set = allocated). */
  allocated: number;
  /** Offset of the reservation bitmap (bit set = reserved). */
  reserved: number;
  /** Bit per block: the block has allocations and may have a free address. */
  partialBlocks: HintTreeLayout;
  /** Bit per block: the block has no allocation and may have a free address. */
  emptyBlocks: HintTreeLayout;
  /** Total Int32 words of the buffer. */
  totalWords: number;
}

function treeLayout(entries: number, start: number): { tree: HintTreeLayout; end: number } {
  const levels: { offset: number; words: number }[] = [];
  let offset = start;
  let bits = entries;
  for (;;) {
    const words = Math.ceil(bits / 32);
    levels.push({ offset, words });
    offset += words;
    if (words === 1) break;
    bits = words;
  }
  return { tree: { levels }, end: offset };
}

export function denseLayout(size: number, blockShift: number): DenseLayout {
  const leafWords = Math.ceil(size / 32);
  const blocks = Math.max(1, size >>> blockShift);
  let offset = HEADER.LENGTH;
  const allocated = offset;
  offset += leafWords;
  const reserved = offset;
  offset += leafWords;
  const partial = treeLayout(blocks, offset);
  const empty = treeLayout(blocks, partial.end);
  return {
    size,
    blockShift,
    blocks,
    leafWords,
    allocated,
    reserved,
    partialBlocks: partial.tree,
    emptyBlocks: empty.tree,
    totalWords: empty.end,
  };
}
