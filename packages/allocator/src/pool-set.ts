// Many pools: which one holds an address, which ones overlap, and which
// ones may serve. Two pools whose CIDRs overlap: the older (createdAt, then
// name) keeps serving; the newer is shadowed until the overlap is gone.
import { type Cidr, cidrsOverlap, type Family } from "./address.js";
import { DuplicatePoolError, UnknownPoolError } from "./errors.js";
import { AddressPool } from "./pool.js";
import type { PoolDefinition } from "./pool-spec.js";

function olderFirst(a: AddressPool, b: AddressPool): number {
  return a.spec.createdAt - b.spec.createdAt || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

export class PoolSet {
  private readonly pools = new Map<string, AddressPool>();
  /** Newer pool name -> name of the older pool it overlaps. */
  private shadowedBy = new Map<string, string>();
  /** Serving pools of each family, sorted by first address; their ranges are disjoint. */
  private serving: Record<Family, AddressPool[]> = { 4: [], 6: [] };
  private reservations: Cidr[] = [];

  /** Adds a pool (validated; throws InvalidPoolError or DuplicatePoolError). */
  add(definition: PoolDefinition): AddressPool {
    if (this.pools.has(definition.name)) throw new DuplicatePoolError(definition.name);
    const pool = AddressPool.create(definition);
    pool.setReservations(this.reservations);
    this.pools.set(pool.name, pool);
    this.resolveOverlaps();
    return pool;
  }

  /** Adds an existing pool (e.g. one attached from shared memory). */
  adopt(pool: AddressPool): void {
    if (this.pools.has(pool.name)) throw new DuplicatePoolError(pool.name);
    this.pools.set(pool.name, pool);
    this.resolveOverlaps();
  }

  /** Removes a pool and forgets its allocations. */
  remove(name: string): void {
    if (!this.pools.delete(name)) throw new UnknownPoolError(name);
    this.resolveOverlaps();
  }

  get(name: string): AddressPool | undefined {
    return this.pools.get(name);
  }

  /** Every pool, in name order. */
  list(): AddressPool[] {
    return [...this.pools.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** The older pool that keeps `name` from serving, if any. */
  overlappedBy(name: string): string | undefined {
    return this.shadowedBy.get(name);
  }

  /** Whether the pool may hand out addresses as far as overlaps go. */
  isServing(name: string): boolean {
    return this.pools.has(name) && !this.shadowedBy.has(name);
  }

  /** The serving pool holding `value`, found by binary search over disjoint ranges. */
  find(family: Family, value: bigint): AddressPool | undefined {
    const pools = this.serving[family];
    let low = 0;
    let high = pools.length - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const pool = pools[mid]!;
      if (value < pool.spec.cidr.base) high = mid - 1;
      else if (pool.contains(value)) return pool;
      else low = mid + 1;
    }
    return undefined;
  }

  /** Replaces the reserved CIDRs of every pool. */
  setReservations(cidrs: readonly Cidr[]): void {
    this.reservations = [...cidrs];
    for (const pool of this.pools.values()) pool.setReservations(this.reservations);
  }

  private resolveOverlaps(): void {
    const shadowedBy = new Map<string, string>();
    const serving: Record<Family, AddressPool[]> = { 4: [], 6: [] };
    for (const pool of [...this.pools.values()].sort(olderFirst)) {
      const list = serving[pool.spec.family];
      const at = insertionIndex(list, pool.spec.cidr.base);
      // Serving ranges are disjoint, so only the neighbours can overlap.
      const neighbour = [list[at - 1], list[at]].find(
        (other) => other !== undefined && cidrsOverlap(other.spec.cidr, pool.spec.cidr),
      );
      if (neighbour) shadowedBy.set(pool.name, neighbour.name);
      else list.splice(at, 0, pool);
    }
    this.shadowedBy = shadowedBy;
    this.serving = serving;
  }
}

function insertionIndex(pools: AddressPool[], base: bigint): number {
  let low = 0;
  let high = pools.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (pools[mid]!.spec.cidr.base < base) low = mid + 1;
    else high = mid;
  }
  return low;
}
