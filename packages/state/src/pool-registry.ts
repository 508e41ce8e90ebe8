// The allocator's view of the cluster's IPPools and IPReservations: keeps the
// PoolSet (every pool with a usable CIDR, so overlaps are seen whatever the
// pools are for) in line with the objects, and the PoolView of each.
import { type AddressPool, PoolSet } from "@lbipam/allocator";
import { type IPPool, type IPReservation, type PoolView, reservedCidrs, toPoolView } from "@lbipam/api";

export class PoolRegistry {
  readonly poolSet = new PoolSet();
  readonly views = new Map<string, PoolView>();

  /**
   * Brings one pool in line with its object (undefined when deleted). Returns
   * the storage it dropped, if any (deleted, or its CIDR or block size changed).
   */
  sync(name: string, object: IPPool | undefined): AddressPool | undefined {
    const current = this.poolSet.get(name);
    if (!object) {
      this.views.delete(name);
      if (current) this.poolSet.remove(name);
      return current;
    }
    const view = toPoolView(object);
    this.views.set(name, view);
    const definition = view.definition;
    const same =
      current !== undefined &&
      definition !== undefined &&
      current.spec.cidr.base === view.cidr?.base &&
      current.spec.cidr.prefixLength === view.cidr?.prefixLength &&
      // The validated block size: an unset one means the family's default, not a change.
      current.spec.blockSize === view.blockSize;
    if (same) return undefined;
    if (current) this.poolSet.remove(name);
    if (definition) this.poolSet.add(definition);
    return current;
  }

  /** Applies every reservation; returns a line for each entry that could not be read. */
  setReservations(reservations: readonly IPReservation[]): string[] {
    const { cidrs, problems } = reservedCidrs(reservations);
    this.poolSet.setReservations(cidrs);
    return problems;
  }
}
