// Addresses shown by Services lbipam does not manage (another
// loadBalancerClass, another controller, a hand-written status): held in
// the ledger as foreign and claimed in their pools, so they are never given
// to a second Service, and never written or released by lbipam.
import { type Address, formatAddress, type PoolSet } from "@lbipam/allocator";
import { parseIngressAddress, type Service } from "@lbipam/api";
import { claimHeld } from "./carry-out.js";
import type { Holding, Ledger } from "./ledger.js";
import type { PoolRegistry } from "./pool-registry.js";

export interface ForeignChange {
  /** Addresses the Service shows that were not held for it before. */
  added: string[];
  /** Addresses held for it before that it no longer shows: free again. */
  removed: Holding[];
  /** Addresses it shows that one of lbipam's Services holds: left with that Service. */
  heldByOthers: { address: string; holder: string }[];
}

/** Forgets what the Service showed, giving the pools' claims back. */
export function forgetForeign(ledger: Ledger, registry: PoolRegistry, key: string): Holding[] {
  const dropped = ledger.dropForeign(key);
  for (const holding of dropped) {
    if (ledger.holderOf(holding) !== undefined) continue;
    registry.poolSet.find(holding.family, holding.value)?.release(holding.value);
  }
  return dropped;
}

/**
 * Holds for the unmanaged Service every address it shows that nobody holds
 * yet, calling `held` for each; returns those one of lbipam's own Services
 * holds (they stay with it). The one rule, at start and in reconciles.
 */
export function holdShown(
  ledger: Ledger,
  key: string,
  service: Service,
  held: (address: Address, text: string) => void,
): { address: string; holder: string }[] {
  const heldByOurs: { address: string; holder: string }[] = [];
  for (const entry of service.status?.loadBalancer?.ingress ?? []) {
    const address = parseIngressAddress(entry);
    if (!address) continue;
    const text = formatAddress(address.family, address.value);
    if (ledger.holdForeign(key, address, text)) {
      held(address, text);
      continue;
    }
    const holder = ledger.holderOf(address);
    if (holder !== undefined && holder !== key && !ledger.isForeign(address))
      heldByOurs.push({ address: text, holder });
  }
  return heldByOurs;
}

/**
 * Holds every address the unmanaged Service shows, in place of what it
 * showed before, claiming each in its pool. `before` is what forgetForeign
 * returned, so only new addresses are reported (and logged once).
 */
export function showForeign(
  ledger: Ledger,
  registry: PoolRegistry,
  key: string,
  service: Service,
  before: readonly Holding[] = [],
): ForeignChange {
  const known = new Set(before.map((h) => h.text));
  const added: string[] = [];
  const heldByOthers = holdShown(ledger, key, service, (address, text) => {
    claimHeld(registry.poolSet, address);
    if (!known.has(text)) added.push(text);
  }).filter(({ address }) => !known.has(address));
  const shown = new Set(ledger.foreignHoldings(key).map((h) => h.text));
  return { added, removed: before.filter((h) => !shown.has(h.text)), heldByOthers };
}

/** Foreign addresses per pool, with the Service showing each (those in no pool are left out). */
export function foreignByPool(
  ledger: Ledger,
  poolSet: PoolSet,
): Map<string, { address: string; service: string }[]> {
  const byPool = new Map<string, { address: string; service: string }[]>();
  for (const { key, holding } of ledger.foreign()) {
    const pool = poolSet.find(holding.family, holding.value);
    if (!pool) continue;
    const list = byPool.get(pool.name) ?? [];
    list.push({ address: holding.text, service: key });
    byPool.set(pool.name, list);
  }
  return byPool;
}
