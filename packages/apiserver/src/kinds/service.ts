// Service writes as kube-apiserver performs them: decode defaults, the registry's preparation,
// allocation of cluster IPs and node ports, then validation.
import type { FieldCause } from "../types.js";
import { ServiceAllocationFailure } from "./allocation-transaction.js";
import type { ServiceAllocators } from "./allocators.js";
import { allocateService, releaseServiceAllocations } from "./service-allocation.js";
import { setServiceDefaults } from "./service-defaults.js";
import {
  externallyAccessible,
  needsClusterIP,
  needsHealthCheckNodePort,
  needsNodePorts,
  type Service,
  type ServiceSpec,
  specOf,
} from "./service-shape.js";
import { validateServiceStatusUpdate } from "./service-status-validation.js";
import { validateService, validateServiceUpdate } from "./service-validation.js";

export interface ServiceWriteSuccess {
  ok: true;
  /** The Service to store. */
  service: Service;
  /** Call once the Service is stored: frees what the previous version held and no longer needs. */
  commit(): void;
  /** Call if the write is abandoned after all (e.g. a conflict): gives back what was allocated. */
  revert(): void;
}

export interface ServiceWriteFailure {
  ok: false;
  /** 422 Invalid with field causes, or 500 InternalError with `message` (kube prefixes "Internal error occurred: "). */
  status: 422 | 500;
  causes: FieldCause[];
  message: string;
}

export type ServiceWriteResult = ServiceWriteSuccess | ServiceWriteFailure;

function copy(service: Service): Service {
  return structuredClone(service);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** Keeps clusterIP and clusterIPs in step when a client set only one of them. */
function normalizeClusterIPs(spec: ServiceSpec, old: ServiceSpec | undefined): void {
  if (!old) {
    if (spec.clusterIP && (spec.clusterIPs?.length ?? 0) === 0) spec.clusterIPs = [spec.clusterIP];
    return;
  }
  if (
    (old.clusterIPs?.length ?? 0) > 0 &&
    (spec.clusterIPs?.length ?? 0) === 0 &&
    old.clusterIP === spec.clusterIP
  ) {
    spec.clusterIPs = old.clusterIPs;
  }
  if (old.clusterIP !== spec.clusterIP) {
    if (old.clusterIP && !spec.clusterIP) {
      delete spec.clusterIPs;
      return;
    }
    if (same(old.clusterIPs, spec.clusterIPs) && spec.clusterIP) spec.clusterIPs = [spec.clusterIP];
  }
}

/** Fills in what the client left out but the stored Service already holds, so updates are idempotent. */
function patchAllocatedValues(spec: ServiceSpec, old: ServiceSpec): void {
  if (needsClusterIP(old) && needsClusterIP(spec)) {
    if (!spec.clusterIP && old.clusterIP) spec.clusterIP = old.clusterIP;
    if ((spec.clusterIPs?.length ?? 0) === 0 && (old.clusterIPs?.length ?? 0) > 0)
      spec.clusterIPs = old.clusterIPs;
  }
  if (needsNodePorts(old) && needsNodePorts(spec)) {
    const used = (s: ServiceSpec) =>
      new Set((s.ports ?? []).map((p) => p.nodePort ?? 0).filter((p) => p !== 0));
    const newUsed = used(spec);
    const taken = new Set([...used(old)].filter((p) => newUsed.has(p)));
    const byName = new Map((old.ports ?? []).map((p) => [p.name ?? "", p.nodePort ?? 0]));
    for (const port of spec.ports ?? []) {
      if (port.nodePort) continue;
      const previous = byName.get(port.name ?? "") ?? 0;
      if (previous && !taken.has(previous)) port.nodePort = previous;
    }
  }
  if (needsHealthCheckNodePort(old) && needsHealthCheckNodePort(spec) && !spec.healthCheckNodePort) {
    spec.healthCheckNodePort = old.healthCheckNodePort;
  }
}

/** Clears what a type change leaves meaningless, when the client did not change it itself. */
function dropTypeDependentFields(service: Service, old: Service): void {
  const spec = specOf(service);
  const oldSpec = old.spec ?? {};
  if (needsClusterIP(oldSpec) && !needsClusterIP(spec)) {
    if (same(oldSpec.clusterIPs, spec.clusterIPs) && oldSpec.clusterIP === spec.clusterIP) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (same(oldSpec.ipFamilies, spec.ipFamilies)) delete spec.ipFamilies;
    if (oldSpec.ipFamilyPolicy === spec.ipFamilyPolicy) delete spec.ipFamilyPolicy;
  }
  const nodePorts = (s: ServiceSpec) => (s.ports ?? []).map((p) => p.nodePort ?? 0);
  if (needsNodePorts(oldSpec) && !needsNodePorts(spec) && same(nodePorts(oldSpec), nodePorts(spec))) {
    for (const port of spec.ports ?? []) delete port.nodePort;
  }
  if (
    needsHealthCheckNodePort(oldSpec) &&
    !needsHealthCheckNodePort(spec) &&
    oldSpec.healthCheckNodePort === spec.healthCheckNodePort
  ) {
    delete spec.healthCheckNodePort;
  }
  if (oldSpec.type === "LoadBalancer" && spec.type !== "LoadBalancer") {
    if (
      spec.allocateLoadBalancerNodePorts !== undefined &&
      spec.allocateLoadBalancerNodePorts === oldSpec.allocateLoadBalancerNodePorts
    ) {
      delete spec.allocateLoadBalancerNodePorts;
    }
    if (spec.loadBalancerClass === oldSpec.loadBalancerClass) delete spec.loadBalancerClass;
  }
  if (
    externallyAccessible(oldSpec) &&
    !externallyAccessible(spec) &&
    spec.externalTrafficPolicy === oldSpec.externalTrafficPolicy
  ) {
    delete spec.externalTrafficPolicy;
  }
  // The load balancer status goes with the type, though de-provisioning is asynchronous.
  if (spec.type !== "LoadBalancer") service.status = { ...service.status, loadBalancer: {} };
}

function write(
  service: Service,
  old: Service | undefined,
  allocators: ServiceAllocators,
): ServiceWriteResult {
  try {
    const txn = allocateService(specOf(service), old?.spec, allocators);
    const causes = old ? validateServiceUpdate(service, old) : validateService(service);
    if (causes.length > 0) {
      txn.revert();
      return { ok: false, status: 422, causes, message: "" };
    }
    return { ok: true, service, commit: () => txn.commit(), revert: () => txn.revert() };
  } catch (err) {
    if (!(err instanceof ServiceAllocationFailure)) throw err;
    return { ok: false, status: err.status, causes: err.causes, message: err.message };
  }
}

/**
 * Creates a Service: defaults, empties status, allocates cluster IPs (per ipFamilies) and node
 * ports, validates. The input is not modified.
 */
export function createService(input: Service, allocators: ServiceAllocators): ServiceWriteResult {
  const service = setServiceDefaults(copy(input));
  service.status = { loadBalancer: {} };
  normalizeClusterIPs(specOf(service), undefined);
  return write(service, undefined, allocators);
}

/**
 * Updates a Service through the main resource: status is kept from `stored`, fields a type change
 * makes meaningless are dropped, allocations follow the new spec. The inputs are not modified.
 */
export function updateService(
  input: Service,
  stored: Service,
  allocators: ServiceAllocators,
): ServiceWriteResult {
  const service = setServiceDefaults(copy(input));
  const old = copy(stored);
  service.status = copy(old).status ?? {};
  dropTypeDependentFields(service, old);
  patchAllocatedValues(specOf(service), old.spec ?? {});
  normalizeClusterIPs(specOf(service), old.spec ?? {});
  return write(service, old, allocators);
}

/** A write to /status: only status changes (with its defaults), validated as kube does. */
export function updateServiceStatus(
  input: Service,
  stored: Service,
): { service: Service; causes: FieldCause[] } {
  const service: Service = { ...copy(input), spec: copy(stored).spec ?? {} };
  setServiceDefaults(service);
  return { service, causes: validateServiceStatusUpdate(service, stored) };
}

/** What a deleted Service held goes back to the allocators. */
export function releaseService(stored: Service, allocators: ServiceAllocators): void {
  releaseServiceAllocations(stored.spec, allocators);
}
