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
  automaticPools,
  choosePools,
  type PoolContext,
  type PoolSetReader,
  whyCannotKeep,
  whyCannotServe,
} from "./pool-choice.js";
import type { PoolView } from "./pool-view.js";
import { SERVICE_CONDITION_TYPE, ServiceReason } from "./reasons.js";
import type { Condition, LoadBalancerIngress, Service } from "./resources.js";
import type { Labels } from "./selector.js";

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
}

export type FamilyDecision =
  /** The Service holds this address and keeps it. */
  | { family: Family; action: "keep"; address: string }
  /** Take this address (asked for, or in the Service's status but held by nobody yet). */
  | { family: Family; action: "claim"; address: string; pool: string }
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

class ServiceDecider {
  private readonly key: string;
  private readonly context: PoolContext;

  constructor(private readonly input: DecisionInput) {
    this.key = serviceKey(input.service);
    this.context = poolContextOf(input);
  }

  /** The view of the serving pool holding an address, if any. */
  private poolOf(address: Address): PoolView | undefined {
    const pool = this.input.poolSet.find(address.family, address.value);
    return pool ? this.input.pools.get(pool.name) : undefined;
  }

  private inPoolRange = (address: Address): boolean =>
    this.poolOf(address) !== undefined ||
    [...this.input.pools.values()].some(
      (view) => view.cidr !== undefined && cidrContains(view.cidr, address),
    );

  /** Keep (or adopt, when nobody holds it yet) a current address; undefined when it cannot be adopted. */
  private hold(address: CurrentAddress): FamilyDecision | undefined {
    const text = formatAddress(address.family, address.value);
    if (address.holder === "self") return { family: address.family, action: "keep", address: text };
    const pool = this.input.poolSet.find(address.family, address.value);
    return pool ? { family: address.family, action: "claim", address: text, pool: pool.name } : undefined;
  }

  /** The first current address of the family whose pool is among `accepted` and may keep serving. */
  private keepable(
    held: CurrentAddress[],
    accepted: (view: PoolView) => boolean,
  ): CurrentAddress | undefined {
    return held.find((address) => {
      const view = this.poolOf(address);
      return view !== undefined && accepted(view) && whyCannotKeep(view, this.context) === undefined;
    });
  }

  private decideAddress(wanted: RequestedAddress, held: CurrentAddress[]): FamilyDecision {
    const family = wanted.family;
    const current = held.find((address) => address.value === wanted.value);
    const view = this.poolOf(wanted);
    const wait = (reason: ServiceReason, why: string): FamilyDecision => ({
      family,
      action: "wait",
      reason,
      message: `${wanted.text} (${wanted.source}): ${why}`,
    });
    const kept =
      current && view && whyCannotKeep(view, this.context) === undefined ? this.hold(current) : undefined;
    if (kept) return kept;
    if (!view?.loadBalancer) {
      return wait(ServiceReason.RequestedIPNotInPool, "not in any LoadBalancer pool that can serve");
    }
    const blocked = whyCannotServe(view, this.context);
    if (blocked) return wait(blocked.reason, blocked.message);
    const holder = this.input.holderOf(wanted);
    if (holder === this.key) return { family, action: "keep", address: wanted.text };
    if (holder !== undefined) return wait(ServiceReason.RequestedIPInUse, `held by Service ${holder}`);
    if (this.input.poolSet.get(view.name)?.isAllocated(wanted.value)) {
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
    if (wanted) return this.decideAddress(wanted, held);
    const named = annotated.views[family];
    if (named?.length === 0 && (annotated.missing[family]?.length ?? 0) > 0) {
      // Only missing pools are named: an address the Service has is kept until one exists (a
      // typo in the name must not take it away); without one, the Service waits for the pool.
      const keep = this.keepable(held, () => true);
      const kept = keep && this.hold(keep);
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
    const candidates = named ?? automaticPools(this.context, family);
    const keep = this.keepable(held, (view) => candidates.includes(view));
    const kept = keep && this.hold(keep);
    if (kept) return kept;
    const choice = choosePools(candidates, family, this.context);
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
      };
    }

    const families = requestedFamilies(service);
    const current = currentAddresses(service, this.key, this.inPoolRange, holderOf);
    const heldOf = (family: Family) =>
      current.ours.filter((address) => address.family === family && address.holder !== "other");

    const problems = [...request.problems];
    const annotated = resolvePoolAnnotations(request, this.input.pools, problems);
    addressFamilyProblems(request, families, problems);
    let decisions: FamilyDecision[];
    if (problems.length > 0 || service.metadata.deletionTimestamp !== undefined) {
      // Bad input, or a Service on its way out: keep what it has (while its pool exists), take nothing new.
      const reason = problems.length > 0 ? ServiceReason.InvalidAnnotation : ServiceReason.ServiceTerminating;
      const message =
        problems.length > 0 ? listSome(problems.map((p) => p.message)) : "the Service is being deleted";
      decisions = families.map((family) => {
        const kept = heldOf(family)
          .filter((address) => this.poolOf(address) !== undefined)
          .map((address) => this.hold(address))
          .find((decision) => decision !== undefined);
        return kept ?? { family, action: "wait", reason, message };
      });
    } else {
      decisions = families.map((family) => this.decideFamily(family, request, annotated, heldOf(family)));
      decisions = this.applyPolicy(decisions);
    }

    const kept = new Set(
      decisions.flatMap((d) => (d.action === "keep" || d.action === "claim" ? [d.address] : [])),
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
        .filter((address) => address.holder === "other")
        .map((address) => ({
          address: formatAddress(address.family, address.value),
          holder: holderOf(address) ?? "",
        })),
      condition: serviceCondition(decisions, problems, notices, service.spec?.ipFamilyPolicy),
      problems,
      misspelled: request.misspelled,
      requestedPools,
    };
  }

  /**
   * What is read as if absent, but said in the condition: typo'd annotation
   * keys, and named pools that do not exist while the Service is served
   * anyway (by the other named pools, or keeping its address meanwhile).
   */
  private notices(request: ServiceRequest, annotated: NamedPools, decisions: FamilyDecision[]): string[] {
    const notices = request.misspelled.map(misspelledMessage);
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

/** The Service condition; every message at most MESSAGE_LENGTH, notices after the main text. */
function serviceCondition(
  decisions: FamilyDecision[],
  problems: AnnotationProblem[],
  notices: string[],
  policy: string | undefined,
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
      message: withNotices([`address assigned for ${served.join(", ")}`, ...pending].join("; ")),
    };
  }
  // Under RequireDualStack the family that holds the others back names the reason.
  const cause = waiting.find((d) => d.reason !== ServiceReason.FamilyPending) ?? waiting[0]!;
  return { type, status: "False", reason: cause.reason, message: withNotices(pending.join("; ")) };
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
