// State at start: every address shown in a served Service's status, in a
// known pool's range, is held again by that Service. Two Services showing one
// address: the older (creationTimestamp, then namespace/name) keeps it; the
// other is reassigned by its first reconcile, with a Warning.
//
// The ledger is filled here, on the caller's thread; the pools' claims are
// left as one allocator RebuildTask per pool, so a caller with many addresses
// can run them on its worker pool (the claims land in the pools' shared memory).
import { type Address, type AddressPool, formatAddress, type RebuildTask } from "@lbipam/allocator";
import { parseIngressAddress, type Service, serviceKey } from "@lbipam/api";
import type { Ledger } from "./ledger.js";
import type { PoolRegistry } from "./pool-registry.js";

export interface RebuildConflict {
  address: string;
  keptBy: string;
  lostBy: string;
}

export interface LedgerRebuild {
  /** Addresses now held in the ledger. */
  held: number;
  conflicts: RebuildConflict[];
  /** The pools' claims still to make: run each with the allocator's runAllocatorTask. */
  tasks: RebuildTask[];
}

export function conflictMessage(conflict: RebuildConflict): string {
  return `${conflict.address} is in the status of both ${conflict.keptBy} and ${conflict.lostBy}; the older, ${conflict.keptBy}, keeps it`;
}

/** A Service's age rank: creationTimestamp, then namespace/name breaks ties. */
interface Age {
  created: string;
  key: string;
}

/** Negative when `a` is older: the one rule of who keeps an address. */
function byAge(a: Age, b: Age): number {
  if (a.created !== b.created) return a.created < b.created ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

const ageOf = (service: Service): Age => ({
  created: service.metadata.creationTimestamp ?? "",
  key: serviceKey(service),
});

/** Oldest first: creationTimestamp, then namespace/name. */
export function olderFirst(a: Service, b: Service): number {
  return byAge(ageOf(a), ageOf(b));
}

/** A LoadBalancer Service of the controller's class (or of none): its status addresses count as held. */
export function ofOurClass(service: Service, loadBalancerClass: string): boolean {
  // Kubernetes refuses an empty class, so "" can only come from a hand-made object: read it as unset.
  const cls = service.spec?.loadBalancerClass || undefined;
  return service.spec?.type === "LoadBalancer" && (cls === undefined || cls === loadBalancerClass);
}

/** An address found in a Service's status, in a known pool. */
interface Found extends Age {
  address: Address;
  pool: AddressPool;
}

/**
 * The rebuild, one Service per step, so a caller with 100,000 of them can give
 * the event loop turns between steps. Two passes, no sort: the first finds the
 * oldest Service showing each address, the second holds each address for it
 * and records every other Service showing it as a conflict.
 */
export function* rebuildSteps(
  services: readonly Service[],
  registry: PoolRegistry,
  ledger: Ledger,
  options: { loadBalancerClass: string },
): Generator<void, LedgerRebuild> {
  const found: Found[] = [];
  const oldest: { 4: Map<number, Found>; 6: Map<bigint, Found> } = { 4: new Map(), 6: new Map() };
  for (const service of services) {
    // Services of another class are never touched, so their addresses are not ours to hold.
    if (!ofOurClass(service, options.loadBalancerClass)) continue;
    const key = serviceKey(service);
    const created = service.metadata.creationTimestamp ?? "";
    for (const entry of service.status?.loadBalancer?.ingress ?? []) {
      const address = parseIngressAddress(entry);
      if (!address) continue;
      const pool = registry.poolSet.find(address.family, address.value);
      if (!pool) continue;
      const one: Found = { key, created, address, pool };
      found.push(one);
      if (address.family === 4) {
        const at = Number(address.value);
        const best = oldest[4].get(at);
        if (!best || byAge(one, best) < 0) oldest[4].set(at, one);
      } else {
        const best = oldest[6].get(address.value);
        if (!best || byAge(one, best) < 0) oldest[6].set(address.value, one);
      }
    }
    yield;
  }
  const result: LedgerRebuild = { held: 0, conflicts: [], tasks: [] };
  const claims = new Map<AddressPool, RebuildTask>();
  for (const one of found) {
    const { key, address, pool } = one;
    const best = address.family === 4 ? oldest[4].get(Number(address.value)) : oldest[6].get(address.value);
    const text = formatAddress(address.family, address.value);
    if (best && best.key !== key) {
      result.conflicts.push({ address: text, keptBy: best.key, lostBy: key });
      continue;
    }
    // Listed twice by one Service: held once.
    if (ledger.holderOf(address) === key || !ledger.hold(key, address, text)) continue;
    result.held++;
    let task = claims.get(pool);
    if (!task) {
      task = { kind: "rebuild", pool: pool.shared(), addresses: [] };
      claims.set(pool, task);
    }
    task.addresses.push(text);
    yield;
  }
  result.tasks = [...claims.values()];
  return result;
}

/** The whole rebuild at once (offline, or few Services). */
export function rebuildLedger(
  services: readonly Service[],
  registry: PoolRegistry,
  ledger: Ledger,
  options: { loadBalancerClass: string },
): LedgerRebuild {
  const steps = rebuildSteps(services, registry, ledger, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** The rebuild, waiting for `turn()` between steps whenever it gives a promise. */
export async function rebuildLedgerInTurns(
  services: readonly Service[],
  registry: PoolRegistry,
  ledger: Ledger,
  options: { loadBalancerClass: string },
  turn: () => Promise<void> | undefined,
): Promise<LedgerRebuild> {
  const steps = rebuildSteps(services, registry, ledger, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    const waiting = turn();
    if (waiting) await waiting;
  }
}

/**
 * Claims again, in the pool that now serves it, every address the ledger
 * holds: after a pool's storage was replaced (its CIDR or block size
 * changed), so the new storage never hands out an address still held.
 * Returns how many were claimed.
 */
export function reclaimHoldings(ledger: Ledger, registry: PoolRegistry): number {
  let claimed = 0;
  for (const key of ledger.keys()) {
    for (const holding of ledger.holdings(key)) {
      const pool = registry.poolSet.find(holding.family, holding.value);
      if (pool && !pool.isAllocated(holding.value) && pool.claim(holding.value)) claimed++;
    }
  }
  return claimed;
}
