// The part of a Service's status lbipam writes, and whether it changed.
import { type Condition, type LoadBalancerIngress, SERVICE_CONDITION_TYPE, type Service } from "@lbipam/api";
import { sameJson } from "./same-json.js";

export interface ServiceStatusPatch {
  loadBalancer: { ingress: LoadBalancerIngress[] };
  conditions: Condition[];
}

/**
 * The conditions to write: the others untouched, ours replaced (or removed
 * when `ours` is undefined), keeping its lastTransitionTime while its status
 * stays the same.
 */
export function mergeConditions(
  existing: readonly Condition[] | undefined,
  ours: Omit<Condition, "lastTransitionTime"> | undefined,
  now: string,
  generation: number | undefined,
): Condition[] {
  const others = (existing ?? []).filter((c) => c.type !== SERVICE_CONDITION_TYPE);
  if (!ours) return others;
  const previous = existing?.find((c) => c.type === SERVICE_CONDITION_TYPE);
  const lastTransitionTime =
    previous && previous.status === ours.status && previous.lastTransitionTime
      ? previous.lastTransitionTime
      : now;
  const condition: Condition = { ...ours, lastTransitionTime };
  if (generation !== undefined) condition.observedGeneration = generation;
  return [...others, condition];
}

export function statusChanged(service: Service, patch: ServiceStatusPatch): boolean {
  return (
    !sameJson(service.status?.loadBalancer?.ingress ?? [], patch.loadBalancer.ingress) ||
    !sameJson(service.status?.conditions ?? [], patch.conditions)
  );
}

/** Now as Kubernetes writes times: RFC 3339 with whole seconds. */
export function kubeNow(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, "Z");
}
