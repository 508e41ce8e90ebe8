// Events on Services, aggregated the way client-go's recorder does it: a
// repeat of the same event (object, type, reason, message) bumps `count` and
// `lastTimestamp` of the existing Event instead of creating another, and each
// object may burst a few events and then one every few minutes, so a Service
// stuck in a loop cannot flood the cluster. Recording never blocks or throws.
import type { CoreV1Event } from "@kubernetes/client-node";
import { ApiRequestError } from "../errors.js";
import type { ClusterWriter } from "./cluster-writer.js";

export interface InvolvedObject {
  kind: string;
  apiVersion: string;
  namespace: string;
  name: string;
  uid?: string;
}

export type EventType = "Normal" | "Warning";

export interface RecorderLogger {
  warn(fields: object, message: string): void;
}

interface Seen {
  name: string;
  count: number;
  firstTimestamp: string;
}

/** Per object: this many events at once, then one per REFILL_MS (client-go: 25, 5 minutes). */
const BURST = 25;
const REFILL_MS = 5 * 60 * 1000;
const REMEMBERED = 4096;

export class EventRecorder {
  /** Events already written, most recent last, keyed by what makes two events the same. */
  private readonly seen = new Map<string, Seen>();
  private readonly budgets = new Map<string, { tokens: number; at: number }>();
  /** Writes for one event key run one after another. */
  private readonly chains = new Map<string, Promise<void>>();
  private inFlight = 0;
  /** The time in the last Event name given, in nanoseconds. */
  private lastNameTime = 0n;

  constructor(
    private readonly writer: ClusterWriter,
    private readonly component: string,
    private readonly instance: string,
    private readonly logger: RecorderLogger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  record(object: InvolvedObject, type: EventType, reason: string, message: string): void {
    const objectKey = `${object.kind}/${object.namespace}/${object.name}/${object.uid ?? ""}`;
    const key = `${objectKey}\u0000${type}\u0000${reason}\u0000${message}`;
    if (!this.seen.has(key) && !this.spend(objectKey)) return;
    const previous = this.chains.get(key) ?? Promise.resolve();
    this.inFlight++;
    const next = previous
      .then(() => this.write(key, object, type, reason, message))
      .catch((error: unknown) =>
        this.logger.warn({ err: error, reason, object: objectKey }, "could not record event"),
      )
      .finally(() => {
        this.inFlight--;
        if (this.chains.get(key) === next) this.chains.delete(key);
      });
    this.chains.set(key, next);
  }

  /** Resolves once every event recorded so far has been written (or failed). */
  async flush(): Promise<void> {
    while (this.inFlight > 0) await Promise.all([...this.chains.values()]);
  }

  private spend(objectKey: string): boolean {
    const now = this.now().getTime();
    const budget = this.budgets.get(objectKey) ?? { tokens: BURST, at: now };
    budget.tokens = Math.min(BURST, budget.tokens + (now - budget.at) / REFILL_MS);
    budget.at = now;
    this.budgets.set(objectKey, budget);
    if (this.budgets.size > REMEMBERED) this.budgets.delete(this.budgets.keys().next().value!);
    if (budget.tokens < 1) return false;
    budget.tokens -= 1;
    return true;
  }

  /**
   * `<object>.<time in nanoseconds, hex>`, as client-go's recorder names
   * Events (staging/src/k8s.io/client-go/tools/record/event.go, makeEvent),
   * each name's time later than the last's, so this recorder never gives one
   * twice. (A random suffix cost a crypto call per Event.)
   */
  private eventName(object: InvolvedObject): string {
    const time = BigInt(this.now().getTime()) * 1_000_000n;
    this.lastNameTime = time > this.lastNameTime ? time : this.lastNameTime + 1n;
    return `${object.name}.${this.lastNameTime.toString(16)}`;
  }

  private async write(key: string, object: InvolvedObject, type: EventType, reason: string, message: string) {
    const now = new Date(this.now().getTime());
    // Kubernetes timestamps have whole seconds.
    now.setMilliseconds(0);
    const timestamp = now.toISOString().replace(".000Z", "Z");
    const seen = this.seen.get(key);
    if (seen) {
      seen.count++;
      this.seen.delete(key);
      this.seen.set(key, seen);
      try {
        await this.writer.patchEvent(
          { namespace: object.namespace, name: seen.name },
          { count: seen.count, lastTimestamp: timestamp },
        );
        return;
      } catch (error) {
        // The Event expired or was deleted: start a new one.
        if (!(error instanceof ApiRequestError && error.notFound)) throw error;
      }
    }
    const name = this.eventName(object);
    const event: CoreV1Event = {
      metadata: { name, namespace: object.namespace },
      involvedObject: { ...object },
      type,
      reason,
      message,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component: this.component },
      reportingComponent: this.component,
      reportingInstance: this.instance,
    };
    await this.writer.createEvent(event);
    this.seen.set(key, { name, count: 1, firstTimestamp: timestamp });
    if (this.seen.size > REMEMBERED) this.seen.delete(this.seen.keys().next().value!);
  }
}
