// `kubectl lbipam simulate`: the controller's policy run offline over given
// objects. State is rebuilt from the Services' status first (as the controller
// does at start), then each Service is reconciled oldest first through the
// same `decide`, applied to the allocator as the controller applies it, until
// a pass changes nothing (a release may serve an older waiting Service).
import { type Address, parseAddress } from "@lbipam/allocator";
import {
  type Decision,
  decide,
  desiredIngress,
  type FamilyDecision,
  type IPFamily,
  type Service,
  ServiceReason,
  serviceKey,
} from "@lbipam/api";
import { conflictMessage, olderFirst } from "@lbipam/state";
import { InputError } from "./errors.js";
import { missingNamespacesProblem } from "./missing-namespaces.js";
import { type PoolRow, poolRows } from "./pool-report.js";
import { buildState, type ClusterObjects, type ClusterState, decisionInput } from "./state.js";

export interface SimulationOptions {
  /** Pools to delete before reconciling (their Services move or wait). */
  deletePools?: string[];
  /** Plain LoadBalancer Services to add, created after every given one. */
  addServices?: number;
  addNamespace?: string;
  addFamilies?: IPFamily[];
  loadBalancerClass?: string;
}

export type ServiceOutcome = "allocated" | "partial" | "pending" | "invalid" | "unmanaged";

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

export interface SimulationResult {
  services: SimulatedService[];
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

class Simulator {
  constructor(private readonly state: ClusterState) {}

  /** Applies a decision as the controller does; returns the addresses the Service ends up with. */
  apply(key: string, service: Service, decision: Decision): { addresses: string[]; waiting: boolean } {
    for (const text of decision.release) this.release(key, parseAddress(text));
    const addresses: string[] = [];
    const fresh: Address[] = [];
    let waiting = false;
    for (const family of decision.families) {
      const got = this.applyFamily(key, family);
      if (got) {
        addresses.push(got.text);
        if (got.fresh) fresh.push(parseAddress(got.text));
      } else waiting = true;
    }
    if (waiting && service.spec?.ipFamilyPolicy === "RequireDualStack" && fresh.length > 0) {
      for (const address of fresh) this.release(key, address);
      const taken = new Set(fresh.map((a) => `${a.family}/${a.value}`));
      return {
        addresses: addresses.filter((text) => {
          const a = parseAddress(text);
          return !taken.has(`${a.family}/${a.value}`);
        }),
        waiting,
      };
    }
    return { addresses, waiting };
  }

  private applyFamily(key: string, decision: FamilyDecision): { text: string; fresh: boolean } | undefined {
    const { ledger, poolSet } = this.state;
    switch (decision.action) {
      case "keep": {
        const address = parseAddress(decision.address);
        ledger.hold(key, address);
        const pool = poolSet.find(address.family, address.value);
        if (pool && !pool.isAllocated(address.value)) pool.claim(address.value);
        return { text: decision.address, fresh: false };
      }
      case "claim": {
        const address = parseAddress(decision.address);
        const pool = poolSet.get(decision.pool);
        if (ledger.holderOf(address) !== undefined || !pool || !pool.claim(address.value)) return undefined;
        ledger.hold(key, address);
        return { text: decision.address, fresh: true };
      }
      case "allocate": {
        for (const name of decision.pools) {
          const pool = poolSet.get(name);
          const value = pool?.allocate();
          if (pool && value !== undefined) {
            ledger.hold(key, { family: decision.family, value });
            return { text: pool.format(value), fresh: true };
          }
        }
        return undefined;
      }
      case "wait":
        return undefined;
    }
  }

  private release(key: string, address: Address): void {
    if (!this.state.ledger.release(key, address)) return;
    this.state.poolSet.find(address.family, address.value)?.release(address.value);
  }
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
  const simulator = new Simulator(state);
  const decisions = new Map<string, { decision: Decision; waiting: boolean }>();

  // Each pass reconciles every Service, oldest first; a pass that changes no
  // status ends it. The bound only guards against a policy that never settles.
  for (let pass = 0; pass <= services.length + 1; pass++) {
    let changed = false;
    services = services.map((service) => {
      const key = serviceKey(service);
      const decision = decide(decisionInput(state, service));
      const applied = simulator.apply(key, service, decision);
      decisions.set(key, { decision, waiting: applied.waiting });
      const ingress = desiredIngress(service, decision, applied.addresses);
      const current = service.status?.loadBalancer?.ingress ?? [];
      if (JSON.stringify(current) === JSON.stringify(ingress)) return service;
      changed = true;
      return { ...service, status: { ...service.status, loadBalancer: { ingress } } };
    });
    if (!changed) break;
  }

  const outcomes: SimulatedService[] = services.map((service) => {
    const key = serviceKey(service);
    const { decision, waiting } = decisions.get(key)!;
    const condition = decision.condition;
    const addresses = ingressIps(service);
    const outcome: ServiceOutcome = !decision.managed
      ? "unmanaged"
      : condition?.reason === ServiceReason.InvalidAnnotation
        ? "invalid"
        : !waiting
          ? "allocated"
          : decision.families.some((d) => d.action !== "wait")
            ? "partial"
            : "pending";
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
  return { services: outcomes, pools: poolRows(state, specs), problems };
}
