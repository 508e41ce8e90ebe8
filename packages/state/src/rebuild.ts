// State at start: every address shown in a served Service's status, in a
// known pool's range, is held again by that Service. Two Services showing one
// address: the older (creationTimestamp, then namespace/name) keeps it; the
// other is reassigned by its first reconcile, with a Warning.
//
// The ledger is filled here, on the caller's thread; the pools' claims are
// left as one allocator RebuildTask per pool, so a caller with many addresses
// can run them on its worker pool (the claims land in the pools' shared memory).
import { formatAddress, type RebuildTask } from "@lbipam/allocator";
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

/** Oldest first: creationTimestamp, then namespace/name. */
export function olderFirst(a: Service, b: Service): number {
  const ta = a.metadata.creationTimestamp ?? "";
  const tb = b.metadata.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = serviceKey(a);
  const kb = serviceKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** A LoadBalancer Service of the controller's class (or of none): its status addresses count as held. */
export function ofOurClass(service: Service, loadBalancerClass: string): boolean {
  // Kubernetes refuses an empty class, so "" can only come from a hand-made object: read it as unset.
  const cls = service.spec?.loadBalancerClass || undefined;
  return service.spec?.type === "LoadBalancer" && (cls === undefined || cls === loadBalancerClass);
}

export function rebuildLedger(
  services: readonly Service[],
  registry: PoolRegistry,
  ledger: Ledger,
  options: { loadBalancerClass: string },
): LedgerRebuild {
  const result: LedgerRebuild = { held: 0, conflicts: [], tasks: [] };
  const claims = new Map<string, RebuildTask>();
  // Services of another class are never touched, so their addresses are not ours to hold.
  const ours = services
    .filter((service) => ofOurClass(service, options.loadBalancerClass))
    .map((service) => ({
      service,
      created: service.metadata.creationTimestamp ?? "",
      key: serviceKey(service),
    }));
  // olderFirst's order, with each Service's key built once rather than in every comparison.
  ours.sort((a, b) =>
    a.created !== b.created ? (a.created < b.created ? -1 : 1) : a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
  );
  for (const { service, key } of ours) {
    for (const entry of service.status?.loadBalancer?.ingress ?? []) {
      const address = parseIngressAddress(entry);
      if (!address) continue;
      const pool = registry.poolSet.find(address.family, address.value);
      if (!pool) continue;
      const holder = ledger.holderOf(address);
      if (holder !== undefined && holder !== key) {
        result.conflicts.push({ address: entry.ip ?? "", keptBy: holder, lostBy: key });
        continue;
      }
      const text = formatAddress(address.family, address.value);
      if (!ledger.hold(key, address, text)) continue;
      result.held++;
      let task = claims.get(pool.name);
      if (!task) {
        task = { kind: "rebuild", pool: pool.shared(), addresses: [] };
        claims.set(pool.name, task);
      }
      task.addresses.push(text);
    }
  }
  result.tasks = [...claims.values()];
  return result;
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
