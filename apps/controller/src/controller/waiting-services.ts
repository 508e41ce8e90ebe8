// Services waiting for an address, so freed capacity wakes them oldest first
// (creationTimestamp, then namespace/name), without polling.

export class WaitingServices {
  private readonly since = new Map<string, string>();
  private pendingSince = new Map<string, number>();

  /** Marks `key` waiting; `createdAt` orders it, `now` dates the wait. */
  add(key: string, createdAt: string, now = Date.now()): void {
    this.since.set(key, createdAt);
    if (!this.pendingSince.has(key)) this.pendingSince.set(key, now);
  }

  delete(key: string): void {
    this.since.delete(key);
    this.pendingSince.delete(key);
  }

  has(key: string): boolean {
    return this.since.has(key);
  }

  get size(): number {
    return this.since.size;
  }

  /** Waiting keys, oldest Service first. */
  oldestFirst(): string[] {
    return [...this.since.entries()]
      .sort(([ka, a], [kb, b]) => (a < b ? -1 : a > b ? 1 : ka < kb ? -1 : ka > kb ? 1 : 0))
      .map(([key]) => key);
  }

  /** When the longest current wait began (ms since epoch), or undefined when nobody waits. */
  longestWaitSince(): number | undefined {
    let oldest: number | undefined;
    for (const at of this.pendingSince.values()) if (oldest === undefined || at < oldest) oldest = at;
    return oldest;
  }
}
