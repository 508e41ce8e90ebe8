// Questions the decision asks about pools: may this pool keep serving the
// Service, may it give a new address, and which pools to try in which order.
import type { Family, PoolSet } from "@lbipam/allocator";
import { listSome } from "./bounded.js";
import type { PoolView } from "./pool-view.js";
import { ServiceReason } from "./reasons.js";
import type { Labels } from "./selector.js";

/** The read-only questions decide asks the allocator's PoolSet. */
export type PoolSetReader = Pick<PoolSet, "get" | "find" | "isServing" | "overlappedBy">;

export interface PoolContext {
  pools: ReadonlyMap<string, PoolView>;
  poolSet: PoolSetReader;
  namespace: string;
  namespaceLabels: Labels;
  /** The Service's own labels, for pools' lbipam.io/service-selector. */
  serviceLabels: Labels;
}

export interface Blocked {
  reason: ServiceReason;
  message: string;
}

const notAllocatable = (view: PoolView, why: string): Blocked => ({
  reason: ServiceReason.PoolNotAllocatable,
  message: `pool ${view.name} ${why}`,
});

/**
 * Why the pool may not keep an address for this Service. A pool edit that
 * leaves the pool unusable (a selector that does not parse, an invalid
 * field) keeps the addresses it gave; it only stops giving new ones, so a
 * typo never renumbers Services. Disabled pools keep theirs too.
 */
export function whyCannotKeep(view: PoolView, context: PoolContext): Blocked | undefined {
  if (!view.loadBalancer) {
    return {
      reason: ServiceReason.RequestedIPNotInPool,
      message: `pool ${view.name} is not a LoadBalancer pool`,
    };
  }
  if (view.terminating) return notAllocatable(view, "is being deleted");
  if (!context.poolSet.isServing(view.name)) {
    return notAllocatable(view, `overlaps the older pool ${context.poolSet.overlappedBy(view.name) ?? "?"}`);
  }
  // Only a selector that parses, and excludes the namespace, takes addresses away.
  if (view.namespaceMatcher !== undefined && !view.namespaceMatcher(context.namespaceLabels)) {
    return {
      reason: ServiceReason.NamespaceNotAllowed,
      message: `pool ${view.name} does not serve namespace ${context.namespace}`,
    };
  }
  if (view.serviceMatcher !== undefined && !view.serviceMatcher(context.serviceLabels)) {
    return {
      reason: ServiceReason.ServiceNotSelected,
      message: `pool ${view.name} does not select this Service (lbipam.io/service-selector)`,
    };
  }
  return undefined;
}

/** Why the pool may not hand out a new address to this Service. */
export function whyCannotServe(view: PoolView, context: PoolContext): Blocked | undefined {
  // An invalid pool may be missing from the PoolSet: say why before asking it anything.
  if (view.loadBalancer && (view.problems.length > 0 || view.definition === undefined)) {
    return notAllocatable(view, "is invalid");
  }
  const blocked = whyCannotKeep(view, context);
  if (blocked) return blocked;
  if (view.namespaceMatcher === undefined) {
    return notAllocatable(view, "has a namespaceSelector that does not parse");
  }
  if (view.annotationError !== undefined)
    return notAllocatable(view, `has an unusable annotation (${view.annotationError})`);
  if (view.disabled) return { reason: ServiceReason.PoolDisabled, message: `pool ${view.name} is disabled` };
  return undefined;
}

/** Pools in the order automatic allocation tries them: by lbipam.io/priority (lower first, none last), then name. */
export function byPriority(a: PoolView, b: PoolView): number {
  const rank = (view: PoolView) => view.priority ?? Number.POSITIVE_INFINITY;
  if (rank(a) !== rank(b)) return rank(a) < rank(b) ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Automatic LoadBalancer pools of a family, in byPriority order: the choice when nothing is asked. */
export function automaticPools(context: PoolContext, family: Family): PoolView[] {
  return [...context.pools.values()]
    .filter((view) => view.loadBalancer && view.mode === "Automatic" && view.family === family)
    .sort(byPriority);
}

export type PoolChoice = { pools: string[] } | Blocked;

/** The candidates that can give an address now, in order; or why none can. */
export function choosePools(
  candidates: readonly PoolView[],
  family: Family,
  context: PoolContext,
): PoolChoice {
  if (candidates.length === 0) {
    return { reason: ServiceReason.NoPool, message: `no Automatic LoadBalancer pool of IPv${family}` };
  }
  const blocked: Blocked[] = [];
  const usable: PoolView[] = [];
  for (const view of candidates) {
    const why = whyCannotServe(view, context);
    if (why) blocked.push(why);
    else usable.push(view);
  }
  if (usable.length === 0) {
    const reasons = new Set(blocked.map((b) => b.reason));
    return {
      reason: reasons.size === 1 ? blocked[0]!.reason : ServiceReason.NoPool,
      message: `no IPv${family} pool can serve: ${listSome(blocked.map((b) => b.message))}`,
    };
  }
  const withFree = usable.filter((view) => (context.poolSet.get(view.name)?.counts().free ?? 0n) > 0n);
  if (withFree.length === 0) {
    return {
      reason: ServiceReason.PoolExhausted,
      message: `no free IPv${family} address in ${listSome(
        usable.map((view) => view.name),
        ", ",
      )}`,
    };
  }
  return { pools: withFree.map((view) => view.name) };
}
