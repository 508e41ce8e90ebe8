// How long a key waits before its next retry: per-key exponential backoff,
// the shape of client-go's default controller rate limiter (5 ms doubling to
// 1000 s), so a broken object retries slowly while others go on.

export interface RateLimiter<K> {
  /** Delay in ms before `key` may be retried; counts one more failure. */
  when(key: K): number;
  /** Forgets the failures of `key` (it succeeded, or is gone). */
  forget(key: K): void;
  failures(key: K): number;
}

export class ExponentialRateLimiter<K> implements RateLimiter<K> {
  private readonly counts = new Map<K, number>();

  constructor(
    private readonly baseMs = 5,
    private readonly maxMs = 1_000_000,
  ) {}

  when(key: K): number {
    const failures = this.counts.get(key) ?? 0;
    this.counts.set(key, failures + 1);
    return Math.min(this.baseMs * 2 ** failures, this.maxMs);
  }

  forget(key: K): void {
    this.counts.delete(key);
  }

  failures(key: K): number {
    return this.counts.get(key) ?? 0;
  }
}
