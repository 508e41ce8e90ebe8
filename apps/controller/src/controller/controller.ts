// The controller: informers fill caches, handlers turn changes into keys,
// workers take keys from one de-duplicating queue and reconcile them. Built
// by a side-effect-free factory; start() does the I/O.
import { hostname } from "node:os";
import type { KubeConfig } from "@kubernetes/client-node";
import {
  ALLOCATOR_WORKER_URL,
  type AllocatorResult,
  type AllocatorTask,
  WORKER_MIN_BATCH,
} from "@lbipam/allocator";
import { DEFAULT_CONFIGURATION_NAME, serviceKey } from "@lbipam/api";
import type { ServiceState } from "@lbipam/state";
import { Piscina } from "piscina";
import { AllocationBatcher } from "./allocation-batcher.js";
import { AllocationState } from "./allocation-state.js";
import { type CachedService, ClusterCaches, KEY, KEY_PREFIX_LENGTH } from "./cluster-caches.js";
import { type ClusterWriter, KubeClusterWriter } from "./cluster-writer.js";
import { ConfigSync } from "./config-sync.js";
import { EventLoopSlices } from "./event-loop-slices.js";
import { EventRecorder } from "./event-recorder.js";
import type { InformerLogger } from "./informer.js";
import { type LeaderElectionOptions, LeaderElector, leaderOnly } from "./leader-election.js";
import { Leadership } from "./leadership.js";
import { ControllerMetrics } from "./metrics.js";
import { PoolReferences } from "./pool-references.js";
import { PoolStatusWriter } from "./pool-status.js";
import { PoolSync } from "./pool-sync.js";
import { PreparedTakeover } from "./prepared-takeover.js";
import { RestClient } from "./rest-client.js";
import { ServiceReconciler } from "./service-reconciler.js";
import { TokenBucket } from "./token-bucket.js";
import { WaitingServices } from "./waiting-services.js";
import type { WorkQueue } from "./work-queue.js";

export interface ControllerLogger extends InformerLogger {
  error(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

export interface ControllerOptions {
  kubeconfig: KubeConfig;
  logger: ControllerLogger;
  /** spec.loadBalancerClass this controller serves (besides Services with none). */
  loadBalancerClass: string;
  /** Reconciles running at once. */
  workers: number;
  /** Client-side limit of write requests per second (0: none) and burst. */
  qps: number;
  burst: number;
  /** Shortest time between two status writes of one IPPool. */
  poolStatusIntervalMs?: number;
  /** Informer tuning (tests shorten these). */
  watchTimeoutSeconds?: number;
  /** Replaces the writer built from the kubeconfig (tests count or fail writes). */
  writer?: ClusterWriter;
  /** Piscina threads for allocator batches (0: everything inline). */
  allocatorThreads?: number;
  /** Batches at least this large go to a worker (default: the measured WORKER_MIN_BATCH). */
  workerMinBatch?: number;
  /** Compete for a Lease and work only while holding it; absent: always the leader. */
  leaderElection?: LeaderElectionOptions;
}

/** Longest run of reconciles before the event loop gets a turn: well under the 50 ms p99 target. */
const RECONCILE_SLICE_MS = 10;
/** Services queued between two looks at the slice clock by the catch-up. */
const ENQUEUE_PER_STEP = 256;

const SERVICE = KEY.service;

export class Controller {
  readonly metrics: ControllerMetrics;
  private readonly allocations: AllocationState;
  readonly ledger: AllocationState["ledger"];
  readonly registry: AllocationState["registry"];
  readonly waiting = new WaitingServices();
  private readonly options: ControllerOptions;
  private readonly caches: ClusterCaches;
  private readonly services: ClusterCaches["services"];
  private readonly pools: ClusterCaches["pools"];
  private readonly writer: ClusterWriter;
  private readonly rest: RestClient;
  private readonly recorder: EventRecorder;
  private readonly batcher: AllocationBatcher;
  private readonly reconciler: ServiceReconciler;
  private readonly leadership: Leadership;
  private readonly config: ConfigSync;
  private readonly states = new Map<string, ServiceState>();
  private readonly references = new PoolReferences();
  private readonly poolSync: PoolSync;
  private readyFlag = false;
  private readonly elector: LeaderElector | undefined;
  private stopping = false;
  private readonly slices: EventLoopSlices;
  private readonly prepared = new PreparedTakeover();

  constructor(options: ControllerOptions) {
    this.options = options;
    this.slices = new EventLoopSlices(RECONCILE_SLICE_MS);
    const { kubeconfig, logger } = options;
    this.metrics = new ControllerMetrics({
      pools: () => this.allocations.poolSamples(),
      servicesByState: () => {
        const counts: Record<string, number> = { allocated: 0, pending: 0, invalid: 0, unmanaged: 0 };
        for (const state of this.states.values()) {
          // A Service served in one family and waiting in the other waits: it is pending.
          const shown = state === "partial" ? "pending" : state;
          counts[shown] = (counts[shown] ?? 0) + 1;
        }
        return counts;
      },
      queueDepth: () => this.queue.length,
      workerPool: () => ({ queued: this.batcher.workers?.queueSize ?? 0, running: this.batcher.running }),
      leader: () => this.leading,
    });
    this.rest = new RestClient(kubeconfig, Math.max(16, options.workers * 2));
    if (options.leaderElection) {
      this.elector = new LeaderElector(
        this.rest,
        options.leaderElection,
        {
          onStartedLeading: () => this.leadership.transition(() => this.leadership.lead()),
          onStoppedLeading: () => this.leadership.transition(() => this.leadership.standBy()),
          onHolderSilent: () => void this.leadership.transition(() => this.leadership.prepare()),
          onHolderBack: () => void this.leadership.transition(async () => this.leadership.dropPrepared()),
        },
        logger,
        (verb, code) => this.metrics.apiRequests.inc({ verb, resource: "leases", code: String(code) }),
      );
    }
    const writer =
      options.writer ??
      new KubeClusterWriter(this.rest, new TokenBucket(options.qps, options.burst), (verb, resource, code) =>
        this.metrics.apiRequests.inc({ verb, resource, code: String(code) }),
      );
    // A replica that does not lead makes no new write; one already sent ends as it will.
    this.writer = this.elector ? leaderOnly(writer, () => this.leading) : writer;
    this.recorder = new EventRecorder(this.writer, "lbipam", hostname(), logger);
    const threads = options.allocatorThreads ?? 0;
    this.batcher = new AllocationBatcher(
      threads > 0
        ? new Piscina<AllocatorTask, AllocatorResult>({
            filename: ALLOCATOR_WORKER_URL,
            // Threads start when a batch needs one, and leave when idle.
            minThreads: 0,
            maxThreads: threads,
          })
        : undefined,
      options.workerMinBatch ?? WORKER_MIN_BATCH,
      this.metrics,
    );
    this.allocations = new AllocationState({
      loadBalancerClass: options.loadBalancerClass,
      batcher: this.batcher,
      metrics: this.metrics,
      logger,
      turn: () => this.slices.turn(),
    });
    this.ledger = this.allocations.ledger;
    this.registry = this.allocations.registry;
    this.caches = new ClusterCaches(kubeconfig, this.rest, {
      logger,
      watchTimeoutSeconds: options.watchTimeoutSeconds,
      onChange: (kind, key) => {
        if (kind === "service") this.prepared.noteServiceChange(key.slice(KEY_PREFIX_LENGTH));
        else if (kind === "pool") this.prepared.notePoolChange();
        this.queue.add(key);
      },
      onRestart: (resource) => this.metrics.informerRestarts.inc({ resource }),
    });
    this.services = this.caches.services;
    this.pools = this.caches.pools;
    this.config = new ConfigSync(this.caches.configs, this.writer, logger);
    this.reconciler = new ServiceReconciler({
      services: this.services,
      namespaces: { get: (name) => this.caches.namespaces.get(name) },
      registry: this.registry,
      ledger: this.ledger,
      waiting: this.waiting,
      config: () => ({ assignIPs: this.config.assignIPs, loadBalancerClass: options.loadBalancerClass }),
      writer: this.writer,
      recorder: this.recorder,
      metrics: this.metrics,
      batcher: this.batcher,
      logger,
    });
    this.leadership = new Leadership({
      logger,
      workers: options.workers,
      loadBalancerClass: options.loadBalancerClass,
      elected: this.elector !== undefined,
      leading: () => this.leading,
      stopping: () => this.stopping,
      caches: this.caches,
      allocations: this.allocations,
      poolSync: () => this.poolSync,
      config: this.config,
      prepared: this.prepared,
      metrics: this.metrics,
      newPoolStatus: () => this.newPoolStatus(),
      forgetServiceStates: () => this.forgetServiceStates(),
      enqueueAll: () => this.enqueueAllServices(),
      process: (key) => this.process(key),
      turn: () => this.slices.turn(),
    });
    this.poolSync = new PoolSync({
      pools: this.pools,
      registry: this.registry,
      ledger: this.ledger,
      references: this.references,
      poolStatus: () => this.leadership.poolStatus,
    });
  }

  /** The current term's work queue. */
  get queue(): WorkQueue<string> {
    return this.leadership.queue;
  }

  private get poolStatus(): PoolStatusWriter {
    return this.leadership.poolStatus;
  }

  private newPoolStatus(): PoolStatusWriter {
    return new PoolStatusWriter(
      this.pools,
      this.registry,
      this.writer,
      this.metrics,
      this.options.logger,
      this.options.poolStatusIntervalMs ?? 1000,
    );
  }

  /** Caches synced and state rebuilt: the controller may write. */
  get ready(): boolean {
    return this.readyFlag;
  }

  /** True while this replica may write: always without leader election. */
  get leading(): boolean {
    return this.elector ? this.elector.leading : true;
  }

  /** This replica's Lease holder identity (undefined without leader election). */
  get identity(): string | undefined {
    return this.elector?.identity;
  }

  /** For /readyz: ready once caches are synced, as the leader or as a warm standby. */
  readiness(): { ok: boolean; detail: string } {
    if (!this.readyFlag) return { ok: false, detail: "caches not synced" };
    if (!this.elector) return { ok: true, detail: "ready" };
    if (this.elector.leading) return { ok: true, detail: `ready: leader (${this.elector.identity})` };
    const leader = this.elector.leader;
    return { ok: true, detail: `ready: standby (${this.elector.identity}); leader ${leader || "unknown"}` };
  }

  /**
   * Starts the informers and waits for every cache. Without leader election
   * it then leads at once; with it, it competes for the Lease and leads only
   * while holding it, keeping its caches warm meanwhile.
   */
  async start(): Promise<void> {
    const { logger } = this.options;
    await this.caches.start();
    logger.info({}, "caches synced");
    if (!this.elector) {
      await this.leadership.lead();
      this.readyFlag = true;
      return;
    }
    this.readyFlag = true;
    if (!this.stopping) this.elector.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    // A leader drains its work before it releases the Lease, so the next one never overlaps it.
    await this.elector?.stop();
    await this.leadership.drain();
    await this.leadership.settled();
    this.leadership.poolStatus.stop();
    await this.caches.stop();
    await this.recorder.flush();
    await this.batcher.workers?.destroy();
    this.rest.close();
  }

  /** Forgets what the last term learnt of each Service: the catch-up learns it again. */
  private forgetServiceStates(): void {
    this.waiting.clear();
    this.states.clear();
    this.metrics.pendingSince.set(0);
  }

  /** What each kind of key means: one handler per prefix. */
  private readonly handlers: Record<string, (name: string) => Promise<void> | void> = {
    [SERVICE]: (key) => this.reconcileService(key),
    [KEY.pool]: (name) => {
      const { change, services } = this.poolSync.sync(name);
      if (!change.changed) return;
      // A pool changed: every waiting Service (it may now be served), oldest first, then those it affects.
      this.wakeWaiting();
      for (const key of services) this.queue.add(`${SERVICE}${key}`);
    },
    [KEY.namespace]: (name) => {
      for (const service of this.services.list(name)) this.queue.add(`${SERVICE}${serviceKey(service)}`);
    },
    [KEY.reservations]: () => {
      for (const problem of this.registry.setReservations(this.caches.reservations.list())) {
        this.options.logger.warn({ problem }, "reservation entry ignored");
      }
      this.wakeWaiting();
      this.poolSync.requestAllStatuses();
    },
    [KEY.config]: async (name) => {
      if (name === DEFAULT_CONFIGURATION_NAME && (await this.config.sync())) await this.enqueueAllServices();
    },
  };

  private async process(key: string): Promise<void> {
    await this.handlers[key.slice(0, KEY_PREFIX_LENGTH)]?.(key.slice(KEY_PREFIX_LENGTH));
  }

  private async reconcileService(key: string): Promise<void> {
    const result = await this.reconciler.reconcile(key);
    if (result.state) this.states.set(key, result.state);
    else this.states.delete(key);
    this.references.set(key, result.references);
    if (result.freed) this.wakeWaiting();
    for (const pool of result.touchedPools) this.poolStatus.request(pool);
    const since = this.waiting.longestWaitSince();
    this.metrics.pendingSince.set(since === undefined ? 0 : since / 1000);
  }

  /**
   * Every Service, those showing no address first: they are the likeliest to
   * need a write, and a new leader taking over mid-burst serves them before
   * re-checking the many that keep what they have. In turns: queueing
   * 100,000 keys at once held the event loop for over 100 ms.
   */
  private async enqueueAllServices(): Promise<void> {
    const services = this.services.list();
    const showsAddress = (service: CachedService) => (service.status?.loadBalancer?.ingress?.length ?? 0) > 0;
    let seen = 0;
    for (const first of [false, true]) {
      for (const service of services) {
        if (showsAddress(service) === first) this.queue.add(`${SERVICE}${serviceKey(service)}`);
        if (++seen % ENQUEUE_PER_STEP === 0) await this.slices.turn();
      }
    }
  }

  private wakeWaiting(): void {
    for (const key of this.waiting.oldestFirst()) this.queue.add(`${SERVICE}${key}`);
  }
}
