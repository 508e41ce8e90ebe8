// A standby's head start: the state rebuilt while the leader has gone quiet,
// kept for the takeover as long as it still holds. It holds when every
// Service changed since reads the same to a rebuild (rebuildReading: class,
// creation time, status addresses) and no IPPool changed (which pool an
// address falls in is part of what the rebuild read).
import type { Service } from "@lbipam/api";
import { type LedgerRebuild, rebuildReading } from "@lbipam/state";

/** Changed Services beyond which a prepared rebuild is dropped rather than checked. */
export const PREPARED_CHANGE_LIMIT = 1000;

interface Prepared {
  /** The Services as the rebuild read them. */
  services: readonly Service[];
  /** Keys of the Services changed since. */
  changed: Set<string>;
  /** Undefined while the rebuild runs. */
  rebuilt: LedgerRebuild | undefined;
  /** False once a pool changed, or too many Services did to be worth checking. */
  usable: boolean;
}

export class PreparedTakeover {
  private prepared: Prepared | undefined;

  /** A prepared state is there (or being made) and still worth using. */
  get usable(): boolean {
    return this.prepared?.usable === true;
  }

  get exists(): boolean {
    return this.prepared !== undefined;
  }

  /**
   * Prepares from the Services as they are now; `rebuild` makes the state.
   * Changes noted while it runs count too.
   */
  async prepare(
    services: readonly Service[],
    rebuild: (services: readonly Service[]) => Promise<LedgerRebuild>,
  ) {
    const prepared: Prepared = { services, changed: new Set(), rebuilt: undefined, usable: true };
    this.prepared = prepared;
    prepared.rebuilt = await rebuild(services);
    return prepared.rebuilt;
  }

  noteServiceChange(key: string): void {
    const prepared = this.prepared;
    if (!prepared?.usable) return;
    prepared.changed.add(key);
    if (prepared.changed.size > PREPARED_CHANGE_LIMIT) prepared.usable = false;
  }

  notePoolChange(): void {
    if (this.prepared) this.prepared.usable = false;
  }

  /** Forgets the prepared state; true if there was one. */
  drop(): boolean {
    const had = this.prepared !== undefined;
    this.prepared = undefined;
    return had;
  }

  /**
   * The prepared rebuild, if it still holds against the Services as `now`
   * reads them; `stale` is told the first key that no longer reads the same.
   * Either way it is taken: the next standby prepares afresh.
   */
  take(
    now: (key: string) => Service | undefined,
    loadBalancerClass: string,
    stale: (key: string) => void,
  ): LedgerRebuild | undefined {
    const prepared = this.prepared;
    this.prepared = undefined;
    if (!prepared?.rebuilt || !prepared.usable) return undefined;
    const then = new Map<string, Service>();
    if (prepared.changed.size > 0) {
      for (const service of prepared.services) {
        const key = `${service.metadata.namespace ?? ""}/${service.metadata.name ?? ""}`;
        if (prepared.changed.has(key)) then.set(key, service);
      }
    }
    for (const key of prepared.changed) {
      if (rebuildReading(then.get(key), loadBalancerClass) !== rebuildReading(now(key), loadBalancerClass)) {
        stale(key);
        return undefined;
      }
    }
    return prepared.rebuilt;
  }
}
