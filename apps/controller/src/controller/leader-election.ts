// Leader election on a coordination.k8s.io/v1 Lease, in client-go's manner
// (tools/leaderelection): every retry period a candidate reads the Lease and
// takes it when it is free or its holder has not renewed it for the lease
// duration, as measured on our own clock from when we last saw the record
// change (clocks of two machines are never compared). The leader renews every
// retry period; a renewal that has not succeeded within the renew deadline
// makes it step down, which is before its lease can expire for anyone else.
// Every write is a PUT at the resourceVersion read, so of two candidates one
// gets a 409 and stays a candidate. Unlike client-go, a candidate that knows
// when another's lease runs out asks again at that moment rather than at its
// next retry, and says when the holder has gone quiet for longer than any
// healthy leader would, so the controller can prepare to take over.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { CoreV1Event } from "@kubernetes/client-node";
import { ControllerError } from "../errors.js";
import type { ClusterWriter, ObjectKey } from "./cluster-writer.js";
import type { RestReply } from "./rest-client.js";

export interface LeaderElectionOptions {
  /** Lease name (default lbipam-controller). */
  leaseName?: string;
  /** Lease namespace (default kube-system). */
  namespace?: string;
  /** How long a holder's lease lasts after its last renewal (client-go default 15 s). */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it steps down (default 10 s). */
  renewDeadlineMs?: number;
  /** Time between two attempts to acquire or renew (default 2 s). */
  retryPeriodMs?: number;
  /** Holder identity (default: hostname and a random suffix). */
  identity?: string;
}

export const LEADER_ELECTION_DEFAULTS = {
  leaseName: "lbipam-controller",
  namespace: "kube-system",
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
} as const;

/** What the elector needs of the API: the controller's RestClient fits. */
export interface LeaseTransport {
  send(method: string, path: string, body?: unknown): Promise<RestReply>;
}

export interface LeaderCallbacks {
  /** Now leading: start working. */
  onStartedLeading(): void;
  /** No longer leading (writes are already refused): stop working; the promise ends when drained. */
  onStoppedLeading(): Promise<void>;
  /**
   * Standing by, the holder has not renewed for the renew deadline (a leader
   * that cannot renew within it has stepped down): its lease will likely run
   * out, `expiresAt` (our clock), and this replica take over. Once per record.
   */
  onHolderSilent?(expiresAt: number): void;
  /** After onHolderSilent, the Lease record changed again with another holder: it renewed, or another took over. */
  onHolderBack?(): void;
}

export interface ElectorLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

/** Called after every Lease request with its outcome, for metrics. */
export type LeaseRequestObserver = (verb: string, status: number) => void;

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

/** A write was asked of a replica that does not lead. */
export class NotLeaderError extends ControllerError {
  constructor(what: string) {
    super("NOT_LEADER", `not the leader: ${what} refused`);
  }
}

/** MicroTime as the API server writes it: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

export function defaultIdentity(): string {
  return `${hostname()}_${randomBytes(4).toString("hex")}`;
}

/** Checks durations as client-go does; a string names the problem. */
export function checkDurations(options: {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}): string | undefined {
  const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = options;
  if (!(retryPeriodMs > 0)) return "retry period must be greater than zero";
  if (!(renewDeadlineMs > retryPeriodMs)) return "renew deadline must be greater than the retry period";
  if (!(leaseDurationMs > renewDeadlineMs)) return "lease duration must be greater than the renew deadline";
  return undefined;
}

export class LeaderElector {
  readonly identity: string;
  readonly leaseName: string;
  readonly namespace: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private leadingFlag = false;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private deadline: NodeJS.Timeout | undefined;
  /** The record last read or written, as text, and when (our clock) it last changed. */
  private observedRaw = "";
  private observedTime = 0;
  private observedHolder = "";
  /** When another's lease, as last seen, runs out (our clock); 0 when not held by another. */
  private othersExpiry = 0;
  /** The othersExpiry already reported to onHolderSilent. */
  private reportedExpiry = 0;
  /** The leadership callbacks, run one after another in the order leadership changed. */
  private callbacksRun: Promise<void> = Promise.resolve();

  constructor(
    private readonly transport: LeaseTransport,
    options: LeaderElectionOptions,
    private readonly callbacks: LeaderCallbacks,
    private readonly logger: ElectorLogger,
    private readonly observe: LeaseRequestObserver = () => {},
  ) {
    this.identity = options.identity ?? defaultIdentity();
    this.leaseName = options.leaseName ?? LEADER_ELECTION_DEFAULTS.leaseName;
    this.namespace = options.namespace ?? LEADER_ELECTION_DEFAULTS.namespace;
    this.leaseDurationMs = options.leaseDurationMs ?? LEADER_ELECTION_DEFAULTS.leaseDurationMs;
    this.renewDeadlineMs = options.renewDeadlineMs ?? LEADER_ELECTION_DEFAULTS.renewDeadlineMs;
    this.retryPeriodMs = options.retryPeriodMs ?? LEADER_ELECTION_DEFAULTS.retryPeriodMs;
    const problem = checkDurations({
      leaseDurationMs: this.leaseDurationMs,
      renewDeadlineMs: this.renewDeadlineMs,
      retryPeriodMs: this.retryPeriodMs,
    });
    if (problem) throw new ControllerError("OPTION_INVALID", `leader election: ${problem}`);
  }

  get leading(): boolean {
    return this.leadingFlag;
  }

  /** The holder of the Lease as last seen ("" when free or not yet read). */
  get leader(): string {
    return this.leadingFlag ? this.identity : this.observedHolder;
  }

  start(): void {
    if (this.loop) return;
    this.loop = this.run();
  }

  /**
   * Stops competing. A leader first stops working (its in-flight writes end),
   * then releases the Lease so a standby need not wait for it to expire.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    if (this.leadingFlag) {
      await this.stepDown("stopping");
      await this.release();
    }
    await this.callbacksRun;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const startedAt = Date.now();
      let renewed = false;
      try {
        renewed = await this.withTimeout(this.tryAcquireOrRenew(startedAt));
      } catch (error) {
        this.logger.debug({ lease: this.leaseName, err: error }, "lease request failed");
      }
      if (this.stopped) return;
      if (renewed) this.renewedAt(startedAt);
      else if (this.leadingFlag && this.observedHolder !== "" && this.observedHolder !== this.identity) {
        void this.stepDown(`${this.observedHolder} holds the lease`);
      }
      this.reportSilence();
      // client-go jitters candidates (factor 1.2) so they do not all ask at once; the leader does not.
      let wait = this.leadingFlag ? this.retryPeriodMs : this.retryPeriodMs * (1 + Math.random() * 0.2);
      // A lease known to run out before then is asked for as it does (a millisecond after, to be past it).
      if (!this.leadingFlag && this.othersExpiry > 0)
        wait = Math.min(wait, this.othersExpiry + 1 - startedAt);
      const until = startedAt + wait;
      await new Promise<void>((resolve) => {
        // Node can run a timer before Date.now() reaches its end (it dates timers by a loop clock
        // read once per turn), and a lease asked for before it runs out only reads as held again.
        let timer: NodeJS.Timeout;
        const arm = () => {
          timer = setTimeout(
            () => (Date.now() >= until ? resolve() : arm()),
            Math.max(0, until - Date.now()),
          );
        };
        arm();
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** Tells the callbacks, once per record, that another holder has been silent for the renew deadline. */
  private reportSilence(): void {
    const expiry = this.othersExpiry;
    if (expiry === 0 || expiry === this.reportedExpiry || this.leadingFlag) return;
    if (Date.now() - this.observedTime < this.renewDeadlineMs) return;
    this.reportedExpiry = expiry;
    this.logger.info(
      { lease: this.leaseName, holder: this.observedHolder, expiresInMs: expiry - Date.now() },
      "the leader has not renewed its lease within the renew deadline",
    );
    this.callbacks.onHolderSilent?.(expiry);
  }

  /** A request that hangs must not keep the loop from its next attempt. */
  private withTimeout<T>(promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("lease request timed out")), this.renewDeadlineMs);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  /** The Lease is ours as of `sentAt` (when the request left, so never later than the server's view). */
  private renewedAt(sentAt: number): void {
    clearTimeout(this.deadline);
    const left = sentAt + this.renewDeadlineMs - Date.now();
    if (left <= 0) {
      // Held, but too late to count on: the standbys may already see it expire.
      if (this.leadingFlag) void this.stepDown("renewed after the renew deadline");
      return;
    }
    this.deadline = setTimeout(() => void this.stepDown("could not renew within the renew deadline"), left);
    if (!this.leadingFlag) {
      this.leadingFlag = true;
      this.logger.info({ lease: this.leaseName, identity: this.identity }, "became the leader");
      void this.inOrder(() => this.callbacks.onStartedLeading());
    }
  }

  private stepDown(reason: string): Promise<void> {
    clearTimeout(this.deadline);
    if (!this.leadingFlag) return this.callbacksRun;
    this.leadingFlag = false;
    this.logger.warn({ lease: this.leaseName, identity: this.identity, reason }, "stopped leading");
    return this.inOrder(() => this.callbacks.onStoppedLeading());
  }

  /**
   * Runs a callback after those before it: a start that came while a
   * step-down was still draining must not overtake it, or a flapping
   * leader would end up holding the Lease while standing by.
   */
  private inOrder(callback: () => void | Promise<void>): Promise<void> {
    this.callbacksRun = this.callbacksRun.then(callback).catch((error: unknown) => {
      this.logger.warn({ lease: this.leaseName, err: error }, "leadership callback failed");
    });
    return this.callbacksRun;
  }

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.namespace)}/leases`;
  }

  private async request(verb: string, method: string, path: string, body?: unknown): Promise<RestReply> {
    try {
      const reply = await this.transport.send(method, path, body);
      this.observe(verb, reply.status);
      return reply;
    } catch (error) {
      this.observe(verb, 0);
      throw error;
    }
  }

  private observed(spec: LeaseSpec, now: number): void {
    const raw = JSON.stringify(spec);
    if (raw !== this.observedRaw) {
      this.observedRaw = raw;
      this.observedTime = now;
    }
    this.observedHolder = spec.holderIdentity ?? "";
  }

  /** One attempt; true when we hold the Lease afterwards. */
  private async tryAcquireOrRenew(now: number): Promise<boolean> {
    const name = encodeURIComponent(this.leaseName);
    const seconds = Math.max(1, Math.ceil(this.leaseDurationMs / 1000));
    const got = await this.request("get", "GET", `${this.path}/${name}`);
    this.othersExpiry = 0;
    if (got.status === 404) {
      const spec: LeaseSpec = {
        holderIdentity: this.identity,
        leaseDurationSeconds: seconds,
        acquireTime: microTime(now),
        renewTime: microTime(now),
        leaseTransitions: 0,
      };
      const created = await this.request("create", "POST", this.path, {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name: this.leaseName, namespace: this.namespace },
        spec,
      });
      // 409: another candidate created it first.
      if (created.status >= 300) return false;
      this.observed(spec, now);
      return true;
    }
    if (got.status >= 300) throw new Error(`GET lease answered ${got.status}`);
    const lease = JSON.parse(got.body) as Lease;
    const old = lease.spec ?? {};
    // Another's record is dated when it reached us, as client-go does: dating it when the GET
    // left would let a slow GET shorten the wait for its expiry.
    const received = Date.now();
    this.observed(old, received);
    const holder = old.holderIdentity ?? "";
    if (
      this.observedTime === received &&
      this.reportedExpiry !== 0 &&
      holder !== "" &&
      holder !== this.identity
    ) {
      // The record changed after a silence we reported, and someone holds it (a release leaves it free).
      this.reportedExpiry = 0;
      this.callbacks.onHolderBack?.();
    }
    const heldFor = (old.leaseDurationSeconds ?? seconds) * 1000;
    if (holder !== "" && holder !== this.identity && this.observedTime + heldFor > received) {
      this.othersExpiry = this.observedTime + heldFor;
      return false; // Held by another, and renewed within its lease duration as far as we have seen.
    }
    const ours = holder === this.identity;
    const spec: LeaseSpec = {
      ...old,
      holderIdentity: this.identity,
      leaseDurationSeconds: seconds,
      acquireTime: ours && old.acquireTime ? old.acquireTime : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: ours ? (old.leaseTransitions ?? 0) : (old.leaseTransitions ?? 0) + 1,
    };
    // The resourceVersion read makes this conditional: 409 means someone else wrote first.
    const put = await this.request("update", "PUT", `${this.path}/${name}`, { ...lease, spec });
    if (put.status >= 300) {
      if (put.status !== 409) throw new Error(`PUT lease answered ${put.status}`);
      return false;
    }
    this.observed(spec, now);
    return true;
  }

  /** Gives the Lease up (client-go's ReleaseOnCancel): free, with a one-second duration. */
  private async release(): Promise<void> {
    const name = encodeURIComponent(this.leaseName);
    try {
      const got = await this.withTimeout(this.request("get", "GET", `${this.path}/${name}`));
      if (got.status >= 300) return;
      const lease = JSON.parse(got.body) as Lease;
      if (lease.spec?.holderIdentity !== this.identity) return;
      const now = microTime(Date.now());
      const spec: LeaseSpec = {
        ...lease.spec,
        holderIdentity: "",
        leaseDurationSeconds: 1,
        acquireTime: now,
        renewTime: now,
      };
      await this.withTimeout(this.request("update", "PUT", `${this.path}/${name}`, { ...lease, spec }));
      this.logger.info({ lease: this.leaseName, identity: this.identity }, "released the lease");
    } catch (error) {
      this.logger.warn({ lease: this.leaseName, err: error }, "could not release the lease");
    }
  }
}

/** A ClusterWriter that refuses every new write once this replica no longer leads. */
export function leaderOnly(writer: ClusterWriter, leading: () => boolean): ClusterWriter {
  const check = (what: string) => {
    if (!leading()) throw new NotLeaderError(what);
  };
  return {
    async patchServiceStatus(key: ObjectKey, resourceVersion: string | undefined, status: object) {
      check("Service status write");
      await writer.patchServiceStatus(key, resourceVersion, status);
    },
    async createEvent(event: CoreV1Event) {
      check("Event");
      await writer.createEvent(event);
    },
    async patchEvent(key: ObjectKey, patch: object) {
      check("Event");
      await writer.patchEvent(key, patch);
    },
    async patchClusterObjectStatus(plural: string, name: string, status: object) {
      check(`${plural} status write`);
      await writer.patchClusterObjectStatus(plural, name, status);
    },
    async createClusterObject(plural: string, body: object) {
      check(`${plural} creation`);
      await writer.createClusterObject(plural, body);
    },
  };
}
