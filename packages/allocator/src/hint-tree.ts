// A hierarchical bitmap in shared memory whose bits are hints: "something
// below may be set". Finding the lowest set entry reads one word per level.
//
// Why concurrent use is safe: a parent bit is only ever cleared by a thread
// that saw the child word at zero, and that thread re-reads the child after
// clearing; if the child gained a bit meanwhile it sets the parent again. A
// thread that sets a child bit in a word that was zero sets the parent after.
// Whatever the interleaving, the last of these writes agrees with the child.
import type { HintTreeLayout } from "./layout.js";

/** Index of the lowest set bit of a non-zero 32-bit word. */
export function lowestBit(word: number): number {
  return 31 - Math.clz32(word & -word);
}

export class HintTree {
  private readonly memory: Int32Array;
  private readonly offsets: number[];
  private readonly top: number;

  constructor(memory: Int32Array, layout: HintTreeLayout) {
    this.memory = memory;
    this.offsets = layout.levels.map((level) => level.offset);
    this.top = layout.levels.length - 1;
  }

  // Reads in has/findFirst/findInRange are plain loads: they only steer the
  // search, and a stale bit is repaired or confirmed by the caller's Atomics.
  has(index: number): boolean {
    return (this.memory[this.offsets[0]! + (index >>> 5)]! & (1 << (index & 31))) !== 0;
  }

  set(index: number): void {
    let i = index;
    for (let level = 0; level <= this.top; level++) {
      const old = Atomics.or(this.memory, this.offsets[level]! + (i >>> 5), 1 << (i & 31));
      // A word that already had a bit has its parent set (or a clearer will restore it).
      if (old !== 0) return;
      i >>>= 5;
    }
  }

  clear(index: number): void {
    this.clearAt(0, index);
  }

  private clearAt(level: number, index: number): void {
    const word = this.offsets[level]! + (index >>> 5);
    const bit = 1 << (index & 31);
    const old = Atomics.and(this.memory, word, ~bit);
    if ((old & bit) === 0 || (old & ~bit) !== 0 || level === this.top) return;
    // The word became empty: clear the parent, then check nobody refilled the word.
    this.clearAt(level + 1, index >>> 5);
    if (Atomics.load(this.memory, word) !== 0) this.setFrom(level + 1, index >>> 5);
  }

  private setFrom(level: number, index: number): void {
    let i = index;
    for (let l = level; l <= this.top; l++) {
      const old = Atomics.or(this.memory, this.offsets[l]! + (i >>> 5), 1 << (i & 31));
      if (old !== 0) return;
      i >>>= 5;
    }
  }

  /** Lowest set entry, or -1. */
  findFirst(): number {
    for (;;) {
      let index = 0;
      let level = this.top;
      let stale = false;
      for (; level >= 0; level--) {
        const word = this.memory[this.offsets[level]! + index]!;
        if (word === 0) {
          if (level === this.top) return -1;
          // A parent bit outlived its child word: repair and search again.
          this.repairParent(level, index);
          stale = true;
          break;
        }
        index = (index << 5) | lowestBit(word);
      }
      if (!stale) return index;
    }
  }

  private repairParent(level: number, wordIndex: number): void {
    this.clearAt(level + 1, wordIndex);
    if (Atomics.load(this.memory, this.offsets[level]! + wordIndex) !== 0) this.setFrom(level + 1, wordIndex);
  }

  /** Lowest set entry in [from, to), looking at level 0 only (for short ranges), or -1. */
  findInRange(from: number, to: number): number {
    const base = this.offsets[0]!;
    for (let i = from; i < to; ) {
      const shift = i & 31;
      let word = this.memory[base + (i >>> 5)]! >>> shift;
      const span = Math.min(32 - shift, to - i);
      if (span < 32) word &= (1 << span) - 1;
      if (word !== 0) return i + lowestBit(word);
      i += span;
    }
    return -1;
  }
}
