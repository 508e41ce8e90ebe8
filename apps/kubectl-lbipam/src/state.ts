// The controller's view of a cluster rebuilt from its objects: pool views, the
// allocator's PoolSet with reservations, and who holds what from the Services'
// status (oldest Service first, as the controller does at start). Both the
// live commands and `simulate` start from here.
import { type PoolSet, runAllocatorTask } from "@lbipam/allocator";
import {
  calicoBlockRecords,
  calicoControllerActive,
  calicoHandleOf,
  DEFAULT_LOAD_BALANCER_CLASS,
  type DecisionInput,
  type IPPool,
  type IPReservation,
  type KubeControllersConfiguration,
  type Labels,
  type ManagementConfig,
  type Namespace,
  type PoolView,
  readLoadBalancerConfig,
  type Service,
  serviceKey,
} from "@lbipam/api";
import {
  Ledger,
  ledgerDecisionInput,
  PoolRegistry,
  type RebuildConflict,
  rebuildLedger,
  recordedConflictMessage,
} from "@lbipam/state";

/** The objects the controller reads. */
export interface ClusterObjects {
  pools: IPPool[];
  reservations: IPReservation[];
  services: Service[];
  namespaces: Namespace[];
  /** The KubeControllersConfiguration named `default`, if any. */
  configuration: KubeControllersConfiguration | undefined;
  /** Calico's IPAM blocks (either API group), where its own LoadBalancer controller recorded addresses. */
  blocks?: unknown[];
}

export interface StateOptions {
  /** The controller's spec.loadBalancerClass (default `calico`). */
  loadBalancerClass?: string;
  /** False when the cluster is Calico's (its shape): its configuration can then say Calico's own controller runs. */
  ownsConfiguration?: boolean;
}

export interface ClusterState {
  views: Map<string, PoolView>;
  poolSet: PoolSet;
  ledger: Ledger;
  config: ManagementConfig;
  /** Configuration, reservation and IPAM block entries that could not be used. */
  problems: string[];
  conflicts: RebuildConflict[];
  /** "namespace/name handle" of each Service a Calico block records anything for (calicoServiceHandle). */
  calicoHandles: ReadonlySet<string>;
  namespaceLabels(namespace: string): Labels;
}

export function buildState(objects: ClusterObjects, options: StateOptions = {}): ClusterState {
  const loadBalancerClass = options.loadBalancerClass ?? DEFAULT_LOAD_BALANCER_CLASS;
  const registry = new PoolRegistry();
  const byName = [...objects.pools].sort((a, b) =>
    (a.metadata.name ?? "") < (b.metadata.name ?? "") ? -1 : 1,
  );
  for (const pool of byName) {
    const name = pool.metadata.name ?? "";
    if (!registry.views.has(name)) registry.sync(name, pool);
  }
  const reservationProblems = registry.setReservations(objects.reservations);
  const loadBalancer = readLoadBalancerConfig(objects.configuration);
  const ledger = new Ledger();
  const blocks = (objects.blocks ?? []).map(calicoBlockRecords);
  const rebuilt = rebuildLedger(objects.services, registry, ledger, {
    loadBalancerClass,
    records: blocks.flatMap((block) => block.records),
  });
  // Offline and once: the claims run inline, through the same task function the controller's workers run.
  for (const task of rebuilt.tasks) runAllocatorTask(task);

  const labels = new Map(objects.namespaces.map((ns) => [ns.metadata.name ?? "", ns.metadata.labels ?? {}]));
  return {
    views: registry.views,
    poolSet: registry.poolSet,
    ledger,
    config: {
      assignIPs: loadBalancer.assignIPs,
      loadBalancerClass,
      calicoControllerActive: calicoControllerActive(
        objects.configuration,
        options.ownsConfiguration ?? true,
      ),
    },
    problems: [
      ...loadBalancer.problems,
      ...reservationProblems,
      ...blocks.flatMap((block) => block.problems),
      ...rebuilt.recordedConflicts.map(recordedConflictMessage),
    ],
    conflicts: rebuilt.conflicts,
    calicoHandles: new Set(
      objects.services
        .filter((service) => ledger.hasRecordsFor(serviceKey(service)))
        .map((service) => `${serviceKey(service)} ${calicoHandleOf(service)}`),
    ),
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
    ...ledgerDecisionInput(state.ledger, service, serviceKey(service)),
  };
}
