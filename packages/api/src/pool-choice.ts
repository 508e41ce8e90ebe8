// Questions the decision asks about pools: may this pool keep serving the
// Service, may it give a new address, and which pools to try in which order.
import type { Address, Family, PoolSet } from "@lbipam/allocator";
import { listSome, quote } from "./bounded.js";
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
      message: `pool ${view.name} does not select this Service (lbipam.io/service-selector ${quote(view.serviceSelector ?? "")})`,
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

/** The serving pool whose CIDR holds the address (an overlapped pool serves nothing), as the decision sees it. */
export function servingPoolOf(context: PoolContext, address: Address): PoolView | undefined {
  const pool = context.poolSet.find(address.family, address.value);
  return pool ? context.pools.get(pool.name) : undefined;
}

/** What the Service asks of one family, as far as the choice of pools goes. */
export interface FamilyRequest {
  family: Family;
  /** The pools its ipv4pools / ipv6pools annotation names (existing, fitting), in order; undefined: no annotation. */
  named?: readonly PoolView[];
  /** The address loadBalancerIPs (or spec.loadBalancerIP) asks for: only its pool may serve, no fallback. */
  address?: Address & { text: string };
}

/** Why the request itself rules a pool out, whatever the pool's state. */
export type NotCandidateCode =
  | "NotLoadBalancer"
  | "OtherFamily"
  | "NotHoldingAddress"
  | "NotNamed"
  | "NoFamily"
  | "Manual";

/** Where one pool stands for one family of one Service: the decision chooses from these, explain shows them. */
export interface PoolStanding {
  view: PoolView;
  /** 1 for the first pool the decision tries, 2 for the next...; undefined when the request rules the pool out. */
  order: number | undefined;
  /** Why the request rules the pool out (then order is undefined). */
  notCandidate?: { code: NotCandidateCode; message: string };
  /** Why the pool, tried in order, gives no new address now (it may keep one it gave). */
  blocked?: Blocked;
  /** It could serve, but every address is allocated or reserved (not judged for a requested address). */
  full?: boolean;
}

function notCandidate(view: PoolView, request: FamilyRequest): PoolStanding["notCandidate"] {
  const family = request.family;
  const annotation = `projectcalico.org/ipv${family}pools`;
  if (!view.loadBalancer) return { code: "NotLoadBalancer", message: "spec.allowedUses has no LoadBalancer" };
  if (view.family !== undefined && view.family !== family) {
    return { code: "OtherFamily", message: `an IPv${view.family} pool, not IPv${family}` };
  }
  if (request.address) {
    return {
      code: "NotHoldingAddress",
      message: `does not hold ${request.address.text}, the address asked for`,
    };
  }
  if (request.named) {
    return request.named.includes(view)
      ? undefined
      : { code: "NotNamed", message: `not named in ${annotation}` };
  }
  // A pool annotation may name an invalid pool (it then waits on it); automatic choice never tries one.
  if (view.family === undefined)
    return { code: "NoFamily", message: "spec.cidr is unusable: the pool has no family" };
  if (view.mode !== "Automatic") {
    return {
      code: "Manual",
      message: `assignmentMode ${view.mode}: serves only Services that name it (${annotation}) or one of its addresses`,
    };
  }
  return undefined;
}

/**
 * Every pool and where it stands for the family: the candidates in the order
 * the decision tries them (an address asked for: its pool; pools named: the
 * annotation's order; else the Automatic pools by priority), each with why it
 * can or cannot give an address now, then the pools the request rules out,
 * by name. THE rule decide chooses by and explain shows.
 */
export function poolStandings(context: PoolContext, request: FamilyRequest): PoolStanding[] {
  const holding = request.address ? servingPoolOf(context, request.address) : undefined;
  const candidates: PoolView[] = [];
  const others: PoolStanding[] = [];
  for (const view of context.pools.values()) {
    const why = view === holding && holding.loadBalancer ? undefined : notCandidate(view, request);
    if (why) others.push({ view, order: undefined, notCandidate: why });
    else candidates.push(view);
  }
  const named = request.named;
  if (named) candidates.sort((a, b) => named.indexOf(a) - named.indexOf(b));
  else candidates.sort(byPriority);
  const standings = candidates.map((view, index): PoolStanding => {
    const blocked = whyCannotServe(view, context);
    if (blocked) return { view, order: index + 1, blocked };
    const full = !request.address && (context.poolSet.get(view.name)?.counts().free ?? 0n) === 0n;
    return full ? { view, order: index + 1, full } : { view, order: index + 1 };
  });
  others.sort((a, b) => (a.view.name < b.view.name ? -1 : a.view.name > b.view.name ? 1 : 0));
  return [...standings, ...others];
}

/** The pools the request lets serve, in the order tried. */
export function candidatePools(standings: readonly PoolStanding[]): PoolView[] {
  return standings.filter((standing) => standing.order !== undefined).map((standing) => standing.view);
}

export type PoolChoice = { pools: string[] } | Blocked;

/** The candidates that can give an address now, in order; or why none can. */
export function choosePools(standings: readonly PoolStanding[], family: Family): PoolChoice {
  const candidates = standings.filter((standing) => standing.order !== undefined);
  if (candidates.length === 0) {
    return { reason: ServiceReason.NoPool, message: `no Automatic LoadBalancer pool of IPv${family}` };
  }
  const blocked = candidates.flatMap((standing) => (standing.blocked ? [standing.blocked] : []));
  const usable = candidates.filter((standing) => !standing.blocked);
  if (usable.length === 0) {
    const reasons = new Set(blocked.map((b) => b.reason));
    return {
      reason: reasons.size === 1 ? blocked[0]!.reason : ServiceReason.NoPool,
      message: `no IPv${family} pool can serve: ${listSome(blocked.map((b) => b.message))}`,
    };
  }
  const withFree = usable.filter((standing) => !standing.full);
  if (withFree.length === 0) {
    return {
      reason: ServiceReason.PoolExhausted,
      message: `no free IPv${family} address in ${listSome(
        usable.map((standing) => standing.view.name),
        ", ",
      )}`,
    };
  }
  return { pools: withFree.map((standing) => standing.view.name) };
}
