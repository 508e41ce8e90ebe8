// What the controller holds in memory about addresses, for one term of
// leadership: the ledger and the pool registry, rebuilt from the Services'
// status when it leads (or prepares to), dropped when it stands by, and
// sampled for the pool gauges.
import { type BlockReading, listSome } from "@lbipam/api";
import {
  foreignByPool,
  forgetForeign,
  forgetRecords,
  Ledger,
  type LedgerRebuild,
  PoolRegistry,
  rebuildLedgerInTurns,
  releaseAll,
} from "@lbipam/state";
import type { AllocationBatcher } from "./allocation-batcher.js";
import type { CachedService } from "./cluster-caches.js";
import type { ControllerMetrics, PoolSample } from "./metrics.js";

export interface AllocationStateDeps {
  loadBalancerClass: string;
  batcher: AllocationBatcher;
  metrics: ControllerMetrics;
  logger: {
    info(fields: object, message: string): void;
    warn(fields: object, message: string): void;
    error(fields: object, message: string): void;
  };
  /** A turn of the event loop between rebuild steps, when one is due. */
  turn: () => Promise<void> | undefined;
  /** What Calico's IPAM blocks record now (calico-records.ts in @lbipam/state). */
  calicoRecords: () => BlockReading;
}

export class AllocationState {
  readonly ledger = new Ledger();
  readonly registry = new PoolRegistry();

  constructor(private readonly deps: AllocationStateDeps) {}

  /**
   * The ledger and the pools' claims from the Services' status. In turns, as
   * reconciles are: 100,000 Services would otherwise hold the event loop for seconds.
   */
  async rebuild(services: readonly CachedService[], phase: "takeover" | "standby"): Promise<LedgerRebuild> {
    const { logger } = this.deps;
    const calico = this.deps.calicoRecords();
    if (calico.problems.length > 0)
      logger.warn({ problems: listSome(calico.problems) }, "Calico IPAM blocks read in part");
    if (calico.records.length > 0)
      logger.info(
        { addresses: calico.records.length },
        "addresses Calico's LoadBalancer controller recorded in its IPAM blocks: each kept for its Service, given to no other",
      );
    const rebuilt = await rebuildLedgerInTurns(
      services,
      this.registry,
      this.ledger,
      { loadBalancerClass: this.deps.loadBalancerClass, records: calico.records },
      this.deps.turn,
    );
    for (const conflict of rebuilt.conflicts) {
      logger.warn(
        conflict,
        "two Services show one address; the older keeps it, the other will be reassigned",
      );
    }
    for (const conflict of rebuilt.recordedConflicts) {
      logger.warn(
        conflict,
        "a Service shows an address a Calico IPAM block records for another Service; it will be reassigned",
      );
    }
    for (const conflict of rebuilt.foreignConflicts) {
      logger.warn(
        conflict,
        "a Service lbipam does not manage shows an address one of its Services holds; left with that Service",
      );
    }
    if (rebuilt.foreign > 0) {
      logger.info(
        { addresses: rebuilt.foreign },
        "addresses shown by Services lbipam does not manage: held for them, never given to another",
      );
    }
    for (const claimed of await this.deps.batcher.rebuild(rebuilt.tasks)) {
      // The ledger holds each address once and the pools start empty, so this means a bug: say so.
      for (const address of claimed.duplicates) logger.error({ address }, "address claimed twice in rebuild");
      for (const problem of claimed.invalid) logger.error(problem, "address not claimed in rebuild");
    }
    this.deps.metrics.stateRebuilds.inc({ phase });
    return rebuilt;
  }

  /** Forgets every address held in memory: the ledger (foreign and Calico-recorded addresses too) and the pools' claims. */
  dropAll(): void {
    const { ledger, registry } = this;
    for (const key of [...ledger.keys()]) releaseAll(key, ledger, registry.poolSet);
    for (const { key } of [...ledger.foreign()]) forgetForeign(ledger, registry, key);
    forgetRecords(ledger, registry.poolSet);
  }

  /** One sample per pool for the pool gauges, from counts the allocator keeps. */
  poolSamples(): PoolSample[] {
    const { poolSet, views } = this.registry;
    const foreign = foreignByPool(this.ledger, poolSet);
    return poolSet.list().map((pool) => {
      const counts = pool.counts();
      return {
        pool: pool.name,
        family: pool.spec.family === 4 ? "IPv4" : "IPv6",
        // Gauges are floats: exact counts past 2^53 round, as Prometheus would store them anyway.
        total: Number(counts.total),
        allocated: counts.allocated,
        reserved: Number(counts.reserved),
        free: Number(counts.free),
        foreign: foreign.get(pool.name)?.length ?? 0,
        allocatable: poolSet.isServing(pool.name) && !views.get(pool.name)?.disabled,
      };
    });
  }
}
