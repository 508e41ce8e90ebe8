// `kubectl lbipam simulate`: the controller's policy run offline over given
// objects. State is rebuilt from the Services' status first (as the controller
// does at start), then each Service is reconciled oldest first through the
// same `decide`, carried out by the same code as the controller's
// (@lbipam/state carry-out), until a pass changes nothing (a release may
// serve an older waiting Service).
import { type Decision, decide, type IPFamily, type Service, serviceKey } from "@lbipam/api";
import {
  conflictMessage,
  type Ledger,
  olderFirst,
  reconcileNow,
  type ServiceState,
  serviceState,
} from "@lbipam/state";
import { InputError } from "./errors.js";
import { missingNamespacesProblem } from "./missing-namespaces.js";
import { type PoolRow, poolRows } from "./pool-report.js";
import { buildState, type ClusterObjects, decisionInput } from "./state.js";

export interface SimulationOptions {
  /** Pools to delete before reconciling (their Services move or wait). */
  deletePools?: string[];
  /** Plain LoadBalancer Services to add, created after every given one. */
  addServices?: number;
  addNamespace?: string;
  addFamilies?: IPFamily[];
  loadBalancerClass?: string;
}

/** What became of a Service: the controller's own classification. */
export type ServiceOutcome = ServiceState;

export interface SimulatedService {
  service: string;
  /** Addresses in the given status. */
  before: string[];
  /** Addresses after the simulation. */
  addresses: string[];
  outcome: ServiceOutcome;
  reason: string | null;
  message: string | null;
}

/** The configuration the simulation ran under, and whether the files gave it. */
export interface SimulatedConfiguration {
  assignIPs: string;
  /** "file": KubeControllersConfiguration "default" was among the files; "assumed": it was not, so the default applied. */
  source: "file" | "assumed";
}

/** An address the simulation leaves held by several Services of one sharing key. */
export interface SharedAddress {
  address: string;
  /** lbipam.io/sharing-key of its members. */
  key: string;
  /** Its members, in the order the ledger records them. */
  services: string[];
}

export interface SimulationResult {
  configuration: SimulatedConfiguration;
  services: SimulatedService[];
  /** Addresses shared under a sharing key, in the order of their first member. */
  shared: SharedAddress[];
  pools: PoolRow[];
  /**
   * Configuration and reservation entries that could not be used, duplicate
   * addresses, and Services' namespaces missing from the files when a pool
   * selects namespaces by label.
   */
  problems: string[];
}

/** Services with a creationTimestamp by age, then those without in the order given. */
function reconcileOrder(services: Service[]): Service[] {
  const stamped = services.filter((s) => s.metadata.creationTimestamp).sort(olderFirst);
  return [...stamped, ...services.filter((s) => !s.metadata.creationTimestamp)];
}

function syntheticServices(
  count: number,
  namespace: string,
  families: IPFamily[],
  taken: Set<string>,
): Service[] {
  const services: Service[] = [];
  for (let i = 1; services.length < count; i++) {
    const name = `simulated-${i}`;
    if (taken.has(`${namespace}/${name}`)) continue;
    services.push({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, namespace },
      spec: {
        type: "LoadBalancer",
        ipFamilies: families,
        ipFamilyPolicy: families.length > 1 ? "PreferDualStack" : "SingleStack",
      },
    });
  }
  return services;
}

function ingressIps(service: Service): string[] {
  return (service.status?.loadBalancer?.ingress ?? []).map((entry) => entry.ip ?? entry.hostname ?? "");
}

export function simulate(objects: ClusterObjects, options: SimulationOptions = {}): SimulationResult {
  const state = buildState(objects, { loadBalancerClass: options.loadBalancerClass });
  const problems = [...state.problems];
  for (const conflict of state.conflicts) problems.push(conflictMessage(conflict));
  for (const name of options.deletePools ?? []) {
    if (!state.views.has(name))
      throw new InputError(`--delete-pool ${name}: no IPPool of that name in the files`);
    // The ledger keeps answering for the pool's addresses, so their Services release them.
    state.views.delete(name);
    if (state.poolSet.get(name)) state.poolSet.remove(name);
  }
  const missing = missingNamespacesProblem(objects, options);
  if (missing) problems.push(missing);

  const keys = new Set(objects.services.map(serviceKey));
  const added = syntheticServices(
    options.addServices ?? 0,
    options.addNamespace ?? "default",
    options.addFamilies ?? ["IPv4"],
    keys,
  );
  let services = reconcileOrder([...objects.services, ...added]);
  const before = new Map(services.map((service) => [serviceKey(service), ingressIps(service)]));
  const decisions = new Map<string, { decision: Decision; outcome: ServiceOutcome }>();

  // Each pass reconciles every Service, oldest first; a pass that changes no
  // status ends it. The bound only guards against a policy that never settles.
  for (let pass = 0; pass <= services.length + 1; pass++) {
    let changed = false;
    services = services.map((service) => {
      const key = serviceKey(service);
      const decision = decide(decisionInput(state, service));
      // The status is written (here: the Service replaced), then what it gave up goes back.
      let written = service;
      const { carried, condition, released } = reconcileNow(
        key,
        service,
        decision,
        state.ledger,
        state.poolSet,
        ({ ingress }) => {
          const current = service.status?.loadBalancer?.ingress ?? [];
          if (JSON.stringify(current) === JSON.stringify(ingress)) return;
          written = { ...service, status: { ...service.status, loadBalancer: { ingress } } };
        },
      );
      decisions.set(key, {
        decision: { ...decision, condition },
        outcome: serviceState(decision, carried, condition),
      });
      if (written === service && released.length === 0) return service;
      changed = true;
      return written;
    });
    if (!changed) break;
  }

  const outcomes: SimulatedService[] = services.map((service) => {
    const key = serviceKey(service);
    const { decision, outcome } = decisions.get(key)!;
    const condition = decision.condition;
    const addresses = ingressIps(service);
    return {
      service: key,
      before: before.get(key) ?? [],
      addresses,
      outcome,
      reason: decision.managed ? (condition?.reason ?? null) : null,
      message: decision.managed ? (condition?.message ?? null) : (decision.unmanagedReason ?? null),
    };
  });

  const specs = new Map(objects.pools.map((pool) => [pool.metadata.name ?? "", pool.spec ?? {}]));
  const configuration: SimulatedConfiguration = {
    assignIPs: state.config.assignIPs,
    source: objects.configuration ? "file" : "assumed",
  };
  return {
    configuration,
    services: outcomes,
    shared: sharedAddresses(state.ledger, outcomes),
    pools: poolRows(state, specs),
    problems,
  };
}

/** The addresses several Services hold once the simulation settled, from the ledger the decisions ran on. */
function sharedAddresses(ledger: Ledger, services: readonly SimulatedService[]): SharedAddress[] {
  const shared = new Map<string, SharedAddress>();
  for (const { service } of services) {
    for (const holding of ledger.holdings(service)) {
      const members = ledger.membersOf(holding);
      if (members.length < 2 || shared.has(holding.text)) continue;
      shared.set(holding.text, {
        address: holding.text,
        key: members[0]?.profile?.key ?? "",
        services: members.map((member) => member.service),
      });
    }
  }
  return [...shared.values()];
}
