// A pool, from its IPPool object to the allocator and on to what it affects:
// the registry brought in line (new storage claims again what Services hold),
// every pool's status asked for when overlaps may have moved, and the
// Services a change can affect (those holding the pool's addresses or naming
// it, by name or by its CIDR before and after).
import type { IPPool } from "@lbipam/api";
import { type Ledger, type PoolChange, type PoolRegistry, reclaimHoldings } from "@lbipam/state";
import type { PoolReferences } from "./pool-references.js";
import type { PoolStatusWriter } from "./pool-status.js";
import type { ReadCache } from "./read-cache.js";

export interface PoolSyncDeps {
  pools: ReadCache<IPPool> & { list(): readonly IPPool[] };
  registry: PoolRegistry;
  ledger: Ledger;
  references: PoolReferences;
  /** The pool status writer of the current term. */
  poolStatus: () => Pick<PoolStatusWriter, "request">;
}

export class PoolSync {
  constructor(private readonly deps: PoolSyncDeps) {}

  /** Every pool object, and every pool the registry knows whose object is gone. */
  syncAll(): void {
    const { pools, registry } = this.deps;
    for (const pool of pools.list()) this.sync(pool.metadata?.name ?? "");
    for (const name of [...registry.views.keys()]) if (!pools.get(name)) this.sync(name);
  }

  /** Syncs one pool with its object; returns the keys of the Services the change may affect. */
  sync(name: string): { change: PoolChange; services: ReadonlySet<string> } {
    const { registry, ledger, references } = this.deps;
    const poolStatus = this.deps.poolStatus();
    poolStatus.request(name);
    const change = registry.sync(name, this.deps.pools.get(name));
    if (!change.changed) return { change, services: new Set() };
    // New storage starts empty, and a pool gone may leave its range to an overlapping one:
    // the addresses Services still hold are taken again wherever they now fall.
    if (change.storageReplaced) reclaimHoldings(ledger, registry);
    // Overlaps may have moved: every pool's condition may change.
    for (const other of registry.views.keys()) if (other !== name) poolStatus.request(other);
    return { change, services: references.keysOf(name, change.cidrBefore, change.cidrAfter) };
  }

  /** Every pool's status may have changed (a reservation did). */
  requestAllStatuses(): void {
    const poolStatus = this.deps.poolStatus();
    for (const name of this.deps.registry.views.keys()) poolStatus.request(name);
  }
}
