// The part of a Service's status lbipam writes, and whether it changed.
import type { Condition, LoadBalancerIngress, Service } from "@lbipam/api";
import { sameJson } from "./same-json.js";

export interface ServiceStatusPatch {
  loadBalancer: { ingress: LoadBalancerIngress[] };
  conditions: Condition[];
}

export function statusChanged(service: Service, patch: ServiceStatusPatch): boolean {
  return (
    !sameJson(service.status?.loadBalancer?.ingress ?? [], patch.loadBalancer.ingress) ||
    !sameJson(service.status?.conditions ?? [], patch.conditions)
  );
}
