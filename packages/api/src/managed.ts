// Which Services lbipam manages, and which IP families it serves for each.
import type { Family } from "@lbipam/allocator";
import type { ServiceRequest } from "./annotations.js";
import type { AssignIPs, Service } from "./resources.js";

export interface ManagementConfig {
  assignIPs: AssignIPs;
  /** The controller's spec.loadBalancerClass (flag, default "calico"). */
  loadBalancerClass: string;
}

/** Undefined when lbipam manages the Service; otherwise why not (for logs). */
export function whyUnmanaged(
  service: Service,
  request: ServiceRequest,
  config: ManagementConfig,
): string | undefined {
  const spec = service.spec ?? {};
  if (spec.type !== "LoadBalancer") return `spec.type is ${spec.type ?? "unset"}, not LoadBalancer`;
  // Kubernetes refuses an empty class, so "" can only come from a hand-made object: read it as unset.
  const cls = spec.loadBalancerClass || undefined;
  if (cls !== undefined && cls !== config.loadBalancerClass) {
    return `spec.loadBalancerClass is ${cls}, not ${config.loadBalancerClass}`;
  }
  if (config.assignIPs === "RequestedServicesOnly" && cls === undefined && !request.asks) {
    return "assignIPs is RequestedServicesOnly and the Service asks for no pool or address";
  }
  return undefined;
}

const FAMILY_OF = new Map<unknown, Family>([
  ["IPv4", 4],
  ["IPv6", 6],
]);

/**
 * The families to serve, in spec.ipFamilies order: SingleStack (and an
 * absent policy) the first only, dual-stack policies every listed family.
 * An absent or empty ipFamilies means IPv4, as kube-apiserver defaults a
 * single-stack Service on an IPv4 cluster.
 */
export function requestedFamilies(service: Service): Family[] {
  const ipFamilies: unknown = service.spec?.ipFamilies;
  const listed = Array.isArray(ipFamilies) ? ipFamilies.map((name) => FAMILY_OF.get(name)) : [];
  const families = [...new Set(listed.filter((family) => family !== undefined))];
  if (families.length === 0) return [4];
  const policy = service.spec?.ipFamilyPolicy ?? "SingleStack";
  return policy === "SingleStack" ? families.slice(0, 1) : families;
}
