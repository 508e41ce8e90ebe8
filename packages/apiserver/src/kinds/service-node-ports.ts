// Node ports and the health check node port of NodePort and LoadBalancer Services, as
// kube-apiserver's Service registry claims and frees them.
import { invalid } from "../validation/field.js";
import {
  type AllocationTransaction,
  invalidFailure,
  ServiceAllocationFailure,
} from "./allocation-transaction.js";
import { AllocationError, type ServiceAllocators } from "./allocators.js";
import {
  allocatesNodePorts,
  needsHealthCheckNodePort,
  needsNodePorts,
  type ServiceSpec,
} from "./service-shape.js";

export function nodePortsOf(spec: ServiceSpec | undefined): number[] {
  return (spec?.ports ?? []).map((p) => p.nodePort ?? 0).filter((p) => p !== 0);
}

function claimNodePort(
  txn: AllocationTransaction,
  allocators: ServiceAllocators,
  nodePort: number,
  index: number,
): void {
  try {
    txn.claim(allocators.nodePorts, nodePort);
  } catch (err) {
    if (!(err instanceof AllocationError)) throw err;
    throw invalidFailure([invalid(`spec.ports[${index}].nodePort`, nodePort, err.message)]);
  }
}

function claimNextNodePort(txn: AllocationTransaction, allocators: ServiceAllocators): number {
  try {
    return txn.claimNext(allocators.nodePorts);
  } catch (err) {
    if (!(err instanceof AllocationError)) throw err;
    throw new ServiceAllocationFailure(500, [], `failed to allocate a nodePort: ${err.message}`);
  }
}

/** On create, ports sharing a port number (say TCP and UDP 53) share one node port. */
export function initNodePorts(
  spec: ServiceSpec,
  allocators: ServiceAllocators,
  txn: AllocationTransaction,
): void {
  const ports = spec.ports ?? [];
  const byPortNumber = new Map<number | undefined, number>();
  ports.forEach((port, i) => {
    if (!port.nodePort && !allocatesNodePorts(spec)) return;
    const shared = byPortNumber.get(port.port);
    if (shared === undefined) {
      const requested = ports.find((p) => p.port === port.port && p.nodePort)?.nodePort;
      if (requested) claimNodePort(txn, allocators, requested, i);
      port.nodePort = requested || claimNextNodePort(txn, allocators);
      byPortNumber.set(port.port, port.nodePort);
    } else if (port.nodePort !== shared) {
      if (!port.nodePort) port.nodePort = shared;
      else claimNodePort(txn, allocators, port.nodePort, i);
    }
  });
}

/** On update, new node ports are claimed and those the old version held and the new one lacks are freed. */
export function updateNodePorts(
  spec: ServiceSpec,
  old: ServiceSpec,
  allocators: ServiceAllocators,
  txn: AllocationTransaction,
): void {
  const oldPorts = nodePortsOf(old);
  if (needsNodePorts(spec)) {
    const claimedHere = new Set<number>();
    (spec.ports ?? []).forEach((port, i) => {
      if (!port.nodePort) {
        if (allocatesNodePorts(spec)) port.nodePort = claimNextNodePort(txn, allocators);
        return;
      }
      if (oldPorts.includes(port.nodePort) || claimedHere.has(port.nodePort)) return;
      claimNodePort(txn, allocators, port.nodePort, i);
      claimedHere.add(port.nodePort);
    });
  }
  const kept = needsNodePorts(spec) ? nodePortsOf(spec) : [];
  for (const port of new Set(oldPorts)) {
    if (!kept.includes(port)) txn.releaseOnCommit(allocators.nodePorts, port);
  }
}

export function allocateHealthCheckNodePort(
  spec: ServiceSpec,
  old: ServiceSpec | undefined,
  allocators: ServiceAllocators,
  txn: AllocationTransaction,
): void {
  const needed = needsHealthCheckNodePort(spec);
  const neededBefore = old !== undefined && needsHealthCheckNodePort(old);
  const oldPort = old?.healthCheckNodePort ?? 0;
  if (neededBefore && !needed) {
    if (oldPort) txn.releaseOnCommit(allocators.nodePorts, oldPort);
    return;
  }
  // A change of a needed port is refused by validation, not here.
  if (!needed || neededBefore) return;
  const requested = spec.healthCheckNodePort ?? 0;
  try {
    if (requested) txn.claim(allocators.nodePorts, requested);
    else spec.healthCheckNodePort = txn.claimNext(allocators.nodePorts);
  } catch (err) {
    if (!(err instanceof AllocationError)) throw err;
    const message = requested
      ? `failed to allocate requested HealthCheck NodePort ${requested}: ${err.message}`
      : `failed to allocate a HealthCheck NodePort 0: ${err.message}`;
    throw new ServiceAllocationFailure(500, [], message);
  }
}
