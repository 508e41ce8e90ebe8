// The controller's Prometheus metrics, on a registry of its own (so two
// controllers in one process, as in tests, do not collide). Gauges that
// mirror state are computed at scrape time from counts the allocator keeps
// incrementally, so a scrape never scans a pool.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** Timer period of the event-loop delay monitor; what it records beyond this is delay. */
const LOOP_RESOLUTION_MS = 5;

export interface PoolSample {
  pool: string;
  family: "IPv4" | "IPv6";
  total: number;
  allocated: number;
  reserved: number;
  free: number;
  /** Addresses of the pool shown by Services lbipam does not manage (held for them). */
  foreign: number;
  allocatable: boolean;
}

export interface MetricsSources {
  pools(): PoolSample[];
  /** Services by state: allocated, pending, invalid (bad annotations), unmanaged. */
  servicesByState(): Record<string, number>;
  queueDepth(): number;
  workerPool(): { queued: number; running: number };
  leader(): boolean;
  /** The cluster's shape (behaviour.md "Calico clusters"): lbipam, calico-v3 or calico-v1. */
  clusterShape(): string;
  /** Calico's own LoadBalancer controller runs (behaviour.md "Calico clusters"). */
  calicoControllerActive(): boolean;
}

export class ControllerMetrics {
  readonly registry = new Registry();
  readonly allocations: Counter<"pool" | "family">;
  readonly releases: Counter<"pool" | "family">;
  readonly reconcileDuration: Histogram<"outcome">;
  readonly reconcileErrors: Counter<"reason">;
  readonly statusWrites: Counter<"resource">;
  readonly apiRequests: Counter<"verb" | "resource" | "code">;
  readonly informerRestarts: Counter<"resource">;
  readonly workerTasks: Counter<"kind" | "outcome">;
  readonly stateRebuilds: Counter<"phase">;
  readonly pendingSince: Gauge;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "lbipam_" });
    // prom-client also exports these gauges under a "_total" name, which Prometheus
    // reserves for counters (promtool check metrics refuses them); the unsuffixed
    // twins (lbipam_nodejs_active_handles, ...) stay.
    for (const name of ["active_handles_total", "active_requests_total", "active_resources_total"]) {
      this.registry.removeSingleMetric(`lbipam_nodejs_${name}`);
    }
    const poolGauge = (name: string, help: string, pick: (s: PoolSample) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ["pool", "family"],
        registers,
        collect() {
          this.reset();
          for (const sample of sources.pools())
            this.set({ pool: sample.pool, family: sample.family }, pick(sample));
        },
      });
    poolGauge("lbipam_pool_size_addresses", "Addresses in the pool.", (s) => s.total);
    poolGauge(
      "lbipam_pool_allocated_addresses",
      "Addresses of the pool held by Services.",
      (s) => s.allocated,
    );
    poolGauge(
      "lbipam_pool_reserved_addresses",
      "Addresses of the pool covered by IPReservations.",
      (s) => s.reserved,
    );
    poolGauge(
      "lbipam_pool_free_addresses",
      "Addresses of the pool automatic allocation can still hand out.",
      (s) => s.free,
    );
    poolGauge(
      "lbipam_foreign_addresses",
      "Addresses of the pool shown by Services lbipam does not manage: held for them, never handed out.",
      (s) => s.foreign,
    );
    poolGauge(
      "lbipam_pool_allocatable",
      "1 if the pool may hand out addresses (condition Allocatable=True).",
      (s) => (s.allocatable ? 1 : 0),
    );
    new Gauge({
      name: "lbipam_services",
      help: "LoadBalancer Services by state (allocated, pending, invalid, unmanaged).",
      labelNames: ["state"],
      registers,
      collect() {
        this.reset();
        for (const [state, count] of Object.entries(sources.servicesByState())) this.set({ state }, count);
      },
    });
    new Gauge({
      name: "lbipam_workqueue_depth",
      help: "Services waiting in the work queue.",
      registers,
      collect() {
        this.set(sources.queueDepth());
      },
    });
    new Gauge({
      name: "lbipam_worker_pool_tasks",
      help: "Allocator worker-pool tasks by state (queued, running).",
      labelNames: ["state"],
      registers,
      collect() {
        const { queued, running } = sources.workerPool();
        this.set({ state: "queued" }, queued);
        this.set({ state: "running" }, running);
      },
    });
    new Gauge({
      name: "lbipam_leader",
      help: "1 if this instance leads (and writes), 0 if it stands by.",
      registers,
      collect() {
        this.set(sources.leader() ? 1 : 0);
      },
    });
    new Gauge({
      name: "lbipam_cluster_shape",
      help: "1 for the kind of cluster found at start: lbipam (its own CRDs), calico-v3 or calico-v1 (writes nothing Calico owns).",
      labelNames: ["shape"],
      registers,
      collect() {
        this.reset();
        this.set({ shape: sources.clusterShape() }, 1);
      },
    });
    new Gauge({
      name: "lbipam_calico_loadbalancer_controller_active",
      help: "1 while Calico's own LoadBalancer controller runs: lbipam then serves only Services of its own class.",
      registers,
      collect() {
        this.set(sources.calicoControllerActive() ? 1 : 0);
      },
    });
    // The default nodejs_eventloop_lag_* gauges include the monitor's 10 ms timer period;
    // this one is the delay alone, over the time since the previous scrape.
    const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    loop.enable();
    new Gauge({
      name: "lbipam_event_loop_delay_p99_seconds",
      help: "99th percentile of how late the event loop ran timers, since the previous scrape.",
      registers,
      collect() {
        const p99 = loop.count > 0 ? loop.percentile(99) / 1e9 - LOOP_RESOLUTION_MS / 1000 : 0;
        this.set(Math.max(0, p99));
        loop.reset();
      },
    });
    this.pendingSince = new Gauge({
      name: "lbipam_oldest_pending_service_timestamp_seconds",
      help: "Unix time since which the longest-waiting Service has been pending (0 when none is).",
      registers,
    });
    this.allocations = new Counter({
      name: "lbipam_allocations_total",
      help: "Addresses given to Services.",
      labelNames: ["pool", "family"],
      registers,
    });
    this.releases = new Counter({
      name: "lbipam_releases_total",
      help: "Addresses taken back from Services.",
      labelNames: ["pool", "family"],
      registers,
    });
    this.reconcileDuration = new Histogram({
      name: "lbipam_reconcile_duration_seconds",
      help: "Time to reconcile one Service, status write included.",
      labelNames: ["outcome"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: "lbipam_reconcile_errors_total",
      help: "Reconciles that failed and were retried, by reason.",
      labelNames: ["reason"],
      registers,
    });
    this.statusWrites = new Counter({
      name: "lbipam_status_writes_total",
      help: "Status writes made, by resource.",
      labelNames: ["resource"],
      registers,
    });
    this.apiRequests = new Counter({
      name: "lbipam_api_requests_total",
      help: "Write requests to the Kubernetes API, by verb, resource and HTTP code (0 when no answer came).",
      labelNames: ["verb", "resource", "code"],
      registers,
    });
    this.informerRestarts = new Counter({
      name: "lbipam_informer_restarts_total",
      help: "Restarts of a list/watch after an error or a silent watch.",
      labelNames: ["resource"],
      registers,
    });
    this.workerTasks = new Counter({
      name: "lbipam_worker_pool_tasks_total",
      help: "Allocator tasks run, by kind and where (worker, inline).",
      labelNames: ["kind", "outcome"],
      registers,
    });
    this.stateRebuilds = new Counter({
      name: "lbipam_state_rebuilds_total",
      help: "Rebuilds of the held addresses from Service status: on taking the lead, or ahead of it while standing by.",
      labelNames: ["phase"],
      registers,
    });
  }
}
