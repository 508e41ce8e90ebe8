// The window of recent changes, kept so watches can resume from a resourceVersion and
// lists can be served at an exact past resourceVersion. Older versions answer 410 Gone.
import type { KubeObject } from "../types.js";

export type ChangeType = "ADDED" | "MODIFIED" | "DELETED";

export interface Change {
  rv: number;
  type: ChangeType;
  /** Which resource the object belongs to (see resourceKey). */
  resourceKey: string;
  namespace: string;
  name: string;
  /** The object after the change (for DELETED: the last state, carrying the deletion's resourceVersion). */
  object: KubeObject;
  /** The object before the change; absent for ADDED. */
  previous: KubeObject | undefined;
}

export class ChangeLog {
  private readonly changes: Change[] = [];
  private head = 0;
  /** The newest resourceVersion that has been dropped from the window, or the first one the store had. */
  private compacted: number;

  constructor(
    private readonly capacity: number,
    firstRv = 0,
  ) {
    this.compacted = firstRv;
  }

  append(change: Change): void {
    this.changes.push(change);
    if (this.changes.length - this.head > this.capacity) {
      this.compacted = this.changes[this.head]!.rv;
      this.head++;
      // Shift the array only now and then, so appends stay O(1) amortised.
      if (this.head > 1024 && this.head * 2 > this.changes.length) {
        this.changes.splice(0, this.head);
        this.head = 0;
      }
    }
  }

  /** The oldest resourceVersion from which every later change is still known. */
  get oldestResumableRv(): number {
    return this.compacted;
  }

  isExpired(rv: number): boolean {
    return rv < this.compacted;
  }

  /** Changes with rv > from, oldest first. The caller checks isExpired first. */
  since(from: number): Change[] {
    let lo = this.head;
    let hi = this.changes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.changes[mid]!.rv <= from) lo = mid + 1;
      else hi = mid;
    }
    return this.changes.slice(lo);
  }
}
