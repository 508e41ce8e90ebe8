// One worker of the controller (sample-controller's runWorker): takes a key
// from the de-duplicating queue, processes it, forgets its failures on
// success or puts it back rate-limited on error, and gives the event loop a
// turn between keys.
import { splitServiceKey } from "@lbipam/api";
import { ApiRequestError } from "../errors.js";
import { KEY, KEY_PREFIX_LENGTH } from "./cluster-caches.js";
import type { ControllerMetrics } from "./metrics.js";
import type { WorkQueue } from "./work-queue.js";

export interface WorkLoopDeps {
  /** False once the term ends: a key taken then is left for the next term's catch-up. */
  working: () => boolean;
  process: (key: string) => Promise<void>;
  metrics: ControllerMetrics;
  logger: { warn(fields: object, message: string): void; debug(fields: object, message: string): void };
  turn: () => Promise<void> | undefined;
}

export async function runWorker(queue: WorkQueue<string>, deps: WorkLoopDeps): Promise<void> {
  for (;;) {
    const key = await queue.get();
    if (key === undefined) return;
    if (!deps.working()) {
      queue.done(key);
      return;
    }
    const started = performance.now();
    let outcome = "done";
    try {
      await deps.process(key);
      queue.forget(key);
    } catch (error) {
      outcome = "error";
      failed(queue, key, error, deps);
    } finally {
      queue.done(key);
      deps.metrics.reconcileDuration.observe({ outcome }, (performance.now() - started) / 1000);
    }
    await deps.turn();
  }
}

function failed(queue: WorkQueue<string>, key: string, error: unknown, deps: WorkLoopDeps): void {
  const api = error instanceof ApiRequestError ? error : undefined;
  const reason = api?.conflict
    ? "conflict"
    : api?.notFound
      ? "not_found"
      : api?.status
        ? `http_${api.status}`
        : "error";
  deps.metrics.reconcileErrors.inc({ reason });
  // A conflict means our cache is behind: the informer brings the new version, and the retry uses it.
  const log = api?.conflict ? deps.logger.debug : deps.logger.warn;
  const name = key.slice(KEY_PREFIX_LENGTH);
  const object = key.startsWith(KEY.service) ? splitServiceKey(name) : { name };
  log.call(
    deps.logger,
    { ...object, err: error, retries: queue.failures(key) },
    "reconcile failed; retrying",
  );
  queue.addRateLimited(key);
}

/** Keys queued between two looks at the slice clock: queueing 100,000 at once held the event loop for over 100 ms. */
const ADD_PER_STEP = 256;

/** Adds keys to the queue, giving the event loop a turn when its slice is used up. */
export async function addInTurns(
  queue: WorkQueue<string>,
  keys: Iterable<string>,
  turn: () => Promise<void> | undefined,
): Promise<void> {
  let added = 0;
  for (const key of keys) {
    queue.add(key);
    if (++added % ADD_PER_STEP === 0) await turn();
  }
}
