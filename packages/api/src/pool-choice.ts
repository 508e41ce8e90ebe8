// Questions the decision asks about pools: may this pool keep serving the
// Service, may it give a new address, and which pools to try in which order.
import type { Family, PoolSet } from "@lbipam/allocator";
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
}

export interface Blocked {
  reason: ServiceReason;
  message: string;
}

/** Why the pool may not keep an address for this Service (disabled pools still keep theirs). */
export function whyCannotKeep(view: PoolView, context: PoolContext): Blocked | undefined {
  const notAllocatable = (why: string): Blocked => ({
    reason: ServiceReason.PoolNotAllocatable,
    message: `pool ${view.name} ${why}`,
  });
  if (!view.loadBalancer) {
    return {
      reason: ServiceReason.RequestedIPNotInPool,
      message: `pool ${view.name} is not a LoadBalancer pool`,
    };
  }
  if (view.problems.length > 0 || view.definition === undefined) return notAllocatable("is invalid");
  if (view.namespaceMatcher === undefined)
    return notAllocatable("has a namespaceSelector that does not parse");
  if (view.terminating) return notAllocatable("is being deleted");
  if (!context.poolSet.isServing(view.name)) {
    return notAllocatable(`overlaps the older pool ${context.poolSet.overlappedBy(view.name) ?? "?"}`);
  }
  if (!view.namespaceMatcher(context.namespaceLabels)) {
    return {
      reason: ServiceReason.NamespaceNotAllowed,
      message: `pool ${view.name} does not serve namespace ${context.namespace}`,
    };
  }
  return undefined;
}

/** Why the pool may not hand out a new address to this Service. */
export function whyCannotServe(view: PoolView, context: PoolContext): Blocked | undefined {
  const blocked = whyCannotKeep(view, context);
  if (blocked) return blocked;
  if (view.disabled) return { reason: ServiceReason.PoolDisabled, message: `pool ${view.name} is disabled` };
  return undefined;
}

/** Automatic LoadBalancer pools of a family, in name order: the choice when nothing is asked. */
export function automaticPools(context: PoolContext, family: Family): PoolView[] {
  return [...context.pools.values()]
    .filter((view) => view.loadBalancer && view.mode === "Automatic" && view.family === family)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
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
      message: `no IPv${family} pool can serve: ${blocked.map((b) => b.message).join("; ")}`,
    };
  }
  const withFree = usable.filter((view) => (context.poolSet.get(view.name)?.counts().free ?? 0) > 0);
  if (withFree.length === 0) {
    return {
      reason: ServiceReason.PoolExhausted,
      message: `no free IPv${family} address in ${usable.map((view) => view.name).join(", ")}`,
    };
  }
  return { pools: withFree.map((view) => view.name) };
}
