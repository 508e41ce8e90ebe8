// A bounded cache of answers that expire, for the reviews behind /metrics: at most
// `maxEntries` are kept (the least recently used goes first), each for the time its value
// asks, and concurrent lookups of one key share one computation, so a burst of scrapes with
// one token costs one review. A failed computation is not kept: the next lookup tries again.
// As kube's apiserver caches webhook answers (token/cache/cached_token_authenticator.go,
// plugin/pkg/authorizer/webhook/webhook.go's LRUExpireCache).

export class ExpiringCache<V> {
  /** In recency order: a Map iterates in insertion order, and a hit is inserted again. */
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  private readonly pending = new Map<string, Promise<V>>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * The kept value of `key`, else the one `compute` gives (kept for `ttlMs(value)` ms;
   * 0 keeps it only for the lookups already waiting on it).
   */
  get(key: string, compute: () => Promise<V>, ttlMs: (value: V) => number): Promise<V> {
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      if (entry.expiresAt > this.now()) {
        this.entries.set(key, entry);
        return Promise.resolve(entry.value);
      }
    }
    const waiting = this.pending.get(key);
    if (waiting) return waiting;
    const computed = compute().then(
      (value) => {
        this.pending.delete(key);
        const ttl = ttlMs(value);
        if (ttl > 0) this.keep(key, value, this.now() + ttl);
        return value;
      },
      (error: unknown) => {
        this.pending.delete(key);
        throw error;
      },
    );
    this.pending.set(key, computed);
    return computed;
  }

  private keep(key: string, value: V, expiresAt: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}
