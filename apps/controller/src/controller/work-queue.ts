// A de-duplicating work queue in the manner of client-go's workqueue: a key
// waits at most once, is handed to one worker at a time, and a key added
// while it is being processed is queued again when that worker is done.
// Keys come out in the order they were first added (FIFO), which is how
// waiting Services are woken oldest first.
import { ExponentialRateLimiter, type RateLimiter } from "./rate-limiter.js";

export interface Clock {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: Clock = {
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class WorkQueue<K> {
  private readonly queue: K[] = [];
  private head = 0;
  /** Keys waiting in `queue` or to be queued when their processing ends. */
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly waiters: ((key: K | undefined) => void)[] = [];
  private readonly timers = new Map<K, { at: number; handle: unknown }>();
  private shuttingDown = false;

  constructor(
    private readonly limiter: RateLimiter<K> = new ExponentialRateLimiter<K>(),
    private readonly clock: Clock = realClock,
    private readonly now: () => number = Date.now,
  ) {}

  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(key);
      this.processing.add(key);
      waiter(key);
    } else {
      this.queue.push(key);
    }
  }

  /** Adds `key` after `ms`; an earlier pending add of the same key wins. */
  addAfter(key: K, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.now() + ms;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) this.clock.clearTimeout(pending.handle);
    const handle = this.clock.setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    this.timers.set(key, { at, handle });
  }

  /** Adds `key` after its backoff: for a retry after a failure. */
  addRateLimited(key: K): void {
    this.addAfter(key, this.limiter.when(key));
  }

  /** Clears the backoff of `key` after a success. */
  forget(key: K): void {
    this.limiter.forget(key);
  }

  failures(key: K): number {
    return this.limiter.failures(key);
  }

  /** The next key to process, or undefined once the queue is shut down and drained. */
  get(): Promise<K | undefined> {
    if (this.head < this.queue.length) {
      const key = this.queue[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.dirty.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `key` processed; if it was added meanwhile, it is queued again. */
  done(key: K): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
  }

  /** Keys waiting to be processed. */
  get length(): number {
    return this.queue.length - this.head;
  }

  /** Keys waiting on a backoff or delay timer. */
  get delayed(): number {
    return this.timers.size;
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const { handle } of this.timers.values()) this.clock.clearTimeout(handle);
    this.timers.clear();
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }
}
