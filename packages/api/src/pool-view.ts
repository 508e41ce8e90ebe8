// An IPPool as the decision sees it: validated once, selector parsed once,
// with every reason it cannot serve written down for its Allocatable condition.
import {
  type Cidr,
  cidrSize,
  type Family,
  type FieldProblem,
  InvalidPoolError,
  type PoolCounts,
  type PoolDefinition,
  validatePool,
} from "@lbipam/allocator";
import { LBIPAM_PREFIX } from "./annotations.js";
import { listSome, quote } from "./bounded.js";
import { ownAnnotations } from "./calico-metadata.js";
import { SelectorSyntaxError } from "./errors.js";
import { POOL_CONDITION_TYPE, PoolReason } from "./reasons.js";
import type { AssignmentMode, Condition, IPPool, IPPoolStatus } from "./resources.js";
import { type LabelMatcher, parseSelector } from "./selector.js";

export interface PoolView {
  name: string;
  /** What to add to the allocator's PoolSet; undefined when cidr or blockSize is unusable. */
  definition: PoolDefinition | undefined;
  family: Family | undefined;
  cidr: Cidr | undefined;
  blockSize: number | undefined;
  mode: AssignmentMode;
  disabled: boolean;
  /** allowedUses includes LoadBalancer. */
  loadBalancer: boolean;
  /** Undefined when the selector does not parse (the pool then serves no namespace). */
  namespaceMatcher: LabelMatcher | undefined;
  /** The parse error of spec.namespaceSelector. */
  selectorError: string | undefined;
  /** lbipam.io/service-selector over the Service's own labels; undefined: every Service (or it does not parse: annotationError). */
  serviceMatcher: LabelMatcher | undefined;
  /** lbipam.io/service-selector as written, for messages. */
  serviceSelector: string | undefined;
  /** lbipam.io/priority: automatic pools with one come first, lower first; undefined: after them. */
  priority: number | undefined;
  /** Why one of lbipam's own pool annotations (lbipam.io/...) is unusable: the pool then serves nothing new. */
  annotationError: string | undefined;
  /** The pool has a deletionTimestamp. */
  terminating: boolean;
  /** creationTimestamp in milliseconds (0 when absent): the older pool wins an overlap. */
  createdAt: number;
  /** Field problems that keep the pool from serving (validation and LoadBalancer rules). */
  problems: FieldProblem[];
}

/** The allocator's field names, as the user wrote them in the object. */
const OBJECT_FIELDS: Record<string, string> = {
  name: "metadata.name",
  cidr: "spec.cidr",
  blockSize: "spec.blockSize",
  createdAt: "metadata.creationTimestamp",
};

/** allowedUses as a list; the CRD guarantees one, but objects may come from elsewhere. */
function allowedUses(spec: IPPool["spec"]): unknown[] {
  return Array.isArray(spec.allowedUses) ? spec.allowedUses : [];
}

function loadBalancerProblems(spec: IPPool["spec"]): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const others = allowedUses(spec).filter((use) => use !== "LoadBalancer");
  if (others.length > 0) {
    problems.push({
      field: "spec.allowedUses",
      value: spec.allowedUses,
      reason: "LoadBalancer may not be combined with Workload or Tunnel",
    });
  }
  for (const field of ["ipipMode", "vxlanMode"] as const) {
    const mode = spec[field];
    if (mode !== undefined && mode !== "Never") {
      problems.push({ field: `spec.${field}`, value: mode, reason: "must be Never on a LoadBalancer pool" });
    }
  }
  if (spec.disableBGPExport === true) {
    problems.push({
      field: "spec.disableBGPExport",
      value: true,
      reason: "a LoadBalancer pool may not disable BGP export",
    });
  }
  if (spec.nodeSelector !== undefined && String(spec.nodeSelector).trim() !== "all()") {
    problems.push({
      field: "spec.nodeSelector",
      value: spec.nodeSelector,
      reason: "must be all() on a LoadBalancer pool",
    });
  }
  return problems;
}

/** lbipam's own pool annotation (behaviour.md "choosing pools"): lower first; pools without one after all with one. */
export const POOL_PRIORITY_ANNOTATION = `${LBIPAM_PREFIX}priority`;
/** A Calico selector over the Service's labels: the pool serves only the Services it selects, on every path. */
export const POOL_SERVICE_SELECTOR_ANNOTATION = `${LBIPAM_PREFIX}service-selector`;
/** `"true"` or `"false"`: allocation skips IPv4 addresses ending in .0 and .255 (MetalLB's avoidBuggyIPs). */
export const POOL_AVOID_BUGGY_IPS_ANNOTATION = `${LBIPAM_PREFIX}avoid-buggy-ips`;
/** The widest IPv4 pool the option applies to (its .0/.255 addresses are reserved one by one: 2^17 of them). */
const AVOID_BUGGY_IPS_MAX_PREFIX = 8;
/** Priorities are small integers: bounded input, and far more levels than anyone needs. */
const PRIORITY_LIMIT = 1_000_000;

/** The priority, undefined when absent, or why it is unusable. */
function readPriority(value: string | undefined): number | string | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d{1,7}$/.test(value.trim()) || Math.abs(Number(value)) > PRIORITY_LIMIT) {
    return `${POOL_PRIORITY_ANNOTATION}: ${quote(value.slice(0, 64))} is not an integer between -${PRIORITY_LIMIT} and ${PRIORITY_LIMIT}`;
  }
  return Number(value);
}

/** The Service selector (undefined: every Service), or why it does not parse. */
function readServiceSelector(value: string | undefined): LabelMatcher | string | undefined {
  if (value === undefined) return undefined;
  try {
    return parseSelector(value);
  } catch (error) {
    if (!(error instanceof SelectorSyntaxError)) throw error;
    return `${POOL_SERVICE_SELECTOR_ANNOTATION}: ${error.message}`;
  }
}

/** Whether allocation avoids .0/.255 addresses, or why the value is unusable. */
function readAvoidBuggyIps(value: string | undefined, cidr: Cidr | undefined): boolean | string {
  if (value === undefined || value === "false") return false;
  if (value !== "true")
    return `${POOL_AVOID_BUGGY_IPS_ANNOTATION}: ${quote(value.slice(0, 64))} is not "true" or "false"`;
  if (cidr && cidr.family === 4 && cidr.prefixLength < AVOID_BUGGY_IPS_MAX_PREFIX) {
    return `${POOL_AVOID_BUGGY_IPS_ANNOTATION}: applies to IPv4 pools of /${AVOID_BUGGY_IPS_MAX_PREFIX} or smaller`;
  }
  return true;
}

export function toPoolView(pool: IPPool): PoolView {
  const name = pool.metadata.name ?? "";
  const spec = pool.spec ?? ({} as IPPool["spec"]);
  const parsedTime = Date.parse(pool.metadata.creationTimestamp ?? "");
  const createdAt = Number.isFinite(parsedTime) ? parsedTime : 0;
  const problems: FieldProblem[] = [];

  let definition: PoolDefinition | undefined = {
    name,
    cidr: spec.cidr,
    blockSize: spec.blockSize,
    createdAt,
  };
  let validated: ReturnType<typeof validatePool> | undefined;
  try {
    validated = validatePool(definition);
  } catch (error) {
    if (!(error instanceof InvalidPoolError)) throw error;
    definition = undefined;
    for (const problem of error.problems) {
      problems.push({ ...problem, field: OBJECT_FIELDS[problem.field] ?? problem.field });
    }
  }

  const loadBalancer = allowedUses(spec).includes("LoadBalancer");
  if (loadBalancer) problems.push(...loadBalancerProblems(spec));
  const mode = spec.assignmentMode ?? "Automatic";
  if (mode !== "Automatic" && mode !== "Manual") {
    problems.push({ field: "spec.assignmentMode", value: mode, reason: "must be Automatic or Manual" });
  }

  let namespaceMatcher: LabelMatcher | undefined;
  let selectorError: string | undefined;
  const selector: unknown = spec.namespaceSelector ?? "";
  if (typeof selector !== "string") {
    selectorError = `must be a string, not ${quote(JSON.stringify(selector) ?? "")}`;
  } else {
    try {
      namespaceMatcher = parseSelector(selector);
    } catch (error) {
      if (!(error instanceof SelectorSyntaxError)) throw error;
      selectorError = error.message;
    }
  }

  const { annotations, problem: metadataProblem } = ownAnnotations(pool.metadata);
  const priority = readPriority(annotations[POOL_PRIORITY_ANNOTATION]);
  const avoid = readAvoidBuggyIps(annotations[POOL_AVOID_BUGGY_IPS_ANNOTATION], validated?.cidr);
  if (definition && avoid === true) definition = { ...definition, avoidBuggyIps: true };
  const services = readServiceSelector(annotations[POOL_SERVICE_SELECTOR_ANNOTATION]);
  const annotationErrors = [metadataProblem, priority, avoid, services].filter(
    (problem): problem is string => typeof problem === "string",
  );

  return {
    name,
    definition,
    family: validated?.family,
    cidr: validated?.cidr,
    blockSize: validated?.blockSize,
    mode,
    disabled: spec.disabled === true,
    loadBalancer,
    namespaceMatcher,
    selectorError,
    serviceMatcher: typeof services === "function" ? services : undefined,
    serviceSelector: annotations[POOL_SERVICE_SELECTOR_ANNOTATION],
    priority: typeof priority === "number" ? priority : undefined,
    annotationError: annotationErrors.length > 0 ? annotationErrors.join("; ") : undefined,
    terminating: pool.metadata.deletionTimestamp !== undefined,
    createdAt,
    problems,
  };
}

/** What the pool set says about a pool that the view alone cannot know. */
export interface PoolSetFacts {
  /** The older pool whose CIDR overlaps this one, if any. */
  overlappedBy: string | undefined;
}

function notAllocatable(reason: PoolReason, message: string): Condition {
  return { type: POOL_CONDITION_TYPE, status: "False", reason, message };
}

/** The pool's Allocatable condition (without lastTransitionTime, which the writer sets). */
export function poolCondition(view: PoolView, facts: PoolSetFacts): Condition {
  if (view.problems.length > 0) {
    return notAllocatable(
      PoolReason.InvalidPool,
      listSome(view.problems.map((p) => `${p.field}: ${quote(JSON.stringify(p.value) ?? "")}: ${p.reason}`)),
    );
  }
  if (view.selectorError !== undefined) {
    return notAllocatable(
      PoolReason.InvalidNamespaceSelector,
      `spec.namespaceSelector: ${view.selectorError}`,
    );
  }
  if (view.annotationError !== undefined) {
    return notAllocatable(
      PoolReason.InvalidPoolAnnotation,
      `${view.annotationError}: existing addresses stay, no new ones`,
    );
  }
  if (view.terminating) {
    return notAllocatable(
      PoolReason.Terminating,
      "the pool is being deleted; its addresses are being released",
    );
  }
  if (facts.overlappedBy !== undefined) {
    return notAllocatable(
      PoolReason.CIDROverlap,
      `the CIDR overlaps the older pool ${facts.overlappedBy}, which keeps serving; this pool serves nothing until the overlap is gone`,
    );
  }
  if (view.disabled) {
    return notAllocatable(
      PoolReason.PoolDisabled,
      "spec.disabled is true: existing addresses stay, no new ones",
    );
  }
  if (!view.loadBalancer) {
    return notAllocatable(
      PoolReason.NotLoadBalancer,
      "spec.allowedUses does not include LoadBalancer; lbipam assigns nothing from this pool",
    );
  }
  return {
    type: POOL_CONDITION_TYPE,
    status: "True",
    reason: PoolReason.Allocatable,
    message: "the pool hands out addresses",
  };
}

/**
 * A count as JSON carries it exactly: a number up to 2^53 - 1, a decimal
 * string past it (an IPv6 /64, or a reservation covering one).
 */
export function exactCount(value: bigint): number | string {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}

/** The pool's status.addresses from the allocator's counts (none yet: zero), exact at any size. */
export function poolAddresses(view: PoolView, counts: PoolCounts | undefined): IPPoolStatus["addresses"] {
  if (view.cidr === undefined) return undefined;
  return {
    family: view.cidr.family === 4 ? "IPv4" : "IPv6",
    total: exactCount(cidrSize(view.cidr)),
    allocated: counts?.allocated ?? 0,
    reserved: exactCount(counts?.reserved ?? 0n),
  };
}
