// State at start: every address shown in a served Service's status, in an
// IPPool's range, is held again by that Service. Two Services showing one
// address: the older (creationTimestamp, then namespace/name) keeps it; the
// other is reassigned by its first reconcile, with a Warning.
import { parseIngressAddress, type Service } from "@lbipam/api";
import type { Ledger } from "./ledger.js";
import type { PoolRegistry } from "./pool-registry.js";

export interface RebuildConflict {
  address: string;
  keptBy: string;
  lostBy: string;
}

export interface RebuildResult {
  held: number;
  conflicts: RebuildConflict[];
}

function olderFirst(a: Service, b: Service): number {
  const ta = a.metadata.creationTimestamp ?? "";
  const tb = b.metadata.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata.namespace}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

export function rebuildLedger(
  services: readonly Service[],
  registry: PoolRegistry,
  ledger: Ledger,
  options: { loadBalancerClass: string },
): RebuildResult {
  const result: RebuildResult = { held: 0, conflicts: [] };
  // Services of another class are never touched, so their addresses are not ours to hold.
  const ours = services.filter(
    (s) =>
      s.spec?.type === "LoadBalancer" &&
      (s.spec.loadBalancerClass === undefined || s.spec.loadBalancerClass === options.loadBalancerClass),
  );
  for (const service of [...ours].sort(olderFirst)) {
    const key = `${service.metadata.namespace}/${service.metadata.name}`;
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
      if (ledger.hold(key, address)) {
        pool.claim(address.value);
        result.held++;
      }
    }
  }
  return result;
}
