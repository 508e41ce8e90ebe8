// THE decision: what one Service should hold, from a read-only snapshot of
// the cluster. Pure: the same input gives the same output, and nothing in
// the input (the PoolSet included) is changed. The controller applies the
// answer: claim, allocate, release, then write status once.
import {
  type Address,
  cidrContains,
  type Family,
  formatAddress,
  parseAddress,
  parseCidr,
} from "@lbipam/allocator";
import {
  type AnnotationProblem,
  annotationProblem,
  type MisspelledAnnotation,
  misspelledMessage,
  POOL_ANNOTATIONS,
  parseServiceRequest,
  type RequestedAddress,
  type ServiceRequest,
} from "./annotations.js";
import { boundedMessage, listSome, quote } from "./bounded.js";
import { type CurrentAddress, currentAddresses, parseIngressAddress } from "./current-addresses.js";
import { type ManagementConfig, requestedFamilies, type UnmanagedCode, whyUnmanaged } from "./managed.js";
import {
  candidatePools,
  choosePools,
  type PoolContext,
  type PoolSetReader,
  type PoolStanding,
  poolStandings,
  servingPoolOf,
  whyCannotKeep,
  whyCannotServe,
} from "./pool-choice.js";
import type { PoolView } from "./pool-view.js";
import { SERVICE_CONDITION_TYPE, ServiceReason } from "./reasons.js";
import type { Condition, LoadBalancerIngress, Service } from "./resources.js";
import type { Labels } from "./selector.js";
import { type SharingProfile, type SharingReader, sharingProfileOf, whyCannotJoin } from "./sharing.js";

export interface DecisionInput {
  service: Service;
  /** Labels of the Service's Namespace ({} when the Namespace is not known). */
  namespaceLabels: Labels;
  /** Every IPPool, by name. */
  pools: ReadonlyMap<string, PoolView>;
  /** The allocator's pools (with reservations applied), asked read-only. */
  poolSet: PoolSetReader;
  config: ManagementConfig;
  /**
   * The key (`namespace/name`) of the Service holding an address, from the
   * controller's ledger. It must keep answering for addresses of deleted
   * pools until they are released, or they look foreign.
   */
  holderOf: (address: Address) => string | undefined;
  /** The members of shared addresses and the addresses of each sharing key, from the ledger. */
  sharing: SharingReader;
  /**
   * Addresses Calico's own LoadBalancer controller recorded for this very
   * Service (its handle) in Calico IPAM blocks (calico-blocks.ts). A managed
   * Service showing no address of a family is given its recorded one, as
   * Calico would have written it; `holderOf` answers nobody for them.
   */
  calicoRecorded?: readonly Address[];
}

export type FamilyDecision =
  /** The Service holds this address and keeps it. */
  | { family: Family; action: "keep"; address: string }
  /** Take this address (asked for, or in the Service's status but held by nobody yet). */
  | { family: Family; action: "claim"; address: string; pool: string }
  /** Share this address, held already by Services of the same sharing key (`with`: the first of them). */
  | { family: Family; action: "share"; address: string; pool: string; with: string }
  /** Allocate from the first of these pools that has a free address. */
  | { family: Family; action: "allocate"; pools: string[] }
  /** Nothing for this family now. */
  | { family: Family; action: "wait"; reason: ServiceReason; message: string };

export interface Decision {
  /** `namespace/name`. */
  key: string;
  managed: boolean;
  /** Why lbipam does not manage the Service (only when `managed` is false). */
  unmanagedReason?: string;
  /** The same as a code (only when `managed` is false): what a program tests. */
  unmanagedCode?: UnmanagedCode;
  /**
   * Leave the Service's status as it is: another controller writes it (Calico's
   * own), so lbipam neither writes it nor gives back what it shows.
   */
  leaveStatus?: boolean;
  /** One entry per family served, in spec.ipFamilies order (empty when unmanaged). */
  families: FamilyDecision[];
  /** Addresses the Service holds and must give back (canonical text). */
  release: string[];
  /** Ingress entries lbipam did not assign, written after ours, untouched. */
  foreignIngress: LoadBalancerIngress[];
  /** Addresses in the Service's status that another (older) Service holds: dropped, worth a Warning. */
  lost: { address: string; holder: string }[];
  /** The Service condition to show; undefined means remove ours. */
  condition: Omit<Condition, "lastTransitionTime"> | undefined;
  /** Malformed annotations (one Warning Event names them). */
  problems: AnnotationProblem[];
  /** Annotation keys that look like typos of ours (a Warning Event names them). */
  misspelled: MisspelledAnnotation[];
  /** The pool names or CIDRs the pool annotations ask for, as written: a change to one may change this decision. */
  requestedPools: string[];
  /** The Service's sharing profile (lbipam.io/sharing-key), recorded with what it holds. */
  sharing?: SharingProfile;
  /** Per family decided from pools: every pool and where it stood (explain shows what the choice was made from). */
  poolStandings: Partial<Record<Family, PoolStanding[]>>;
  /** What the condition says after its main text (typo'd keys, missing pools, addresses not shared). */
  notices: string[];
}

export function serviceKey(service: Service): string {
  return `${service.metadata.namespace ?? ""}/${service.metadata.name ?? ""}`;
}

/** The namespace and name of a `namespace/name` key (a namespace never holds a slash). */
export function splitServiceKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf("/");
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The pool whose CIDR is `text` exactly, if `text` is a CIDR. */
function poolByCidr(pools: ReadonlyMap<string, PoolView>, text: string): PoolView | undefined {
  let cidr: ReturnType<typeof parseCidr>;
  try {
    cidr = parseCidr(text, true);
  } catch {
    return undefined;
  }
  for (const view of pools.values()) {
    if (
      view.cidr !== undefined &&
      cidr.family === view.cidr.family &&
      cidr.base === view.cidr.base &&
      cidr.prefixLength === view.cidr.prefixLength
    )
      return view;
  }
  return undefined;
}

interface NamedPools {
  /** Per family asked: the named pools that exist and fit, in order. */
  views: Partial<Record<Family, PoolView[]>>;
  /** Per family asked: the names no pool answers to (deleted, or not created yet). */
  missing: Partial<Record<Family, string[]>>;
}

/**
 * The pools named by ipv4pools / ipv6pools, in order. A pool of the wrong
 * family or not for LoadBalancer is a problem with the annotation; a name
 * no pool answers to is not (the pool may come, or have gone: the Service
 * waits for it, behaviour.md "Pool edits never take addresses by accident").
 */
function resolvePoolAnnotations(
  request: ServiceRequest,
  pools: ReadonlyMap<string, PoolView>,
  problems: AnnotationProblem[],
): NamedPools {
  const named: NamedPools = { views: {}, missing: {} };
  for (const family of [4, 6] as const) {
    const entries = request.pools[family];
    if (entries === undefined) continue;
    const annotation = POOL_ANNOTATIONS[family];
    const value = JSON.stringify(entries);
    const views: PoolView[] = [];
    const missing: string[] = [];
    for (const entry of entries) {
      const view = pools.get(entry) ?? poolByCidr(pools, entry);
      if (!view) missing.push(entry);
      else if (view.family !== undefined && view.family !== family) {
        problems.push(
          annotationProblem(annotation, value, `pool ${quote(entry)} is IPv${view.family}, not IPv${family}`),
        );
      } else if (!view.loadBalancer) {
        problems.push(
          annotationProblem(annotation, value, `pool ${quote(entry)} does not allow LoadBalancer`),
        );
      } else if (!views.includes(view)) views.push(view);
    }
    named.views[family] = views;
    named.missing[family] = missing;
  }
  return named;
}

/** Names for a message: each quoted, the first few, then how many more. */
const someNames = (names: readonly string[]) => listSome(names.map(quote), ", ");

function addressFamilyProblems(
  request: ServiceRequest,
  families: Family[],
  problems: AnnotationProblem[],
): void {
  for (const family of [4, 6] as const) {
    const address = request.addresses[family];
    if (address && !families.includes(family)) {
      problems.push(
        annotationProblem(
          address.source,
          address.text,
          `an IPv${family} address, but the Service is served for ${families.map((f) => `IPv${f}`).join(", ")} only (spec.ipFamilies, spec.ipFamilyPolicy)`,
        ),
      );
    }
  }
}

/** What the pool questions (pool-choice.ts) need to know of the Service and the cluster. */
export function poolContextOf(input: DecisionInput): PoolContext {
  return {
    pools: input.pools,
    poolSet: input.poolSet,
    namespace: input.service.metadata.namespace ?? "",
    namespaceLabels: input.namespaceLabels,
    serviceLabels: input.service.metadata.labels ?? {},
  };
}

/** Addresses of its sharing key a Service looks at to join one: a key held by thousands costs no more. */
export const SHARED_ADDRESSES_EXAMINED = 256;

class ServiceDecider {
  private readonly key: string;
  private readonly context: PoolContext;
  /** Set by decide() once the request is read. */
  private profile: SharingProfile | undefined;
  /** Why addresses of the sharing key are not shared (said in the condition). */
  private readonly sharingNotices = new Set<string>();

  constructor(private readonly input: DecisionInput) {
    this.key = serviceKey(input.service);
    this.context = poolContextOf(input);
  }

  /** Where each pool stood, per family chosen from pools. */
  private readonly standings: Partial<Record<Family, PoolStanding[]>> = {};

  /** The view of the serving pool holding an address, if any. */
  private poolOf(address: Address): PoolView | undefined {
    return servingPoolOf(this.context, address);
  }

  private inPoolRange = (address: Address): boolean =>
    this.poolOf(address) !== undefined ||
    [...this.input.pools.values()].some(
      (view) => view.cidr !== undefined && cidrContains(view.cidr, address),
    );

  /** The Services other than this one holding the address. */
  private otherMembers(address: Address) {
    return this.input.sharing.membersOf(address).filter((member) => member.service !== this.key);
  }

  /** Why this Service may not hold the address beside its other members (undefined: it may, or it is alone). */
  private whyCannotShareAt(address: Address): string | undefined {
    const others = this.otherMembers(address);
    if (others.length === 0) return undefined;
    if (!this.profile)
      return `Service ${others[0]!.service} holds it too, and this Service has no sharing key`;
    return whyCannotJoin(this.key, this.profile, others);
  }

  /**
   * Keep, join or adopt a current address; undefined when it cannot be held.
   * `shareRules: false` keeps what the Service holds whatever its members
   * (bad input takes nothing away).
   */
  private hold(address: CurrentAddress, shareRules = true): FamilyDecision | undefined {
    const text = formatAddress(address.family, address.value);
    const why = shareRules ? this.whyCannotShareAt(address) : undefined;
    if (address.holder === "self") {
      if (why === undefined) return { family: address.family, action: "keep", address: text };
      this.sharingNotices.add(`${text} is no longer shared: ${why}`);
      return undefined;
    }
    const pool = this.input.poolSet.find(address.family, address.value);
    if (!pool) return undefined;
    if (address.holder === "none")
      return { family: address.family, action: "claim", address: text, pool: pool.name };
    // In the status, but held by others: joined only when the sharing key lets it.
    const first = this.otherMembers(address)[0];
    if (!this.profile || first === undefined || why !== undefined) return undefined;
    return { family: address.family, action: "share", address: text, pool: pool.name, with: first.service };
  }

  /** The first current address of the family whose pool is among `accepted`, may keep serving, and can be held. */
  private keepFirst(
    held: CurrentAddress[],
    accepted: (view: PoolView) => boolean,
  ): FamilyDecision | undefined {
    for (const address of held) {
      const view = this.poolOf(address);
      if (view === undefined || !accepted(view) || whyCannotKeep(view, this.context) !== undefined) continue;
      const kept = this.hold(address);
      if (kept) return kept;
    }
    return undefined;
  }

  /**
   * An address the Service's sharing key already holds in one of the
   * candidate pools that it can join: the first pool in order, then the
   * lowest address. Why the others cannot be joined is said in the
   * condition; while the Service keeps `held`, only for those ranked before
   * it, the ones it would have joined: an address after it was never its
   * choice, and naming it would make the message depend on who came later
   * (a restart would rewrite it).
   */
  private joinShared(
    family: Family,
    candidates: readonly PoolView[],
    held?: Address,
  ): FamilyDecision | undefined {
    if (!this.profile) return undefined;
    const heldRank = held ? candidates.indexOf(this.poolOf(held)!) : -1;
    const ranksBeforeHeld = (rank: number, address: Address) =>
      !held || rank < heldRank || (rank === heldRank && address.value < held.value);
    let best: { rank: number; address: Address; pool: string; with: string } | undefined;
    let examined = 0;
    const seen = new Set<bigint>();
    for (const address of this.input.sharing.addressesOfKey(this.profile.key)) {
      if (address.family !== family || seen.has(address.value)) continue;
      seen.add(address.value);
      if (++examined > SHARED_ADDRESSES_EXAMINED) break;
      const view = this.poolOf(address);
      const rank = view ? candidates.indexOf(view) : -1;
      if (rank < 0 || whyCannotServe(view!, this.context) !== undefined) continue;
      const others = this.otherMembers(address);
      if (others.length === 0) continue;
      const why = whyCannotJoin(this.key, this.profile, others);
      const text = formatAddress(family, address.value);
      if (why !== undefined) {
        if (ranksBeforeHeld(rank, address)) {
          this.sharingNotices.add(`${text} of sharing key ${quote(this.profile.key)} is not shared: ${why}`);
        }
        continue;
      }
      if (!best || rank < best.rank || (rank === best.rank && address.value < best.address.value)) {
        best = { rank, address, pool: view!.name, with: others[0]!.service };
      }
    }
    if (!best) return undefined;
    const address = formatAddress(family, best.address.value);
    return { family, action: "share", address, pool: best.pool, with: best.with };
  }

  private decideAddress(
    wanted: RequestedAddress,
    held: CurrentAddress[],
    standings: readonly PoolStanding[],
  ): FamilyDecision {
    const family = wanted.family;
    const current = held.find((address) => address.value === wanted.value);
    const standing = standings[0]?.order === undefined ? undefined : standings[0];
    const view = standing?.view;
    const wait = (reason: ServiceReason, why: string): FamilyDecision => ({
      family,
      action: "wait",
      reason,
      message: `${wanted.text} (${wanted.source}): ${why}`,
    });
    const kept =
      current && view && whyCannotKeep(view, this.context) === undefined ? this.hold(current) : undefined;
    if (kept) return kept;
    if (!view) {
      return wait(ServiceReason.RequestedIPNotInPool, "not in any LoadBalancer pool that can serve");
    }
    const blocked = standing.blocked;
    if (blocked) return wait(blocked.reason, blocked.message);
    const holder = this.input.holderOf(wanted);
    const others = this.otherMembers(wanted);
    if (others.length > 0) {
      // Held by others: joined when the sharing key lets it, else waited for.
      const profile = this.profile;
      if (profile && others.some((member) => member.profile?.key === profile.key)) {
        const why = whyCannotJoin(this.key, profile, others);
        if (why !== undefined) {
          return wait(
            ServiceReason.SharingConflict,
            `shared under sharing key ${quote(profile.key)}, but ${why}`,
          );
        }
        if (holder === this.key) return { family, action: "keep", address: wanted.text };
        return { family, action: "share", address: wanted.text, pool: view.name, with: others[0]!.service };
      }
      return wait(ServiceReason.RequestedIPInUse, `held by Service ${others[0]!.service}`);
    }
    if (holder === this.key) return { family, action: "keep", address: wanted.text };
    if (holder !== undefined) return wait(ServiceReason.RequestedIPInUse, `held by Service ${holder}`);
    // Its own recorded address is claimed for it already, by the Calico block.
    const recordedForIt = this.input.calicoRecorded?.some(
      (recorded) => recorded.family === wanted.family && recorded.value === wanted.value,
    );
    if (!recordedForIt && this.input.poolSet.get(view.name)?.isAllocated(wanted.value)) {
      return wait(ServiceReason.RequestedIPInUse, "already allocated");
    }
    return { family, action: "claim", address: wanted.text, pool: view.name };
  }

  private decideFamily(
    family: Family,
    request: ServiceRequest,
    annotated: NamedPools,
    held: CurrentAddress[],
  ): FamilyDecision {
    const wanted = request.addresses[family];
    const named = annotated.views[family];
    const standings = poolStandings(this.context, wanted ? { family, address: wanted } : { family, named });
    this.standings[family] = standings;
    if (wanted) return this.decideAddress(wanted, held, standings);
    if (named?.length === 0 && (annotated.missing[family]?.length ?? 0) > 0) {
      // Only missing pools are named: an address the Service has is kept until one exists (a
      // typo in the name must not take it away); without one, the Service waits for the pool.
      const kept = this.keepFirst(held, () => true);
      if (kept) return kept;
      return {
        family,
        action: "wait",
        reason: ServiceReason.PoolNotFound,
        message: `${POOL_ANNOTATIONS[family]}: no pool named ${someNames(annotated.missing[family]!)}`,
      };
    }
    // Without a pool annotation only Automatic pools qualify, so an address of a
    // Manual pool is released when its annotation goes away.
    const candidates = candidatePools(standings);
    const kept = this.keepFirst(held, (view) => candidates.includes(view));
    // An address of its own is kept, never swapped for a shared one; why it is not shared is still said.
    const joined = this.joinShared(
      family,
      candidates,
      kept && "address" in kept ? parseAddress(kept.address) : undefined,
    );
    if (kept) return kept;
    if (joined) return joined;
    const choice = choosePools(standings, family);
    if ("pools" in choice) return { family, action: "allocate", pools: choice.pools };
    return { family, action: "wait", reason: choice.reason, message: choice.message };
  }

  decide(): Decision {
    const { service, config, holderOf } = this.input;
    const request = parseServiceRequest(service);
    const requestedPools = Object.values(request.pools).flat();
    const unmanaged = whyUnmanaged(service, request, config);
    if (unmanaged !== undefined) {
      // Only what this Service holds is ours to take back; its status is otherwise not ours.
      const current = currentAddresses(service, this.key, this.inPoolRange, holderOf, true);
      const leaveStatus = unmanaged.code === "CalicoController";
      return {
        key: this.key,
        managed: false,
        unmanagedReason: unmanaged.message,
        unmanagedCode: unmanaged.code,
        ...(leaveStatus ? { leaveStatus } : {}),
        families: [],
        release: leaveStatus
          ? []
          : current.ours.map((address) => formatAddress(address.family, address.value)),
        foreignIngress: current.foreign,
        lost: [],
        condition: undefined,
        problems: [],
        misspelled: [],
        requestedPools,
        notices: [],
        poolStandings: {},
      };
    }

    const families = requestedFamilies(service);
    const current = currentAddresses(service, this.key, this.inPoolRange, holderOf);
    // Addresses others hold count only where the sharing key may join them (hold()).
    const heldOf = (family: Family, joinable = true) =>
      current.ours.filter((address) => address.family === family && (joinable || address.holder !== "other"));

    const problems = [...request.problems];
    const annotated = resolvePoolAnnotations(request, this.input.pools, problems);
    addressFamilyProblems(request, families, problems);
    let decisions: FamilyDecision[];
    if (problems.length > 0 || service.metadata.deletionTimestamp !== undefined) {
      // Bad input, or a Service on its way out: keep what it has (while its pool exists), take nothing new.
      const reason = problems.length > 0 ? ServiceReason.InvalidAnnotation : ServiceReason.ServiceTerminating;
      const message =
        problems.length > 0 ? listSome(problems.map((p) => p.message)) : "the Service is being deleted";
      // What it shares stays shared as recorded: its profile as of its last good reconcile.
      this.profile = this.input.sharing.profileOf(this.key);
      decisions = families.map((family) => {
        const kept = heldOf(family, false)
          .filter((address) => this.poolOf(address) !== undefined)
          .map((address) => this.hold(address, false))
          .find((decision) => decision !== undefined);
        return kept ?? { family, action: "wait", reason, message };
      });
    } else {
      // Given back as Calico would have written it: a family the status shows nothing of.
      for (const recorded of this.input.calicoRecorded ?? []) {
        if (current.ours.some((address) => address.family === recorded.family)) continue;
        const text = formatAddress(recorded.family, recorded.value);
        const holderKey = holderOf(recorded);
        const holder = holderKey === undefined ? "none" : holderKey === this.key ? "self" : "other";
        current.ours.push({ family: recorded.family, value: recorded.value, text, holder });
      }
      this.profile = sharingProfileOf(service, request.sharing);
      decisions = families.map((family) => this.decideFamily(family, request, annotated, heldOf(family)));
      decisions = this.applyPolicy(decisions);
    }

    const kept = new Set(
      decisions.flatMap((d) =>
        d.action === "keep" || d.action === "claim" || d.action === "share" ? [d.address] : [],
      ),
    );
    const notices = this.notices(request, annotated, decisions);
    const release = current.ours
      .filter((address) => address.holder === "self")
      .map((address) => formatAddress(address.family, address.value))
      .filter((text) => !kept.has(text));

    return {
      key: this.key,
      managed: true,
      families: decisions,
      release,
      foreignIngress: current.foreign,
      lost: current.ours
        .filter(
          (address) => address.holder === "other" && !kept.has(formatAddress(address.family, address.value)),
        )
        .map((address) => ({
          address: formatAddress(address.family, address.value),
          holder: holderOf(address) ?? "",
        })),
      condition: serviceCondition(decisions, problems, notices, service.spec?.ipFamilyPolicy),
      notices,
      problems,
      misspelled: request.misspelled,
      requestedPools,
      ...(this.profile ? { sharing: this.profile } : {}),
      poolStandings: this.standings,
    };
  }

  /**
   * What is read as if absent, but said in the condition: typo'd annotation
   * keys, and named pools that do not exist while the Service is served
   * anyway (by the other named pools, or keeping its address meanwhile).
   */
  private notices(request: ServiceRequest, annotated: NamedPools, decisions: FamilyDecision[]): string[] {
    const notices = [...request.misspelled.map(misspelledMessage), ...this.sharingNotices];
    for (const decision of decisions) {
      const missing = annotated.missing[decision.family] ?? [];
      if (missing.length === 0 || decision.action === "wait") continue;
      const others = (annotated.views[decision.family]?.length ?? 0) > 0;
      const served = decision.action === "allocate" ? "" : `; ${decision.address} is kept meanwhile`;
      notices.push(
        `${POOL_ANNOTATIONS[decision.family]}: no pool named ${someNames(missing)}${others ? "; the others serve" : served}`,
      );
    }
    return notices;
  }

  /** RequireDualStack: all families or none, so a family that waits holds the others back. */
  private applyPolicy(decisions: FamilyDecision[]): FamilyDecision[] {
    if (this.input.service.spec?.ipFamilyPolicy !== "RequireDualStack") return decisions;
    const waiting = decisions.find((d) => d.action === "wait");
    if (waiting?.action !== "wait") return decisions;
    return decisions.map((d) =>
      d.action === "wait"
        ? d
        : {
            family: d.family,
            action: "wait",
            reason: ServiceReason.FamilyPending,
            message: `RequireDualStack: IPv${waiting.family} cannot be served (${waiting.message})`,
          },
    );
  }
}

/** An address carried out, and the pool it is from. */
export interface AssignedAddress {
  address: string;
  pool: string | undefined;
}

/**
 * The Service condition; every message at most MESSAGE_LENGTH, notices after
 * the main text. Once carried out (`assigned`), it names each address and its
 * pool; before (the decision alone), the families served.
 */
function serviceCondition(
  decisions: FamilyDecision[],
  problems: readonly AnnotationProblem[],
  notices: readonly string[],
  policy: string | undefined,
  assigned?: readonly AssignedAddress[],
): Omit<Condition, "lastTransitionTime"> {
  const type = SERVICE_CONDITION_TYPE;
  const withNotices = (message: string) =>
    boundedMessage(notices.length > 0 ? `${message}; ${listSome(notices)}` : message);
  if (problems.length > 0) {
    return {
      type,
      status: "False",
      reason: ServiceReason.InvalidAnnotation,
      message: withNotices(listSome(problems.map((p) => p.message))),
    };
  }
  const waiting = decisions.filter((d) => d.action === "wait");
  const served = decisions.filter((d) => d.action !== "wait").map((d) => `IPv${d.family}`);
  const pending = waiting.map((d) => `IPv${d.family} pending: ${d.message}`);
  if (waiting.length === 0 || (policy === "PreferDualStack" && served.length > 0)) {
    return {
      type,
      status: "True",
      reason: ServiceReason.Allocated,
      message: withNotices([assignedText(served, assigned), ...pending].join("; ")),
    };
  }
  // Under RequireDualStack the family that holds the others back names the reason.
  const cause = waiting.find((d) => d.reason !== ServiceReason.FamilyPending) ?? waiting[0]!;
  return { type, status: "False", reason: cause.reason, message: withNotices(pending.join("; ")) };
}

function assignedText(served: string[], assigned: readonly AssignedAddress[] | undefined): string {
  if (assigned === undefined) return `address assigned for ${served.join(", ")}`;
  const named = assigned.map(({ address, pool }) => (pool ? `${address} from pool ${pool}` : address));
  return `assigned ${named.join(", ")}`;
}

/** The condition of a decision carried out: an Allocated one names each address assigned and its pool. */
export function carriedOutCondition(
  decision: Decision,
  policy: string | undefined,
  assigned: readonly AssignedAddress[],
): Decision["condition"] {
  if (decision.condition?.reason !== ServiceReason.Allocated) return decision.condition;
  return serviceCondition(decision.families, decision.problems, decision.notices, policy, assigned);
}

/** Decides what the Service should hold; see DecisionInput and Decision. */
export function decide(input: DecisionInput): Decision {
  return new ServiceDecider(input).decide();
}

/**
 * The status.loadBalancer.ingress to write once the decision is applied:
 * the Service's addresses in family order (an existing entry for the same
 * address is reused, so an unchanged status compares equal), then the
 * foreign entries.
 */
export function desiredIngress(
  service: Service,
  decision: Decision,
  addresses: readonly string[],
): LoadBalancerIngress[] {
  const existing = service.status?.loadBalancer?.ingress ?? [];
  const ours = addresses.map((text) => {
    const address = parseAddress(text);
    const same = (entry: LoadBalancerIngress) => {
      const other = parseIngressAddress(entry);
      return other?.family === address.family && other.value === address.value;
    };
    return existing.find(same) ?? { ip: text };
  });
  return [...ours, ...decision.foreignIngress];
}
