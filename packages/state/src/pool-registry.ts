// The allocator's view of the cluster's IPPools and IPReservations: keeps the
// PoolSet (every pool with a usable CIDR, so overlaps are seen whatever the
// pools are for) in line with the objects, and the PoolView of each, and
// says what a pool's sync changed.
import { PoolSet } from "@lbipam/allocator";
import {
  type IPPool,
  type IPReservation,
  ownAnnotations,
  type PoolView,
  reservedCidrs,
  toPoolView,
} from "@lbipam/api";

/** What syncing one pool changed. */
export interface PoolChange {
  /** Its spec, deletionTimestamp or existence changed (a status-only change is not one). */
  changed: boolean;
  /**
   * Its storage was created, replaced (CIDR or block size changed) or
   * dropped: new storage starts empty, so held addresses must be claimed again.
   */
  storageReplaced: boolean;
  /** The CIDR it served before the sync and after it (canonical text), if any. */
  cidrBefore: string | undefined;
  cidrAfter: string | undefined;
}

export class PoolRegistry {
  readonly poolSet = new PoolSet();
  readonly views = new Map<string, PoolView>();
  /** What of each pool object a sync reads, as one string: the same string, nothing to do. */
  private readonly fingerprints = new Map<string, string>();
  /** The CIDR each pool served at its last sync: a CIDR change must reach the Services of the old range. */
  private readonly cidrs = new Map<string, string>();

  /** Brings one pool in line with its object (undefined when deleted). */
  sync(name: string, object: IPPool | undefined): PoolChange {
    const cidrBefore = this.cidrs.get(name);
    const fingerprint = object
      ? JSON.stringify([
          object.spec,
          object.metadata?.deletionTimestamp ?? null,
          object.metadata?.creationTimestamp,
          // lbipam's own pool annotations (lbipam.io/..., also in Calico's v1 metadata) change how the pool serves too.
          ownAnnotations(object.metadata),
        ])
      : undefined;
    if (fingerprint === this.fingerprints.get(name)) {
      return { changed: false, storageReplaced: false, cidrBefore, cidrAfter: cidrBefore };
    }
    if (fingerprint === undefined) this.fingerprints.delete(name);
    else this.fingerprints.set(name, fingerprint);

    const current = this.poolSet.get(name);
    if (!object) {
      this.views.delete(name);
      if (current) this.poolSet.remove(name);
    } else {
      const view = toPoolView(object);
      this.views.set(name, view);
      const same =
        current !== undefined &&
        view.definition !== undefined &&
        current.spec.cidr.base === view.cidr?.base &&
        current.spec.cidr.prefixLength === view.cidr?.prefixLength &&
        // The validated block size: an unset one means the family's default, not a change.
        current.spec.blockSize === view.blockSize &&
        current.spec.avoidBuggyIps === (view.definition.avoidBuggyIps === true);
      if (!same) {
        if (current) this.poolSet.remove(name);
        if (view.definition) this.poolSet.add(view.definition);
      }
    }
    const cidrAfter = this.poolSet.get(name)?.spec.cidrText;
    if (cidrAfter) this.cidrs.set(name, cidrAfter);
    else if (!object) this.cidrs.delete(name);
    return { changed: true, storageReplaced: this.poolSet.get(name) !== current, cidrBefore, cidrAfter };
  }

  /** Applies every reservation; returns a line for each entry that could not be read. */
  setReservations(reservations: readonly IPReservation[]): string[] {
    const { cidrs, problems } = reservedCidrs(reservations);
    this.poolSet.setReservations(cidrs);
    return problems;
  }
}
