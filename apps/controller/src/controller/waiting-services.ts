// Services waiting for an address, so freed capacity wakes them oldest first
// (creationTimestamp, then namespace/name: the one age rule, byAge), without polling.
import { byAge } from "@lbipam/state";

export class WaitingServices {
  private readonly since = new Map<string, string>();
  /** When each wait began, in insertion order: the first entry is the longest wait. */
  private readonly pendingSince = new Map<string, number>();
  /** The latest start recorded: a clock stepping back never puts a newer wait before an older one. */
  private latestStart = 0;

  /** `now` is the clock waits are dated by (tests step their own). */
  constructor(private readonly now: () => number = Date.now) {}

  /** Marks `key` waiting; `createdAt` orders it. */
  add(key: string, createdAt: string): void {
    this.since.set(key, createdAt);
    if (this.pendingSince.has(key)) return;
    this.latestStart = Math.max(this.now(), this.latestStart);
    this.pendingSince.set(key, this.latestStart);
  }

  delete(key: string): void {
    this.since.delete(key);
    this.pendingSince.delete(key);
  }

  /** Waiting keys, oldest Service first. */
  oldestFirst(): string[] {
    return [...this.since.entries()]
      .map(([key, created]) => ({ key, created }))
      .sort(byAge)
      .map(({ key }) => key);
  }

  /** When the longest current wait began (ms since epoch), or undefined when nobody waits. O(1): it runs after every reconcile. */
  longestWaitSince(): number | undefined {
    return this.pendingSince.values().next().value;
  }

  clear(): void {
    this.since.clear();
    this.pendingSince.clear();
  }
}
