// The controller's view of a cluster rebuilt from its objects: pool views, the
// allocator's PoolSet with reservations, and who holds what from the Services'
// status (oldest Service first, as the controller does at start). Both the
// live commands and `simulate` start from here.
import { type Address, PoolSet } from "@lbipam/allocator";
import {
  DEFAULT_LOAD_BALANCER_CLASS,
  type DecisionInput,
  type IPPool,
  type IPReservation,
  type KubeControllersConfiguration,
  type Labels,
  type ManagementConfig,
  type Namespace,
  type PoolView,
  parseIngressAddress,
  readLoadBalancerConfig,
  reservedCidrs,
  type Service,
  serviceKey,
  toPoolView,
} from "@lbipam/api";
import { Holders } from "./holders.js";

/** The objects the controller reads. */
export interface ClusterObjects {
  pools: IPPool[];
  reservations: IPReservation[];
  services: Service[];
  namespaces: Namespace[];
  /** The KubeControllersConfiguration named `default`, if any. */
  configuration: KubeControllersConfiguration | undefined;
}

export interface StateOptions {
  /** The controller's spec.loadBalancerClass (default `calico`). */
  loadBalancerClass?: string;
}

/** Two Services showing one address: the older keeps it. */
export interface HoldConflict {
  address: string;
  keptBy: string;
  lostBy: string;
}

export function conflictMessage(c: HoldConflict): string {
  return `${c.address} is in the status of both ${c.keptBy} and ${c.lostBy}; the older, ${c.keptBy}, keeps it`;
}

export interface ClusterState {
  views: Map<string, PoolView>;
  poolSet: PoolSet;
  holders: Holders;
  config: ManagementConfig;
  /** Configuration and reservation entries that could not be used. */
  problems: string[];
  conflicts: HoldConflict[];
  namespaceLabels(namespace: string): Labels;
}

/** Oldest first: creationTimestamp, then namespace/name (the controller's order). */
export function olderFirst(a: Service, b: Service): number {
  const ta = a.metadata.creationTimestamp ?? "";
  const tb = b.metadata.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = serviceKey(a);
  const kb = serviceKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** A LoadBalancer Service of the controller's class (or of none): its status addresses count as held. */
export function ofOurClass(service: Service, loadBalancerClass: string): boolean {
  const cls = service.spec?.loadBalancerClass || undefined;
  return service.spec?.type === "LoadBalancer" && (cls === undefined || cls === loadBalancerClass);
}

export function buildState(objects: ClusterObjects, options: StateOptions = {}): ClusterState {
  const loadBalancerClass = options.loadBalancerClass ?? DEFAULT_LOAD_BALANCER_CLASS;
  const views = new Map<string, PoolView>();
  const poolSet = new PoolSet();
  const byName = [...objects.pools].sort((a, b) =>
    (a.metadata.name ?? "") < (b.metadata.name ?? "") ? -1 : 1,
  );
  for (const pool of byName) {
    const view = toPoolView(pool);
    if (views.has(view.name)) continue;
    views.set(view.name, view);
    // Every pool with a usable CIDR joins the set, whatever it is for, so overlaps are seen.
    if (view.definition) poolSet.add(view.definition);
  }
  const reserved = reservedCidrs(objects.reservations);
  poolSet.setReservations(reserved.cidrs);
  const loadBalancer = readLoadBalancerConfig(objects.configuration);

  const holders = new Holders();
  const conflicts: HoldConflict[] = [];
  const ours = objects.services.filter((service) => ofOurClass(service, loadBalancerClass));
  for (const service of [...ours].sort(olderFirst)) {
    const key = serviceKey(service);
    for (const entry of service.status?.loadBalancer?.ingress ?? []) {
      const address = parseIngressAddress(entry);
      if (!address) continue;
      const pool = poolSet.find(address.family, address.value);
      if (!pool) continue;
      const holder = holders.holderOf(address);
      if (holder !== undefined && holder !== key) {
        conflicts.push({ address: entry.ip ?? "", keptBy: holder, lostBy: key });
        continue;
      }
      if (holders.hold(key, address)) pool.claim(address.value);
    }
  }

  const labels = new Map(objects.namespaces.map((ns) => [ns.metadata.name ?? "", ns.metadata.labels ?? {}]));
  return {
    views,
    poolSet,
    holders,
    config: { assignIPs: loadBalancer.assignIPs, loadBalancerClass },
    problems: [...loadBalancer.problems, ...reserved.problems],
    conflicts,
    namespaceLabels: (namespace) => labels.get(namespace) ?? {},
  };
}

/** The decision input for one Service in this state. */
export function decisionInput(state: ClusterState, service: Service): DecisionInput {
  return {
    service,
    namespaceLabels: state.namespaceLabels(service.metadata.namespace ?? ""),
    pools: state.views,
    poolSet: state.poolSet,
    config: state.config,
    holderOf: (address: Address) => state.holders.holderOf(address),
  };
}
