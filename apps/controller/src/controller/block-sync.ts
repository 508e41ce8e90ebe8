// A Calico IPAM block, from its object to the ledger (calico-records.ts in
// @lbipam/state): what it records now replaces what it recorded before, and
// the Services named by what came or went are reconciled (one shown nothing
// gets its recorded address; one whose record went may now be moved).
import { listSome } from "@lbipam/api";
import { type Ledger, type PoolRegistry, syncBlockRecords } from "@lbipam/state";
import type { CachedBlock } from "./cluster-caches.js";
import type { PoolStatusWriter } from "./pool-status.js";
import type { ReadCache } from "./read-cache.js";

export interface BlockSyncDeps {
  blocks: Pick<ReadCache<CachedBlock>, "get"> | undefined;
  registry: PoolRegistry;
  ledger: Ledger;
  /** The pool status writer of the current term. */
  poolStatus: () => Pick<PoolStatusWriter, "request">;
  logger: { warn(fields: object, message: string): void };
}

export class BlockSync {
  constructor(private readonly deps: BlockSyncDeps) {}

  /** True when the block records an address for a Service, or did when last synced: only then is its change worked on. */
  recordsOrRecorded(name: string): boolean {
    const reading = this.deps.blocks?.get(name)?.reading;
    return (
      (reading !== undefined && (reading.records.length > 0 || reading.problems.length > 0)) ||
      this.deps.ledger.recordsInBlock(name).length > 0
    );
  }

  /** Syncs one block with its object; the keys of the Services its change names, and whether an address went back. */
  sync(name: string): { services: readonly string[]; freed: boolean } {
    const { registry, ledger, logger } = this.deps;
    const reading = this.deps.blocks?.get(name)?.reading;
    if (reading && reading.problems.length > 0)
      logger.warn({ block: name, problems: listSome(reading.problems) }, "Calico IPAM block read in part");
    const change = syncBlockRecords(ledger, registry, name, reading?.records ?? []);
    for (const conflict of change.heldByOthers) {
      logger.warn(
        { block: name, ...conflict },
        "a Calico IPAM block records an address for another Service than the one of lbipam's holding it; that one is given another address",
      );
    }
    const poolStatus = this.deps.poolStatus();
    for (const record of [...ledger.recordsInBlock(name), ...change.freed.map((address) => ({ address }))]) {
      const pool = registry.poolSet.find(record.address.family, record.address.value);
      if (pool) poolStatus.request(pool.name);
    }
    return { services: change.services, freed: change.freed.length > 0 };
  }
}
