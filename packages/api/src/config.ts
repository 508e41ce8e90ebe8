// The load-balancer configuration in force, read from the KubeControllersConfiguration
// named "default". Absent object, section or key: AllServices (Calico would
// disable the controller instead and leave Services pending, calico#10476).
import type { AssignIPs, KubeControllersConfiguration } from "./resources.js";

export const DEFAULT_CONFIGURATION_NAME = "default";
export const DEFAULT_LOAD_BALANCER_CLASS = "calico";
const ASSIGN_IPS_VALUES: readonly AssignIPs[] = ["AllServices", "RequestedServicesOnly"];

export interface LoadBalancerConfig {
  assignIPs: AssignIPs;
  /** Why a value present in the object was not used (shown in logs and the object's status). */
  problems: string[];
}

/**
 * Reads `spec.controllers.loadBalancer.assignIPs`, the key matched without
 * regard to case (the upstream docs write `AssignIPs`). An unknown value, or
 * two spellings with different values, is a problem and falls back to
 * AllServices: the default never takes addresses away from Services.
 */
export function readLoadBalancerConfig(object: KubeControllersConfiguration | undefined): LoadBalancerConfig {
  const section = object?.spec?.controllers?.loadBalancer;
  const problems: string[] = [];
  if (section === undefined || section === null || typeof section !== "object") {
    return { assignIPs: "AllServices", problems };
  }
  const values = Object.entries(section).filter(([key]) => key.toLowerCase() === "assignips");
  const distinct = [...new Set(values.map(([, value]) => value))];
  if (distinct.length > 1) {
    problems.push(
      `spec.controllers.loadBalancer: ${values.map(([key, value]) => `${key}=${JSON.stringify(value)}`).join(", ")} disagree; using AllServices`,
    );
    return { assignIPs: "AllServices", problems };
  }
  const value = distinct[0];
  if (value === undefined) return { assignIPs: "AllServices", problems };
  if (!ASSIGN_IPS_VALUES.includes(value as AssignIPs)) {
    problems.push(
      `spec.controllers.loadBalancer.${values[0]![0]}: ${JSON.stringify(value)} is not one of ${ASSIGN_IPS_VALUES.join(", ")}; using AllServices`,
    );
    return { assignIPs: "AllServices", problems };
  }
  return { assignIPs: value as AssignIPs, problems };
}

/**
 * Calico's own LoadBalancer controller (kube-controllers) is running: it
 * writes `status.runningConfig.controllers.loadBalancer` of the configuration
 * at start, and rewrites it without that key when started without the
 * controller. In a cluster of lbipam's own CRDs lbipam writes that status
 * itself, so only a configuration lbipam does not own can say so.
 */
export function calicoControllerActive(
  object: KubeControllersConfiguration | undefined,
  ownedByLbipam: boolean,
): boolean {
  if (ownedByLbipam) return false;
  const running = (
    object as { status?: { runningConfig?: { controllers?: { loadBalancer?: unknown } } } } | undefined
  )?.status?.runningConfig?.controllers?.loadBalancer;
  return running !== undefined && running !== null;
}
