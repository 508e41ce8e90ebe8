// IPPool status (the Allocatable condition and utilisation counts) kept
// current without a write storm: at most one write per pool per interval,
// and none when nothing changed.
import {
  type IPPool,
  type IPPoolStatus,
  kubeNow,
  type PoolView,
  poolAddresses,
  poolCondition,
  setCondition,
} from "@lbipam/api";
import type { PoolRegistry } from "@lbipam/state";
import type { ClusterWriter } from "./cluster-writer.js";
import type { ControllerMetrics } from "./metrics.js";
import type { ReadCache } from "./read-cache.js";
import { sameJson } from "./same-json.js";

export interface PoolStatusLogger {
  warn(fields: object, message: string): void;
}

export class PoolStatusWriter {
  private readonly lastWrite = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;
  /** Pools asked for while held: their claims are being rebuilt, so their counts are not yet true. */
  private held: Set<string> | undefined;

  constructor(
    private readonly pools: ReadCache<IPPool>,
    private readonly registry: PoolRegistry,
    private readonly writer: ClusterWriter,
    private readonly metrics: ControllerMetrics,
    private readonly logger: PoolStatusLogger,
    private readonly intervalMs = 1000,
    /** False in a Calico cluster: the pools are Calico's, and their status is never written. */
    private readonly owns = true,
  ) {}

  /** Asks for the pool's status to be brought up to date, soon but at most once per interval. */
  request(name: string): void {
    if (!this.owns) return;
    if (this.held) {
      this.held.add(name);
      return;
    }
    if (this.stopped || this.timers.has(name)) return;
    const wait = Math.max(0, (this.lastWrite.get(name) ?? 0) + this.intervalMs - Date.now());
    const timer = setTimeout(() => {
      this.timers.delete(name);
      this.write(name).catch((error: unknown) => {
        this.logger.warn({ pool: name, err: error }, "could not write pool status; will retry");
        this.request(name);
      });
    }, wait);
    timer.unref();
    this.timers.set(name, timer);
  }

  /** Defers every write until resume(), e.g. while a start-up rebuild is claiming addresses. */
  hold(): void {
    this.held ??= new Set();
  }

  resume(): void {
    const names = this.held ?? [];
    this.held = undefined;
    for (const name of names) this.request(name);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /** The status the pool should show now. */
  desired(object: IPPool, view: PoolView): IPPoolStatus {
    const condition = poolCondition(view, { overlappedBy: this.registry.poolSet.overlappedBy(view.name) });
    const status: IPPoolStatus = {
      conditions: setCondition(
        object.status?.conditions,
        condition.type,
        condition,
        kubeNow(),
        object.metadata.generation,
      ),
    };
    if (view.blockSize !== undefined) status.blockSize = view.blockSize;
    const pool = this.registry.poolSet.get(view.name);
    if (pool) status.addresses = poolAddresses(view, pool.counts());
    return status;
  }

  private async write(name: string): Promise<void> {
    const object = this.pools.get(name);
    const view = this.registry.views.get(name);
    // A pool lbipam does not serve is not lbipam's to write: Calico's IP
    // allocation (v3.32, libcalico-go lib/clientv3 ipam) skips every pool whose
    // Allocatable condition is False, so writing it on a Workload pool would stop pod networking.
    if (!object || !view?.loadBalancer) return;
    const status = this.desired(object, view);
    if (sameJson(status, object.status ?? {})) return;
    this.lastWrite.set(name, Date.now());
    await this.writer.patchClusterObjectStatus("ippools", name, status);
    this.metrics.statusWrites.inc({ resource: "ippools" });
  }
}
