// Reconciles that make no request (a catch-up of 100,000 Services that keep
// their addresses) chain only microtasks, and microtasks hold the event loop
// until none is left: watch events, probes and scrapes would wait seconds.
// Workers call turn() after each reconcile; once a slice of work has run for
// its length, every worker waits for the same one turn of the event loop.
export class EventLoopSlices {
  private started = performance.now();
  private pending: Promise<void> | undefined;

  constructor(private readonly sliceMs: number) {}

  /** A turn of the event loop to wait for when the slice is spent; undefined while it is not. */
  turn(): Promise<void> | undefined {
    if (performance.now() - this.started < this.sliceMs) return undefined;
    this.pending ??= new Promise((resolve) =>
      setImmediate(() => {
        this.pending = undefined;
        this.started = performance.now();
        resolve();
      }),
    );
    return this.pending;
  }
}
