// ipFamilies/ipFamilyPolicy defaulting and cluster IP allocation of kube-apiserver's Service
// registry (pkg/registry/core/service/storage/alloc.go), with node ports, as one transaction per write.
import type { FieldCause } from "../types.js";
import { invalid } from "../validation/field.js";
import { AllocationTransaction, invalidFailure, ServiceAllocationFailure } from "./allocation-transaction.js";
import { AllocationError, type RangeAllocator, type ServiceAllocators } from "./allocators.js";
import { type IPFamily, parseIP } from "./ip.js";
import { validateClusterIPFields } from "./service-ip-validation.js";
import {
  allocateHealthCheckNodePort,
  initNodePorts,
  nodePortsOf,
  updateNodePorts,
} from "./service-node-ports.js";
import {
  isHeadless,
  needsClusterIP,
  needsHealthCheckNodePort,
  needsNodePorts,
  type ServiceSpec,
} from "./service-shape.js";

const otherFamily = (family: string): IPFamily => (family === "IPv4" ? "IPv6" : "IPv4");

function configuredFamilies(allocators: ServiceAllocators): IPFamily[] {
  return (["IPv4", "IPv6"] as const).filter((f) => allocators.ips[f] !== undefined);
}

function sameList(a: readonly unknown[] | undefined, b: readonly unknown[] | undefined): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
}

/** An unchanged PreferDualStack Service is not upgraded or downgraded when the cluster changes. */
function unchangedPreferDualStack(spec: ServiceSpec, old: ServiceSpec | undefined): boolean {
  if (!old || spec.ipFamilyPolicy === undefined || old.type !== spec.type) return false;
  if (!["ClusterIP", "NodePort", "LoadBalancer"].includes(spec.type ?? "")) return false;
  if (
    spec.ipFamilyPolicy !== "PreferDualStack" ||
    (old.ipFamilyPolicy ?? "PreferDualStack") !== "PreferDualStack"
  ) {
    return false;
  }
  return sameList(spec.clusterIPs, old.clusterIPs) && sameList(spec.ipFamilies, old.ipFamilies);
}

/**
 * On update, SingleStack with unchanged clusterIPs/ipFamilies drops the secondary; any other policy
 * may not drop it.
 */
function prepareFamilyUpdate(spec: ServiceSpec, old: ServiceSpec): FieldCause[] {
  if (spec.ipFamilyPolicy === "SingleStack") {
    if (sameList(spec.clusterIPs, old.clusterIPs) && (spec.clusterIPs?.length ?? 0) > 1) {
      spec.clusterIPs = spec.clusterIPs!.slice(0, 1);
    }
    if (sameList(spec.ipFamilies, old.ipFamilies) && (spec.ipFamilies?.length ?? 0) > 1) {
      spec.ipFamilies = spec.ipFamilies!.slice(0, 1);
    }
    return [];
  }
  const reduced = (next: unknown[] | undefined, prev: unknown[] | undefined) =>
    (next?.length ?? 0) > 0 && (next?.length ?? 0) < (prev?.length ?? 0);
  const causes: FieldCause[] = [];
  if (reduced(spec.clusterIPs, old.clusterIPs)) {
    causes.push(
      invalid(
        "spec.ipFamilyPolicy",
        spec.ipFamilyPolicy ?? null,
        "must be 'SingleStack' to release the secondary cluster IP",
      ),
    );
  }
  if (reduced(spec.ipFamilies, old.ipFamilies)) {
    causes.push(
      invalid(
        "spec.ipFamilyPolicy",
        spec.ipFamilyPolicy ?? null,
        "must be 'SingleStack' to release the secondary IP family",
      ),
    );
  }
  return causes;
}

/** Defaults ipFamilyPolicy and ipFamilies and checks them against the cluster's families. */
export function initIPFamilyFields(
  spec: ServiceSpec,
  old: ServiceSpec | undefined,
  allocators: ServiceAllocators,
): void {
  if (spec.type === "ExternalName" || unchangedPreferDualStack(spec, old)) return;
  const selectorless = Object.keys(spec.selector ?? {}).length === 0;
  // Updates keep the stored policy; headless selectorless Services default to dual-stack.
  spec.ipFamilyPolicy ??=
    old?.ipFamilyPolicy ?? (isHeadless(spec) && selectorless ? "RequireDualStack" : "SingleStack");
  const preErrors = validateClusterIPFields(spec);
  if (preErrors.length > 0) throw invalidFailure(preErrors);
  const causes: FieldCause[] = [];
  if (old) causes.push(...prepareFamilyUpdate(spec, old));
  const ips = spec.clusterIPs ?? [];
  if (spec.ipFamilyPolicy === "SingleStack") {
    if (ips.length === 2) {
      causes.push(
        invalid(
          "spec.ipFamilyPolicy",
          spec.ipFamilyPolicy,
          "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified",
        ),
      );
    }
    if ((spec.ipFamilies?.length ?? 0) === 2) {
      causes.push(
        invalid(
          "spec.ipFamilyPolicy",
          spec.ipFamilyPolicy,
          "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified",
        ),
      );
    }
  }
  const configured = configuredFamilies(allocators);
  const families = [...(spec.ipFamilies ?? [])];
  for (let i = 0; i < ips.length && ips[i] !== "None"; i++) {
    const family = parseIP(ips[i]!)?.family;
    if (family && i >= families.length) {
      if (configured.includes(family)) families.push(family);
      else causes.push(invalid(`spec.clusterIPs[${i}]`, ips, `${family} is not configured on this cluster`));
    }
  }
  if (causes.length > 0) throw invalidFailure(causes);
  const dualStackRequested = spec.ipFamilyPolicy !== "SingleStack";
  if (isHeadless(spec) && selectorless) {
    if (families.length === 0) families.push(allocators.primaryFamily);
    if (dualStackRequested && families.length < 2) families.push(otherFamily(families[0]!));
    spec.ipFamilies = families;
    return;
  }
  if (spec.ipFamilyPolicy === "RequireDualStack" && configured.length < 2) {
    causes.push(
      invalid(
        "spec.ipFamilyPolicy",
        spec.ipFamilyPolicy,
        "this cluster is not configured for dual-stack services",
      ),
    );
  }
  families.forEach((family, i) => {
    if (!configured.includes(family as IPFamily)) {
      causes.push(invalid(`spec.ipFamilies[${i}]`, family, "not configured on this cluster"));
    }
  });
  if (causes.length > 0) throw invalidFailure(causes);
  if (families.length === 0) families.push(allocators.primaryFamily);
  if (dualStackRequested && families.length === 1 && configured.length === 2)
    families.push(otherFamily(families[0]!));
  spec.ipFamilies = families;
}

function ipAllocator(allocators: ServiceAllocators, family: string): RangeAllocator<string> {
  const allocator = allocators.ips[family as IPFamily];
  if (!allocator) throw new ServiceAllocationFailure(500, [], `no allocator for IP family ${family}`);
  return allocator;
}

/** Claims one cluster IP per family; `wanted` holds the requested IP or "" for any. */
function allocateIP(
  spec: ServiceSpec,
  family: string,
  wanted: string,
  allocators: ServiceAllocators,
  txn: AllocationTransaction,
): string {
  const allocator = ipAllocator(allocators, family);
  try {
    if (wanted === "") return txn.claimNext(allocator);
    txn.claim(allocator, wanted);
    return wanted;
  } catch (err) {
    if (!(err instanceof AllocationError)) throw err;
    if (wanted === "")
      throw new ServiceAllocationFailure(500, [], `failed to allocate a serviceIP: ${err.message}`);
    throw invalidFailure([
      invalid("spec.clusterIPs", spec.clusterIPs ?? [], `failed to allocate IP ${wanted}: ${err.message}`),
    ]);
  }
}

function allocateClusterIPs(
  spec: ServiceSpec,
  allocators: ServiceAllocators,
  txn: AllocationTransaction,
): void {
  if (!needsClusterIP(spec) || isHeadless(spec)) return;
  const ips = spec.clusterIPs ?? [];
  spec.clusterIPs = (spec.ipFamilies ?? []).map((family, i) =>
    allocateIP(spec, family, ips[i] ?? "", allocators, txn),
  );
  spec.clusterIP = spec.clusterIPs[0];
}

function updateClusterIPs(
  spec: ServiceSpec,
  old: ServiceSpec,
  allocators: ServiceAllocators,
  txn: AllocationTransaction,
): void {
  if (unchangedPreferDualStack(spec, old)) return;
  if (old.type === "ExternalName" && spec.type !== "ExternalName") {
    allocateClusterIPs(spec, allocators, txn);
    return;
  }
  if (isHeadless(old)) return;
  const oldFamilies = old.ipFamilies ?? [];
  const oldIPs = old.clusterIPs ?? [];
  if (spec.type === "ExternalName") {
    oldFamilies.forEach((family, i) => {
      if (oldIPs[i]) txn.releaseOnCommit(ipAllocator(allocators, family), oldIPs[i]!);
    });
    return;
  }
  const families = spec.ipFamilies ?? [];
  if (oldFamilies.length === 1 && families.length === 2) {
    const ips = [...(spec.clusterIPs ?? [])];
    ips[1] = allocateIP(spec, families[1]!, ips[1] ?? "", allocators, txn);
    spec.clusterIPs = ips;
  } else if (oldFamilies.length === 2 && families.length === 1 && oldIPs[1]) {
    txn.releaseOnCommit(ipAllocator(allocators, oldFamilies[1]!), oldIPs[1]);
  }
}

/**
 * Allocates what a Service being created (`old` undefined) or updated needs, in place.
 * Throws ServiceAllocationFailure after reverting its own claims.
 */
export function allocateService(
  spec: ServiceSpec,
  old: ServiceSpec | undefined,
  allocators: ServiceAllocators,
): AllocationTransaction {
  const txn = new AllocationTransaction();
  try {
    initIPFamilyFields(spec, old, allocators);
    if (old) updateClusterIPs(spec, old, allocators, txn);
    else allocateClusterIPs(spec, allocators, txn);
    if (old) updateNodePorts(spec, old, allocators, txn);
    else if (needsNodePorts(spec)) initNodePorts(spec, allocators, txn);
    allocateHealthCheckNodePort(spec, old, allocators, txn);
  } catch (err) {
    txn.revert();
    throw err;
  }
  return txn;
}

/** Frees everything a deleted Service held: cluster IPs, node ports and its health check node port. */
export function releaseServiceAllocations(
  spec: ServiceSpec | undefined,
  allocators: ServiceAllocators,
): void {
  if (!spec) return;
  if (needsClusterIP(spec) && !isHeadless(spec)) {
    (spec.ipFamilies ?? []).forEach((family, i) => {
      const ip = spec.clusterIPs?.[i];
      if (ip) allocators.ips[family as IPFamily]?.release(ip);
    });
  }
  for (const port of new Set(nodePortsOf(spec))) allocators.nodePorts.release(port);
  if (needsHealthCheckNodePort(spec) && spec.healthCheckNodePort)
    allocators.nodePorts.release(spec.healthCheckNodePort);
}
