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
  POOL_ANNOTATIONS,
  parseServiceRequest,
  type RequestedAddress,
  type ServiceRequest,
} from "./annotations.js";
import { type CurrentAddress, currentAddresses, parseIngressAddress } from "./current-addresses.js";
import { type ManagementConfig, requestedFamilies, whyUnmanaged } from "./managed.js";
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
  /** Malformed annotations (each gets a Warning Event). */
  problems: AnnotationProblem[];
}

export function serviceKey(service: Service): string {
  return `${service.metadata.namespace ?? ""}/${service.metadata.name ?? ""}`;
}

function sameCidr(view: PoolView, text: string): boolean {
  try {
    const cidr = parseCidr(text, true);
    return (
      view.cidr !== undefined &&
      cidr.family === view.cidr.family &&
      cidr.base === view.cidr.base &&
      cidr.prefixLength === view.cidr.prefixLength
    );
  } catch {
    return false;
  }
}

/** The pools named by ipv4pools / ipv6pools, in order; unknown or unfit entries become problems. */
function resolvePoolAnnotations(
  request: ServiceRequest,
  pools: ReadonlyMap<string, PoolView>,
  problems: AnnotationProblem[],
): Partial<Record<Family, PoolView[]>> {
  const resolved: Partial<Record<Family, PoolView[]>> = {};
  for (const family of [4, 6] as const) {
    const entries = request.pools[family];
    if (entries === undefined) continue;
    const annotation = POOL_ANNOTATIONS[family];
    const value = JSON.stringify(entries);
    const views: PoolView[] = [];
    for (const entry of entries) {
      const view = pools.get(entry) ?? [...pools.values()].find((candidate) => sameCidr(candidate, entry));
      if (!view) problems.push(annotationProblem(annotation, value, `unknown pool ${entry}`));
      else if (view.family !== undefined && view.family !== family) {
        problems.push(
          annotationProblem(annotation, value, `pool ${entry} is IPv${view.family}, not IPv${family}`),
        );
      } else if (!view.loadBalancer) {
        problems.push(annotationProblem(annotation, value, `pool ${entry} does not allow LoadBalancer`));
      } else if (!views.includes(view)) views.push(view);
    }
    resolved[family] = views;
  }
  return resolved;
}

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

class ServiceDecider {
  private readonly key: string;
  private readonly context: PoolContext;

  constructor(private readonly input: DecisionInput) {
    this.key = serviceKey(input.service);
    this.context = {
      pools: input.pools,
      poolSet: input.poolSet,
      namespace: input.service.metadata.namespace ?? "",
      namespaceLabels: input.namespaceLabels,
    };
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
    annotated: Partial<Record<Family, PoolView[]>>,
    held: CurrentAddress[],
  ): FamilyDecision {
    const wanted = request.addresses[family];
    if (wanted) return this.decideAddress(wanted, held);
    const named = annotated[family];
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
    const unmanagedReason = whyUnmanaged(service, request, config);
    if (unmanagedReason !== undefined) {
      // Only what this Service holds is ours to take back; its status is otherwise not ours.
      const current = currentAddresses(service, this.key, this.inPoolRange, holderOf, true);
      return {
        key: this.key,
        managed: false,
        unmanagedReason,
        families: [],
        release: current.ours.map((address) => formatAddress(address.family, address.value)),
        foreignIngress: current.foreign,
        lost: [],
        condition: undefined,
        problems: [],
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
      // Bad input, or a Service on its way out: keep what it has, take nothing new.
      const reason = problems.length > 0 ? ServiceReason.InvalidAnnotation : ServiceReason.ServiceTerminating;
      const message =
        problems.length > 0 ? problems.map((p) => p.message).join("; ") : "the Service is being deleted";
      decisions = families.map((family) => {
        const kept = heldOf(family)
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
      condition: serviceCondition(decisions, problems, service.spec?.ipFamilyPolicy),
      problems,
    };
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

function serviceCondition(
  decisions: FamilyDecision[],
  problems: AnnotationProblem[],
  policy: string | undefined,
): Omit<Condition, "lastTransitionTime"> {
  const type = SERVICE_CONDITION_TYPE;
  if (problems.length > 0) {
    return {
      type,
      status: "False",
      reason: ServiceReason.InvalidAnnotation,
      message: problems.map((p) => p.message).join("; "),
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
      message: [`address assigned for ${served.join(", ")}`, ...pending].join("; "),
    };
  }
  // Under RequireDualStack the family that holds the others back names the reason.
  const cause = waiting.find((d) => d.reason !== ServiceReason.FamilyPending) ?? waiting[0]!;
  return { type, status: "False", reason: cause.reason, message: pending.join("; ") };
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
