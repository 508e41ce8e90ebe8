// Fault injection for tests: failed answers for the next N matching requests, added latency,
// and dropping every open watch.
import {
  ConflictError,
  GoneError,
  InternalError,
  InvalidOptionError,
  type StatusError,
  TooManyRequestsError,
} from "./errors.js";

/** 410 answers a watch with an ERROR event (its resourceVersion "too old"), as kube does after compaction. */
export type FaultCode = 409 | 410 | 429 | 500;

export interface FailureRule {
  /** Matches any verb when absent. */
  verb?: string;
  /** Plural resource name (`services`); matches any when absent. */
  resource?: string;
  /** "" for the main resource, "status"; matches any when absent. */
  subresource?: string;
  code: FaultCode;
  count: number;
}

export interface FaultState {
  latencyMs: number;
  failures: FailureRule[];
}

export class Faults {
  private latency = 0;
  private readonly failures: FailureRule[] = [];
  private readonly watchClosers = new Set<() => void>();

  /** Answers the next `count` requests matching the rule with the given code. */
  failNext(rule: FailureRule): void {
    if (![409, 410, 429, 500].includes(rule.code))
      throw new InvalidOptionError("code", "must be 409, 410, 429 or 500");
    if (!Number.isInteger(rule.count) || rule.count < 1)
      throw new InvalidOptionError("count", "must be a positive integer");
    this.failures.push({ ...rule });
  }

  /** Delays every request by `ms` milliseconds (0 removes the delay). */
  setLatency(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0)
      throw new InvalidOptionError("latencyMs", "must be a non-negative number");
    this.latency = ms;
  }

  /** Ends every open watch stream; clients see the stream close, as when an apiserver restarts. */
  closeWatches(): number {
    const closers = [...this.watchClosers];
    this.watchClosers.clear();
    for (const close of closers) close();
    return closers.length;
  }

  clear(): void {
    this.latency = 0;
    this.failures.length = 0;
  }

  state(): FaultState {
    return { latencyMs: this.latency, failures: this.failures.map((f) => ({ ...f })) };
  }

  get latencyMs(): number {
    return this.latency;
  }

  /** Registers an open watch; the returned function unregisters it. */
  trackWatch(close: () => void): () => void {
    this.watchClosers.add(close);
    return () => this.watchClosers.delete(close);
  }

  /** The error to answer this request with, consuming one use of the first matching rule. */
  take(
    verb: string,
    resource: string,
    subresource: string,
    name: string,
    group = "",
  ): StatusError | undefined {
    const index = this.failures.findIndex(
      (f) =>
        (f.verb === undefined || f.verb === verb) &&
        (f.resource === undefined || f.resource === resource) &&
        (f.subresource === undefined || f.subresource === subresource),
    );
    if (index < 0) return undefined;
    const rule = this.failures[index]!;
    rule.count--;
    if (rule.count === 0) this.failures.splice(index, 1);
    switch (rule.code) {
      case 409:
        return new ConflictError({ resource, group, name });
      case 410:
        return new GoneError("too old resource version: injected fault");
      case 429:
        return new TooManyRequestsError();
      case 500:
        return new InternalError("injected fault");
    }
  }
}
