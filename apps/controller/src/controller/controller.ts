// The controller: informers fill caches, handlers turn changes into keys,
// workers take keys from one de-duplicating queue and reconcile them. Built
// by a side-effect-free factory; start() does the I/O.
import { hostname } from "node:os";
import { WORKER_MIN_BATCH } from "@lbipam/allocator";
import {
  DEFAULT_CONFIGURATION_NAME,
  type ManagementConfig,
  OWN_SHAPE,
  type ShapeDecision,
  serviceKey,
} from "@lbipam/api";
import { AllocationBatcher } from "./allocation-batcher.js";
import { AllocationState } from "./allocation-state.js";
import { BlockSync } from "./block-sync.js";
import { type CachedService, ClusterCaches, KEY, KEY_PREFIX_LENGTH } from "./cluster-caches.js";
import { type ClusterWriter, KubeClusterWriter } from "./cluster-writer.js";
import { ConfigSync } from "./config-sync.js";
import { EventLoopSlices } from "./event-loop-slices.js";
import { EventRecorder } from "./event-recorder.js";
import { LeaderElector, leaderOnly } from "./leader-election.js";
import { Leadership } from "./leadership.js";
import { ControllerMetrics } from "./metrics.js";
import type { ControllerOptions } from "./options.js";
import { PoolReferences } from "./pool-references.js";
import { PoolStatusWriter } from "./pool-status.js";
import { PoolSync } from "./pool-sync.js";
import { PreparedTakeover } from "./prepared-takeover.js";
import { RestClient } from "./rest-client.js";
import { ServiceReconciler } from "./service-reconciler.js";
import { ServiceStates } from "./service-states.js";
import { StatusEchoes } from "./status-echoes.js";
import { TokenBucket } from "./token-bucket.js";
import { WaitingServices } from "./waiting-services.js";
import { addInTurns } from "./work-loop.js";
import type { WorkQueue } from "./work-queue.js";

/** Longest run of reconciles before the event loop gets a turn: well under the 50 ms p99 target. */
const RECONCILE_SLICE_MS = 10;

const SERVICE = KEY.service;

export class Controller {
  readonly metrics: ControllerMetrics;
  private readonly allocations: AllocationState;
  readonly ledger: AllocationState["ledger"];
  readonly registry: AllocationState["registry"];
  readonly waiting = new WaitingServices();
  private readonly options: ControllerOptions;
  readonly shape: ShapeDecision;
  private readonly caches: ClusterCaches;
  private readonly writer: ClusterWriter;
  private readonly rest: RestClient;
  private readonly recorder: EventRecorder;
  private readonly batcher: AllocationBatcher;
  private readonly reconciler: ServiceReconciler;
  private readonly leadership: Leadership;
  private readonly config: ConfigSync;
  private readonly states = new ServiceStates();
  private readonly echoes = new StatusEchoes();
  private readonly references = new PoolReferences();
  private readonly poolSync: PoolSync;
  private readonly blockSync: BlockSync;
  private readyFlag = false;
  private readonly elector: LeaderElector | undefined;
  private stopping = false;
  private readonly slices: EventLoopSlices;
  private readonly prepared = new PreparedTakeover();

  constructor(options: ControllerOptions) {
    this.options = options;
    this.shape = options.shape ?? OWN_SHAPE;
    this.slices = new EventLoopSlices(RECONCILE_SLICE_MS);
    const { kubeconfig, logger } = options;
    this.metrics = new ControllerMetrics({
      pools: () => this.allocations.poolSamples(),
      servicesByState: () => this.states.counts(),
      queueDepth: () => this.queue.length,
      workerPool: () => ({ queued: this.batcher.workers?.queueSize ?? 0, running: this.batcher.running }),
      leader: () => this.leading,
      clusterShape: () => this.shape.shape,
      calicoControllerActive: () => this.config.calicoControllerActive,
    });
    this.rest = new RestClient(kubeconfig, Math.max(16, options.workers * 2));
    const writer =
      options.writer ??
      new KubeClusterWriter(this.rest, new TokenBucket(options.qps, options.burst), (verb, resource, code) =>
        this.metrics.apiRequests.inc({ verb, resource, code: String(code) }),
      );
    // A replica that does not lead makes no new write; one already sent ends as it will.
    this.writer = options.leaderElection ? leaderOnly(writer, () => this.leading) : writer;
    this.recorder = new EventRecorder(this.writer, "lbipam", hostname(), logger);
    this.batcher = AllocationBatcher.withThreads(
      options.allocatorThreads ?? 0,
      options.workerMinBatch ?? WORKER_MIN_BATCH,
      this.metrics,
    );
    this.allocations = new AllocationState({
      loadBalancerClass: options.loadBalancerClass,
      batcher: this.batcher,
      metrics: this.metrics,
      logger,
      turn: () => this.slices.turn(),
      calicoRecords: () => this.caches.calicoRecords(),
    });
    this.ledger = this.allocations.ledger;
    this.registry = this.allocations.registry;
    this.caches = new ClusterCaches(this.rest, {
      calicoApi: this.shape,
      blocks: this.shape.blocks,
      logger,
      watchTimeoutSeconds: options.watchTimeoutSeconds,
      onChange: (kind, key, object, previous) => {
        // Most blocks are nodes' pod blocks, changing with every pod and recording no Service.
        if (kind === "block" && !this.blockSync.recordsOrRecorded(key.slice(KEY_PREFIX_LENGTH))) return;
        if (kind === "service") {
          const serviceKey = key.slice(KEY_PREFIX_LENGTH);
          this.prepared.noteServiceChange(serviceKey);
          // What this controller just wrote, coming back: nothing to do (status-echoes.ts).
          if (previous && this.echoes.isEcho(serviceKey, previous as CachedService, object as CachedService))
            return;
        }
        // A block's records are part of what a prepared rebuild read, as pools are.
        else if (kind === "pool" || kind === "block") this.prepared.notePoolChange();
        this.queue.add(key);
      },
      onRestart: (resource) => this.metrics.informerRestarts.inc({ resource }),
    });
    this.config = new ConfigSync(this.caches.configs, this.writer, logger, this.shape.ownsCalicoObjects);
    this.reconciler = new ServiceReconciler({
      services: this.caches.services,
      namespaces: { get: (name) => this.caches.namespaces.get(name) },
      registry: this.registry,
      ledger: this.ledger,
      waiting: this.waiting,
      config: () => this.managementConfig(),
      writer: this.writer,
      recorder: this.recorder,
      metrics: this.metrics,
      batcher: this.batcher,
      echoes: this.echoes,
      logger,
    });
    this.leadership = new Leadership({
      logger,
      workers: options.workers,
      loadBalancerClass: options.loadBalancerClass,
      elected: options.leaderElection !== undefined,
      leading: () => this.leading,
      stopping: () => this.stopping,
      caches: this.caches,
      allocations: this.allocations,
      poolSync: () => this.poolSync,
      config: this.config,
      prepared: this.prepared,
      metrics: this.metrics,
      newPoolStatus: () =>
        new PoolStatusWriter(
          this.caches.pools,
          this.registry,
          this.writer,
          this.metrics,
          logger,
          options.poolStatusIntervalMs ?? 1000,
          this.shape.ownsCalicoObjects,
        ),
      forgetServiceStates: () => this.forgetServiceStates(),
      enqueueAll: () => this.enqueueAllServices(),
      process: (key) => this.process(key),
      turn: () => this.slices.turn(),
    });
    this.elector =
      options.leaderElection &&
      new LeaderElector(
        this.rest,
        options.leaderElection,
        this.leadership.electionCallbacks(),
        logger,
        (verb, code) => this.metrics.apiRequests.inc({ verb, resource: "leases", code: String(code) }),
      );
    this.poolSync = new PoolSync({
      pools: this.caches.pools,
      registry: this.registry,
      ledger: this.ledger,
      references: this.references,
      poolStatus: () => this.leadership.poolStatus,
    });
    this.blockSync = new BlockSync({
      blocks: this.caches.blocks,
      registry: this.registry,
      ledger: this.ledger,
      poolStatus: () => this.leadership.poolStatus,
      logger,
    });
  }

  /** The current term's work queue. */
  get queue(): WorkQueue<string> {
    return this.leadership.queue;
  }

  /** Which Services this controller manages, as the configuration in force says. */
  managementConfig(): ManagementConfig {
    return {
      assignIPs: this.config.assignIPs,
      loadBalancerClass: this.options.loadBalancerClass,
      calicoControllerActive: this.config.calicoControllerActive,
    };
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
    const shape = `cluster ${this.shape.shape}${this.config.calicoControllerActive ? ", Calico's LoadBalancer controller running" : ""}`;
    if (!this.elector) return { ok: true, detail: `ready; ${shape}` };
    if (this.elector.leading)
      return { ok: true, detail: `ready: leader (${this.elector.identity}); ${shape}` };
    const leader = this.elector.leader || "unknown";
    return { ok: true, detail: `ready: standby (${this.elector.identity}); leader ${leader}; ${shape}` };
  }

  /**
   * Starts the informers and waits for every cache. Without leader election
   * it then leads at once; with it, it competes for the Lease and leads only
   * while holding it, keeping its caches warm meanwhile.
   */
  async start(): Promise<void> {
    const { logger } = this.options;
    logger.info(
      {
        shape: this.shape.shape,
        api: `${this.shape.group}/${this.shape.version}`,
        ...(this.shape.blocks
          ? { ipamBlocks: `${this.shape.blocks.group}/${this.shape.blocks.version}` }
          : {}),
      },
      this.shape.message,
    );
    if (this.shape.warning) logger.warn({ shape: this.shape.shape }, this.shape.warning);
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
      for (const service of this.caches.services.list(name))
        this.queue.add(`${SERVICE}${serviceKey(service)}`);
    },
    [KEY.reservations]: () => {
      for (const problem of this.registry.setReservations(this.caches.reservations.list())) {
        this.options.logger.warn({ problem }, "reservation entry ignored");
      }
      this.wakeWaiting();
      this.poolSync.requestAllStatuses();
    },
    [KEY.block]: (name) => {
      const { services, freed } = this.blockSync.sync(name);
      if (freed) this.wakeWaiting();
      for (const key of services) this.queue.add(`${SERVICE}${key}`);
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
    this.states.set(key, result.state);
    this.references.set(key, result.references);
    if (result.freed) this.wakeWaiting();
    for (const pool of result.touchedPools) this.leadership.poolStatus.request(pool);
    const since = this.waiting.longestWaitSince();
    this.metrics.pendingSince.set(since === undefined ? 0 : since / 1000);
  }

  /** The level-triggered catch-up: every Service, in turns. */
  private enqueueAllServices(): Promise<void> {
    return addInTurns(this.queue, this.caches.serviceKeysNoAddressFirst(), () => this.slices.turn());
  }

  private wakeWaiting(): void {
    for (const key of this.waiting.oldestFirst()) this.queue.add(`${SERVICE}${key}`);
  }
}
