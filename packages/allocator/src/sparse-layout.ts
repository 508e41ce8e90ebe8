// The shared-memory layout of a sparse pool: a radix tree over block numbers
// in a growable SharedArrayBuffer, holding only the blocks that have been
// opened. Every access to it happens under the pool lock (HEADER.LOCK), whose
// Atomics acquire and release order the plain reads and writes inside.

export const SPARSE_MAGIC = 0x4c425350; // "LBSP"
export const SPARSE_VERSION = 2;

export const SPARSE_HEADER = {
  MAGIC: 0,
  VERSION: 1,
  /** 0 free, 1 held, 2 held with waiters. */
  LOCK: 2,
  /** Bits of a block number (pool prefix to block size). */
  BLOCK_ID_BITS: 3,
  /** log2 of the addresses in one block. */
  BLOCK_SHIFT: 4,
  /** Next free word of the arena. */
  ARENA_TOP: 5,
  /** Word offset of the root (a node, or the only leaf when the pool is one block); 0 until created. */
  ROOT: 6,
  ALLOCATED: 7,
  RESERVED_ALLOCATED: 8,
  /** Word offset of the current reservation list (see RESERVATIONS); 0 for none. */
  RESERVATIONS: 9,
  /** Bumped on every change of the reservation list, so threads know to re-read it. */
  RESERVATIONS_VERSION: 10,
  /** Reserved addresses in the pool, as RESERVED_WORDS words, least significant first. */
  RESERVED: 11,
  LENGTH: 16,
} as const;

/** Words of the reserved count: five, because reserving all of ::/0 is 2^128, one bit past four. */
export const RESERVED_WORDS = 5;

/** Radix-tree fan-out: 64 children, so a child mask is two 32-bit words. */
export const FANOUT_BITS = 6;
export const FANOUT = 64;

/** An inner node: 64 child offsets and two masks over the children. */
export const NODE = {
  CHILDREN: 0,
  /** Bit per child: its subtree holds a block with allocations and free addresses. */
  PARTIAL: 64,
  /** Bit per child: its subtree holds a block without allocations but with free addresses (absent children included). */
  EMPTY: 66,
  LENGTH: 68,
} as const;

/** A block: its number, counters, and its allocation and reservation bitmaps. */
export const LEAF = {
  /** Block number as four 32-bit words, least significant first. */
  ID: 0,
  ALLOCATED: 4,
  RESERVED: 5,
  BITMAPS: 6,
} as const;

/**
 * A reservation list: a count, then each range as its first and last offset
 * (inclusive, so ::/0 fits), four words each, least significant first.
 */
export const RESERVATIONS = { COUNT: 0, RANGES: 1, WORDS_PER_RANGE: 8 } as const;

export function leafWords(blockShift: number): number {
  return Math.max(1, 2 ** blockShift / 32);
}

/** Depth of inner nodes above the leaves for a block number of `bits` bits. */
export function treeDepth(blockIdBits: number): number {
  return Math.ceil(blockIdBits / FANOUT_BITS);
}
