// The controller: informers fill caches, handlers turn changes into keys,
// workers take keys from one de-duplicating queue and reconcile them. Built
// by a side-effect-free factory; start() does the I/O.
import { hostname } from "node:os";
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1Namespace,
  type V1Service,
} from "@kubernetes/client-node";
import {
  ALLOCATOR_WORKER_URL,
  type AllocatorResult,
  type AllocatorTask,
  WORKER_MIN_BATCH,
} from "@lbipam/allocator";
import {
  DEFAULT_CONFIGURATION_NAME,
  type IPPool,
  type IPReservation,
  type KubeControllersConfiguration,
  type Namespace,
  parseServiceRequest,
  type Service,
} from "@lbipam/api";
import { Piscina } from "piscina";
import { AllocationBatcher } from "./allocation-batcher.js";
import { CALICO_GROUP, CALICO_VERSION, type ClusterWriter, KubeClusterWriter } from "./cluster-writer.js";
import { CONFIG_PLURAL, ConfigSync } from "./config-sync.js";
import { EventRecorder } from "./event-recorder.js";
import { Informer, type InformerLogger } from "./informer.js";
import { Ledger } from "./ledger.js";
import { ControllerMetrics } from "./metrics.js";
import { PoolReferences } from "./pool-references.js";
import { PoolRegistry } from "./pool-registry.js";
import { PoolStatusWriter } from "./pool-status.js";
import { rebuildLedger } from "./rebuild.js";
import { RestClient } from "./rest-client.js";
import { ServiceReconciler, type ServiceState, splitKey } from "./service-reconciler.js";
import { TokenBucket } from "./token-bucket.js";
import { WaitingServices } from "./waiting-services.js";
import { WorkQueue } from "./work-queue.js";

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
}

/** Queue keys: one prefix per kind of work. */
const SERVICE = "s:";
const POOL = "p:";
const NAMESPACE = "n:";
const RESERVATIONS = "r:";
const CONFIG = "c:";

export class Controller {
  readonly metrics: ControllerMetrics;
  readonly queue = new WorkQueue<string>();
  readonly ledger = new Ledger();
  readonly registry = new PoolRegistry();
  readonly waiting = new WaitingServices();
  private readonly options: ControllerOptions;
  private readonly services: Informer<V1Service>;
  private readonly namespaces: Informer<V1Namespace>;
  private readonly pools: Informer<IPPool & KubernetesObject>;
  private readonly reservations: Informer<IPReservation & KubernetesObject>;
  private readonly configs: Informer<KubeControllersConfiguration & KubernetesObject>;
  private readonly writer: ClusterWriter;
  private readonly rest: RestClient;
  private readonly recorder: EventRecorder;
  private readonly batcher: AllocationBatcher;
  private readonly reconciler: ServiceReconciler;
  private readonly poolStatus: PoolStatusWriter;
  private readonly config: ConfigSync;
  private readonly states = new Map<string, ServiceState>();
  private readonly references = new PoolReferences();
  /** Last known CIDR of each pool, so Services naming a deleted pool by CIDR are found too. */
  private readonly poolCidrs = new Map<string, string>();
  /** The spec each pool was last synced with, to tell spec changes from our own status writes. */
  private readonly poolSpecs = new Map<string, string>();
  private readyFlag = false;
  private workers: Promise<void>[] = [];

  constructor(options: ControllerOptions) {
    this.options = options;
    const { kubeconfig, logger } = options;
    const core = kubeconfig.makeApiClient(CoreV1Api);
    const custom = kubeconfig.makeApiClient(CustomObjectsApi);
    this.metrics = new ControllerMetrics({
      pools: () =>
        this.registry.poolSet.list().map((pool) => {
          const counts = pool.counts();
          return {
            pool: pool.name,
            family: pool.spec.family === 4 ? "IPv4" : "IPv6",
            ...counts,
            allocatable:
              this.registry.poolSet.isServing(pool.name) && !this.registry.views.get(pool.name)?.disabled,
          };
        }),
      servicesByState: () => {
        const counts: Record<string, number> = { allocated: 0, pending: 0, invalid: 0, unmanaged: 0 };
        for (const state of this.states.values()) counts[state] = (counts[state] ?? 0) + 1;
        return counts;
      },
      queueDepth: () => this.queue.length,
      workerPool: () => ({ queued: this.batcher.workers?.queueSize ?? 0, running: this.batcher.running }),
      leader: () => true,
    });
    this.rest = new RestClient(kubeconfig, Math.max(16, options.workers * 2));
    this.writer =
      options.writer ??
      new KubeClusterWriter(this.rest, new TokenBucket(options.qps, options.burst), (verb, resource, code) =>
        this.metrics.apiRequests.inc({ verb, resource, code: String(code) }),
      );
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
    const enqueue = (prefix: string) => (object: KubernetesObject) => {
      const meta = object.metadata ?? {};
      this.queue.add(
        prefix === SERVICE ? `${SERVICE}${meta.namespace}/${meta.name}` : `${prefix}${meta.name ?? ""}`,
      );
    };
    const informer = <T extends KubernetesObject>(
      resource: string,
      path: string,
      list: () => Promise<KubernetesListObject<T>>,
      prefix: string,
    ) => {
      const handler = enqueue(prefix);
      return new Informer<T>(kubeconfig, {
        resource,
        path,
        list,
        logger,
        watchTimeoutSeconds: options.watchTimeoutSeconds,
        onAdd: handler,
        onUpdate: handler,
        onDelete: handler,
      });
    };
    const listCustom =
      <T>(plural: string) =>
      () =>
        custom.listClusterCustomObject({ group: CALICO_GROUP, version: CALICO_VERSION, plural }) as Promise<
          KubernetesListObject<T & KubernetesObject>
        >;
    const calicoPath = (plural: string) => `/apis/${CALICO_GROUP}/${CALICO_VERSION}/${plural}`;
    this.services = informer(
      "services",
      "/api/v1/services",
      () => core.listServiceForAllNamespaces(),
      SERVICE,
    );
    this.namespaces = informer("namespaces", "/api/v1/namespaces", () => core.listNamespace(), NAMESPACE);
    this.pools = informer("ippools", calicoPath("ippools"), listCustom<IPPool>("ippools"), POOL);
    this.reservations = informer(
      "ipreservations",
      calicoPath("ipreservations"),
      listCustom<IPReservation>("ipreservations"),
      RESERVATIONS,
    );
    this.configs = informer(
      CONFIG_PLURAL,
      calicoPath(CONFIG_PLURAL),
      listCustom<KubeControllersConfiguration>(CONFIG_PLURAL),
      CONFIG,
    );
    const asService = this.services as unknown as Informer<Service & KubernetesObject>;
    const asNamespace = this.namespaces as unknown as Informer<Namespace & KubernetesObject>;
    this.config = new ConfigSync(this.configs, this.writer, logger);
    this.reconciler = new ServiceReconciler({
      services: asService,
      namespaces: { get: (name) => asNamespace.get(name) },
      registry: this.registry,
      ledger: this.ledger,
      waiting: this.waiting,
      config: () => ({ assignIPs: this.config.assignIPs, loadBalancerClass: options.loadBalancerClass }),
      writer: this.writer,
      recorder: this.recorder,
      metrics: this.metrics,
      batcher: this.batcher,
    });
    this.poolStatus = new PoolStatusWriter(
      this.pools,
      this.registry,
      this.writer,
      this.metrics,
      logger,
      options.poolStatusIntervalMs ?? 1000,
    );
  }

  private get informers() {
    return [this.services, this.namespaces, this.pools, this.reservations, this.configs];
  }

  /** Caches synced and state rebuilt: the controller may write. */
  get ready(): boolean {
    return this.readyFlag;
  }

  /** Starts the informers, waits for every cache, rebuilds state from the Services' status, then works. */
  async start(): Promise<void> {
    const { logger } = this.options;
    for (const informer of this.informers) informer.start();
    await Promise.all(this.informers.map((informer) => informer.synced));
    logger.info({}, "caches synced");
    for (const pool of this.pools.list()) this.syncPool(pool.metadata?.name ?? "");
    this.registry.setReservations(this.reservations.list());
    await this.config.sync();
    const rebuilt = rebuildLedger(this.services.list() as unknown as Service[], this.registry, this.ledger, {
      loadBalancerClass: this.options.loadBalancerClass,
    });
    for (const conflict of rebuilt.conflicts) {
      logger.warn(
        conflict,
        "two Services show one address; the older keeps it, the other will be reassigned",
      );
    }
    logger.info(
      { addresses: rebuilt.held, conflicts: rebuilt.conflicts.length },
      "state rebuilt from Service status",
    );
    this.readyFlag = true;
    for (const service of this.services.list()) {
      this.queue.add(`${SERVICE}${service.metadata?.namespace}/${service.metadata?.name}`);
    }
    this.workers = Array.from({ length: Math.max(1, this.options.workers) }, () => this.work());
  }

  async stop(): Promise<void> {
    this.queue.shutDown();
    await Promise.all(this.workers);
    this.poolStatus.stop();
    await Promise.all(this.informers.map((informer) => informer.stop()));
    await this.recorder.flush();
    await this.batcher.workers?.destroy();
    this.rest.close();
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const started = performance.now();
      let outcome = "done";
      try {
        await this.process(key);
        this.queue.forget(key);
      } catch (error) {
        outcome = "error";
        this.failed(key, error);
      } finally {
        this.queue.done(key);
        this.metrics.reconcileDuration.observe({ outcome }, (performance.now() - started) / 1000);
      }
    }
  }

  private failed(key: string, error: unknown): void {
    const status = (error as { status?: number }).status;
    const reason =
      status === 409 ? "conflict" : status === 404 ? "not_found" : status ? `http_${status}` : "error";
    this.metrics.reconcileErrors.inc({ reason });
    // A conflict means our cache is behind: the informer brings the new version, and the retry uses it.
    const log = status === 409 ? this.options.logger.debug : this.options.logger.warn;
    const object = key.startsWith(SERVICE) ? splitKey(key.slice(SERVICE.length)) : { name: key.slice(2) };
    log.call(
      this.options.logger,
      { ...object, err: error, retries: this.queue.failures(key) },
      "reconcile failed; retrying",
    );
    this.queue.addRateLimited(key);
  }

  private async process(key: string): Promise<void> {
    if (key.startsWith(SERVICE)) {
      const serviceKey = key.slice(SERVICE.length);
      const result = await this.reconciler.reconcile(serviceKey);
      if (result.state) this.states.set(serviceKey, result.state);
      else this.states.delete(serviceKey);
      this.references.set(serviceKey, this.referencesOf(serviceKey));
      if (result.freed) this.wakeWaiting();
      this.requestPoolStatuses();
      const since = this.waiting.longestWaitSince();
      this.metrics.pendingSince.set(since === undefined ? 0 : since / 1000);
    } else if (key.startsWith(POOL)) {
      const name = key.slice(POOL.length);
      const cidrBefore = this.poolCidrs.get(name);
      if (this.syncPool(name)) this.enqueueServicesOfPool(name, cidrBefore);
    } else if (key.startsWith(NAMESPACE)) {
      for (const service of this.services.list(key.slice(NAMESPACE.length))) {
        this.queue.add(`${SERVICE}${service.metadata?.namespace}/${service.metadata?.name}`);
      }
    } else if (key.startsWith(RESERVATIONS)) {
      for (const problem of this.registry.setReservations(this.reservations.list())) {
        this.options.logger.warn(problem, "reservation entry ignored");
      }
      this.wakeWaiting();
      this.requestPoolStatuses();
    } else if (key === `${CONFIG}${DEFAULT_CONFIGURATION_NAME}`) {
      if (await this.config.sync()) this.enqueueAllServices();
    }
  }

  /** Syncs one pool with its object; true when its spec (or existence) changed. */
  private syncPool(name: string): boolean {
    const object = this.pools.get(name);
    const fingerprint = object
      ? JSON.stringify([
          object.spec,
          object.metadata?.deletionTimestamp ?? null,
          object.metadata?.creationTimestamp,
        ])
      : undefined;
    this.poolStatus.request(name);
    if (fingerprint === this.poolSpecs.get(name)) return false;
    if (fingerprint === undefined) this.poolSpecs.delete(name);
    else this.poolSpecs.set(name, fingerprint);
    this.registry.sync(name, object);
    const cidr = this.registry.poolSet.get(name)?.spec.cidrText;
    if (cidr) this.poolCidrs.set(name, cidr);
    else if (!object) this.poolCidrs.delete(name);
    // Overlaps may have moved: every pool's condition may change.
    for (const other of this.registry.views.keys()) if (other !== name) this.poolStatus.request(other);
    return true;
  }

  /**
   * A pool changed: every waiting Service (it may now be served), oldest
   * first, then the Services holding its addresses or naming it.
   */
  private enqueueServicesOfPool(name: string, cidrBefore: string | undefined): void {
    this.wakeWaiting();
    const refs = [name, cidrBefore, this.poolCidrs.get(name)];
    for (const key of this.references.keysOf(...refs)) this.queue.add(`${SERVICE}${key}`);
  }

  /** The pools a Service holds addresses in, and the pool names or CIDRs its annotations ask for. */
  private referencesOf(key: string): string[] {
    const { namespace, name } = splitKey(key);
    const service = this.services.get(name, namespace) as unknown as Service | undefined;
    if (!service) return [];
    const held = this.ledger
      .holdings(key)
      .flatMap((h) => this.registry.poolSet.find(h.family, h.value)?.name ?? []);
    const asked = Object.values(parseServiceRequest(service).pools).flat();
    return [...held, ...asked];
  }

  private enqueueAllServices(): void {
    for (const service of this.services.list()) {
      this.queue.add(`${SERVICE}${service.metadata?.namespace}/${service.metadata?.name}`);
    }
  }

  private wakeWaiting(): void {
    for (const key of this.waiting.oldestFirst()) this.queue.add(`${SERVICE}${key}`);
  }

  private requestPoolStatuses(): void {
    for (const name of this.registry.views.keys()) this.poolStatus.request(name);
  }
}
