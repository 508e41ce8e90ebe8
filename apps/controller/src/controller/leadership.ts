// Terms of leadership: gaining the lead (state rebuilt, or taken from the
// standby's head start, then the level-triggered catch-up, then workers),
// losing it (work drained, state dropped), and preparing while the leader
// is quiet. Each term has its own work queue and pool status writer; the
// changes run one after the other, never interleaved.
import { DEFAULT_CONFIGURATION_NAME, splitServiceKey } from "@lbipam/api";
import type { LedgerRebuild } from "@lbipam/state";
import type { AllocationState } from "./allocation-state.js";
import type { CachedService, ClusterCaches } from "./cluster-caches.js";
import { KEY } from "./cluster-caches.js";
import type { ConfigSync } from "./config-sync.js";
import type { LeaderCallbacks } from "./leader-election.js";
import type { ControllerMetrics } from "./metrics.js";
import type { PoolStatusWriter } from "./pool-status.js";
import type { PoolSync } from "./pool-sync.js";
import type { PreparedTakeover } from "./prepared-takeover.js";
import { runWorker } from "./work-loop.js";
import { WorkQueue } from "./work-queue.js";

export interface LeadershipDeps {
  logger: {
    info(fields: object, message: string): void;
    warn(fields: object, message: string): void;
    error(fields: object, message: string): void;
    debug(fields: object, message: string): void;
  };
  /** Reconciles running at once. */
  workers: number;
  loadBalancerClass: string;
  /** With leader election: a failed configuration sync is retried, not fatal. */
  elected: boolean;
  leading: () => boolean;
  stopping: () => boolean;
  caches: ClusterCaches;
  allocations: AllocationState;
  poolSync: () => PoolSync;
  config: ConfigSync;
  prepared: PreparedTakeover;
  metrics: ControllerMetrics;
  newPoolStatus: () => PoolStatusWriter;
  /** Forgets what the last term learnt of each Service (waiting, states). */
  forgetServiceStates: () => void;
  /** Queues every Service, in the catch-up's order. */
  enqueueAll: () => Promise<void>;
  process: (key: string) => Promise<void>;
  turn: () => Promise<void> | undefined;
}

export class Leadership {
  /** Keys to reconcile; a new queue for each term. */
  queue = new WorkQueue<string>();
  poolStatus: PoolStatusWriter;
  private workers: Promise<void>[] = [];
  /** Workers take keys only while this is true: set when a term's catch-up is done, cleared when it ends. */
  private working = false;
  private transitions: Promise<void> = Promise.resolve();

  constructor(private readonly deps: LeadershipDeps) {
    this.poolStatus = deps.newPoolStatus();
  }

  /** Runs a leadership change after those before it. */
  transition(step: () => Promise<void>): Promise<void> {
    this.transitions = this.transitions.then(step).catch((error: unknown) => {
      this.deps.logger.error({ err: error }, "leadership change failed");
    });
    return this.transitions;
  }

  /** What the elector calls: each runs one leadership change, after those before it. */
  electionCallbacks(): LeaderCallbacks {
    return {
      onStartedLeading: () => this.transition(() => this.lead()),
      onStoppedLeading: () => this.transition(() => this.standBy()),
      onHolderSilent: () => void this.transition(() => this.prepare()),
      onHolderBack: () => void this.transition(async () => this.dropPrepared()),
    };
  }

  private get over(): boolean {
    return !this.deps.leading() || this.deps.stopping();
  }

  /**
   * Leading (again): state is rebuilt from the caches as they are now (or
   * taken from a rebuild made while standing by, when nothing it read has
   * changed since), every Service is queued (level-triggered catch-up), then
   * workers start.
   */
  async lead(): Promise<void> {
    const { logger, allocations, caches } = this.deps;
    if (this.over) return;
    // Keys queued while standing by are all covered by the catch-up below, in a better order.
    this.queue.shutDown();
    this.queue = new WorkQueue<string>();
    const prepared = this.takePrepared();
    if (prepared) this.deps.forgetServiceStates();
    else this.dropAllocations();
    // Counts are written only once the rebuild below has made the pools' claims.
    this.poolStatus.hold();
    this.deps.poolSync().syncAll();
    allocations.registry.setReservations(caches.reservations.list());
    try {
      await this.deps.config.sync();
    } catch (error) {
      // Without election this fails the start, as it always has; a leader retries through the queue.
      if (!this.deps.elected) throw error;
      logger.warn({ err: error }, "could not sync the configuration; retrying");
      this.queue.addRateLimited(`${KEY.config}${DEFAULT_CONFIGURATION_NAME}`);
    }
    if (this.over) return;
    const rebuilt = prepared ?? (await allocations.rebuild(caches.services.list(), "takeover"));
    if (this.over) return;
    this.poolStatus.resume();
    logger.info(
      { addresses: rebuilt.held, conflicts: rebuilt.conflicts.length, preparedWhileStandingBy: !!prepared },
      "state rebuilt from Service status",
    );
    await this.deps.enqueueAll();
    if (this.over) return;
    this.working = true;
    const queue = this.queue;
    const worker = {
      working: () => this.working,
      process: this.deps.process,
      metrics: this.deps.metrics,
      logger,
      turn: this.deps.turn,
    };
    this.workers = Array.from({ length: Math.max(1, this.deps.workers) }, () => runWorker(queue, worker));
  }

  /**
   * No longer leading: workers finish the reconcile they are in (its one
   * status write ends or fails; the writer refuses new ones) and take no
   * more; the in-memory allocations are dropped, to be rebuilt when leading again.
   */
  async standBy(): Promise<void> {
    await this.drain();
    this.poolStatus = this.deps.newPoolStatus();
    this.dropAllocations();
    this.deps.logger.info({}, "standing by: work drained, allocations dropped");
  }

  /** Stops the term's work: the queue, the workers, the pool status writer. */
  async drain(): Promise<void> {
    this.working = false;
    const queue = this.queue;
    this.queue = new WorkQueue<string>();
    queue.shutDown();
    await Promise.all(this.workers);
    this.workers = [];
    this.poolStatus.stop();
  }

  /** Waits for the leadership changes already asked for. */
  settled(): Promise<void> {
    return this.transitions;
  }

  /**
   * Standing by, with a leader that has gone quiet: the state is rebuilt now,
   * so taking over need not wait for it (the takeover checks it still holds).
   */
  async prepare(): Promise<void> {
    const { prepared, caches, allocations } = this.deps;
    if (this.deps.leading() || this.deps.stopping() || prepared.usable) return;
    prepared.drop();
    this.dropAllocations();
    // A replica standing by writes nothing: pool counts wait for the lead.
    this.poolStatus.hold();
    this.deps.poolSync().syncAll();
    const rebuilt = await prepared.prepare(caches.services.list(), (services) =>
      allocations.rebuild(services as readonly CachedService[], "standby"),
    );
    this.deps.logger.info(
      { addresses: rebuilt.held },
      "state rebuilt ahead of a takeover, while standing by",
    );
  }

  /**
   * The leader renewed after all (or another replica took over): the state
   * rebuilt ahead is dropped rather than kept, and shown in pool gauges, as it ages.
   */
  dropPrepared(): void {
    if (this.deps.leading() || !this.deps.prepared.drop()) return;
    this.dropAllocations();
    this.deps.logger.info({}, "the leader renewed its lease again; state rebuilt ahead dropped");
  }

  /** The state prepared while standing by, if it still holds. */
  private takePrepared(): LedgerRebuild | undefined {
    const { caches, logger } = this.deps;
    return this.deps.prepared.take(
      (key) => {
        const { namespace, name } = splitServiceKey(key);
        return caches.services.get(name, namespace);
      },
      this.deps.loadBalancerClass,
      (changed) => logger.info({ changed }, "state prepared while standing by is stale; rebuilding"),
    );
  }

  /** Forgets every address held in memory and every waiting Service. */
  private dropAllocations(): void {
    this.deps.allocations.dropAll();
    this.deps.forgetServiceStates();
  }
}
