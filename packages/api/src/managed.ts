// Which Services lbipam manages, and which IP families it serves for each.
import type { Family } from "@lbipam/allocator";
import type { ServiceRequest } from "./annotations.js";
import type { AssignIPs, Service } from "./resources.js";

export interface ManagementConfig {
  assignIPs: AssignIPs;
  /** The controller's spec.loadBalancerClass (flag, default "calico"). */
  loadBalancerClass: string;
  /** Calico's own LoadBalancer controller is running (calicoControllerActive): its Services are not lbipam's. */
  calicoControllerActive?: boolean;
}

/** Calico's controller serves Services with no class or this one (kube-controllers' loadbalancer controller). */
export const CALICO_LOAD_BALANCER_CLASS = "calico";

/** Why lbipam leaves a Service alone: a code for programs, a message for people. */
export type UnmanagedCode = "NotLoadBalancer" | "OtherClass" | "NotRequested" | "CalicoController";

export interface Unmanaged {
  code: UnmanagedCode;
  message: string;
}

/**
 * The class a Service asks for: Kubernetes refuses an empty
 * spec.loadBalancerClass, so "" can only come from a hand-made object and
 * reads as unset. The one reading of the field, for deciding and rebuilding.
 */
export function loadBalancerClassOf(service: Service): string | undefined {
  return service.spec?.loadBalancerClass || undefined;
}

/** Undefined when lbipam manages the Service; otherwise why not. */
export function whyUnmanaged(
  service: Service,
  request: ServiceRequest,
  config: ManagementConfig,
): Unmanaged | undefined {
  const spec = service.spec ?? {};
  if (spec.type !== "LoadBalancer") {
    return { code: "NotLoadBalancer", message: `spec.type is ${spec.type ?? "unset"}, not LoadBalancer` };
  }
  const cls = loadBalancerClassOf(service);
  // Two controllers must never write one Service's status: while Calico's runs, its Services are its own.
  if (config.calicoControllerActive && (cls === undefined || cls === CALICO_LOAD_BALANCER_CLASS)) {
    return {
      code: "CalicoController",
      message: `Calico's own LoadBalancer controller is running (KubeControllersConfiguration default, status.runningConfig) and serves Services with ${cls === undefined ? "no spec.loadBalancerClass" : `spec.loadBalancerClass ${cls}`}; lbipam leaves it, and what it shows, alone`,
    };
  }
  if (cls !== undefined && cls !== config.loadBalancerClass) {
    return {
      code: "OtherClass",
      message: `spec.loadBalancerClass is ${cls}, not ${config.loadBalancerClass}`,
    };
  }
  if (config.assignIPs === "RequestedServicesOnly" && cls === undefined && !request.asks) {
    return {
      code: "NotRequested",
      message: "assignIPs is RequestedServicesOnly and the Service asks for no pool or address",
    };
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
