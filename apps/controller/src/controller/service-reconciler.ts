// Reconcile one Service: read the caches, decide through @lbipam/api, apply
// the decision to the allocator and the ledger, then write status once, and
// only if it changed. Level-triggered: running it again changes nothing.
import { type Address, type Family, parseAddress } from "@lbipam/allocator";
import {
  type Decision,
  decide,
  desiredIngress,
  EventReason,
  type FamilyDecision,
  type ManagementConfig,
  type Namespace,
  parseIngressAddress,
  SERVICE_CONDITION_TYPE,
  type Service,
  ServiceReason,
} from "@lbipam/api";
import type { Ledger, PoolRegistry } from "@lbipam/state";
import type { AllocationBatcher } from "./allocation-batcher.js";
import type { ClusterWriter } from "./cluster-writer.js";
import type { EventRecorder, InvolvedObject } from "./event-recorder.js";
import type { ControllerMetrics } from "./metrics.js";
import { kubeNow, mergeConditions, type ServiceStatusPatch, statusChanged } from "./service-status.js";
import type { WaitingServices } from "./waiting-services.js";

export interface ReadCache<T> {
  get(name: string, namespace?: string): T | undefined;
}

export type ServiceState = "allocated" | "pending" | "invalid" | "unmanaged";

export interface ReconcileResult {
  /** Addresses were given back: waiting Services may now be served. */
  freed: boolean;
  state: ServiceState | undefined;
}

export interface ServiceReconcilerDeps {
  services: ReadCache<Service>;
  namespaces: ReadCache<Namespace>;
  registry: PoolRegistry;
  ledger: Ledger;
  waiting: WaitingServices;
  config: () => ManagementConfig;
  writer: ClusterWriter;
  recorder: EventRecorder;
  metrics: ControllerMetrics;
  batcher: AllocationBatcher;
  logger: { error(fields: object, message: string): void };
}

const FAMILY_NAME: Record<Family, string> = { 4: "IPv4", 6: "IPv6" };

export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf("/");
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export class ServiceReconciler {
  constructor(private readonly deps: ServiceReconcilerDeps) {}

  async reconcile(key: string): Promise<ReconcileResult> {
    const { services, namespaces, registry, ledger, waiting } = this.deps;
    const { namespace, name } = splitKey(key);
    const service = services.get(name, namespace);
    if (!service) {
      // The Service is gone: everything it held goes back.
      waiting.delete(key);
      let freed = false;
      for (const holding of [...ledger.holdings(key)]) freed = this.release(key, holding) || freed;
      return { freed, state: undefined };
    }
    const decision = decide({
      service: this.withHeldAddresses(service, key),
      namespaceLabels: namespaces.get(namespace)?.metadata.labels ?? {},
      pools: registry.views,
      poolSet: registry.poolSet,
      config: this.deps.config(),
      holderOf: (address) => ledger.holderOf(address),
    });

    const applied = await this.apply(key, service, decision);
    const condition = applied.raced ?? decision.condition;
    const patch: ServiceStatusPatch = {
      loadBalancer: { ingress: desiredIngress(service, decision, applied.addresses) },
      conditions: mergeConditions(
        service.status?.conditions,
        condition,
        kubeNow(),
        service.metadata.generation,
      ),
    };
    if (statusChanged(service, patch)) {
      await this.deps.writer.patchServiceStatus({ namespace, name }, service.metadata.resourceVersion, patch);
      this.deps.metrics.statusWrites.inc({ resource: "services" });
      this.recordChanges(service, patch);
      // Warnings go with the status change that shows the problem, so a
      // restart, or a wake-up that changes nothing, records nothing.
      this.recordProblems(service, decision, condition);
    }
    // What the Service gives up goes back only now that its status no longer
    // shows it (a failed write leaves it held for the retry), so no other
    // Service's status can show an address while this one still does.
    let freed = applied.rolledBack;
    for (const text of decision.release) freed = this.release(key, parseAddress(text)) || freed;

    const state: ServiceState = !decision.managed
      ? "unmanaged"
      : condition?.reason === ServiceReason.InvalidAnnotation
        ? "invalid"
        : applied.waiting
          ? "pending"
          : "allocated";
    if (state === "pending") waiting.add(key, service.metadata.creationTimestamp ?? "");
    else waiting.delete(key);
    return { freed, state };
  }

  /**
   * The Service as the controller knows it: its status plus any address the
   * ledger says it holds but whose status write has not landed yet, so a
   * retried reconcile keeps that address rather than taking a second one.
   */
  private withHeldAddresses(service: Service, key: string): Service {
    const held = this.deps.ledger.holdings(key);
    if (held.length === 0) return service;
    const ingress = service.status?.loadBalancer?.ingress ?? [];
    const shown = new Set(
      ingress.map((entry) => parseIngressAddress(entry)).map((a) => a && `${a.family}/${a.value}`),
    );
    const missing = held.filter((h) => !shown.has(`${h.family}/${h.value}`)).map((h) => ({ ip: h.text }));
    if (missing.length === 0) return service;
    return { ...service, status: { ...service.status, loadBalancer: { ingress: [...ingress, ...missing] } } };
  }

  private async apply(
    key: string,
    service: Service,
    decision: Decision,
  ): Promise<{
    addresses: string[];
    waiting: boolean;
    rolledBack: boolean;
    raced: Decision["condition"] | undefined;
  }> {
    const addresses: string[] = [];
    const fresh: Address[] = [];
    let raced: Decision["condition"] | undefined;
    let waiting = false;
    // Every family's request goes out now, so one Service's allocations share
    // a batch and older Services (reconciled first) stay ahead of younger ones.
    const outcomes = await Promise.all(decision.families.map((family) => this.applyFamily(key, family)));
    for (const got of outcomes) {
      if (got.address) {
        addresses.push(got.address);
        if (got.fresh) fresh.push(parseAddress(got.address));
      } else {
        waiting = true;
        if (got.raced && !raced) raced = got.raced;
      }
    }
    // RequireDualStack is all or none: a family lost to a race takes back the others it just got.
    if (waiting && service.spec?.ipFamilyPolicy === "RequireDualStack" && fresh.length > 0) {
      for (const address of fresh) this.release(key, address);
      const taken = new Set(fresh.map((a) => `${a.family}/${a.value}`));
      const kept = addresses.filter((text) => {
        const a = parseAddress(text);
        return !taken.has(`${a.family}/${a.value}`);
      });
      return { addresses: kept, waiting, rolledBack: true, raced };
    }
    return { addresses, waiting, rolledBack: false, raced };
  }

  private async applyFamily(
    key: string,
    decision: FamilyDecision,
  ): Promise<{ address?: string; fresh?: boolean; raced?: Decision["condition"] }> {
    const { ledger, registry, metrics } = this.deps;
    switch (decision.action) {
      case "keep": {
        const address = parseAddress(decision.address);
        ledger.hold(key, address);
        const pool = registry.poolSet.find(address.family, address.value);
        // A pool re-created under the same range starts empty: mark the address taken again.
        if (pool && !pool.isAllocated(address.value)) pool.claim(address.value);
        return { address: decision.address };
      }
      case "claim": {
        const address = parseAddress(decision.address);
        const pool = registry.poolSet.get(decision.pool);
        // Someone took it since the decision (or the pool went): wait for exactly this address.
        if (ledger.holderOf(address) !== undefined || !pool || !pool.claim(address.value)) {
          return {
            raced: {
              type: SERVICE_CONDITION_TYPE,
              status: "False",
              reason: ServiceReason.RequestedIPInUse,
              message: `${decision.address} was taken by another Service; waiting for it`,
            },
          };
        }
        ledger.hold(key, address);
        metrics.allocations.inc({ pool: decision.pool, family: FAMILY_NAME[address.family] });
        return { address: decision.address, fresh: true };
      }
      case "allocate": {
        const pools = decision.pools.flatMap((name) => registry.poolSet.get(name) ?? []);
        let got = pools.length > 0 ? await this.deps.batcher.allocate(pools) : undefined;
        // The pools' claims and the ledger agree, so this never loops; if they ever did not,
        // an address another Service holds stays claimed and is never given out twice.
        while (got && !ledger.hold(key, { family: decision.family, value: got.value })) {
          this.deps.logger.error(
            {
              address: got.pool.format(got.value),
              holder: ledger.holderOf({ family: decision.family, value: got.value }),
            },
            "allocator handed out an address the ledger holds; taking another",
          );
          got = await this.deps.batcher.allocate(pools);
        }
        if (got) {
          metrics.allocations.inc({ pool: got.pool.name, family: FAMILY_NAME[decision.family] });
          return { address: got.pool.format(got.value), fresh: true };
        }
        return {
          raced: {
            type: SERVICE_CONDITION_TYPE,
            status: "False",
            reason: ServiceReason.PoolExhausted,
            message: `no free ${FAMILY_NAME[decision.family]} address in ${decision.pools.join(", ")}; waiting for one`,
          },
        };
      }
      case "wait":
        return {};
    }
  }

  /** Gives an address back to its pool and the ledger; true if the Service held it. */
  private release(key: string, address: Address): boolean {
    const { ledger, registry, metrics } = this.deps;
    if (!ledger.release(key, address)) return false;
    const pool = registry.poolSet.find(address.family, address.value);
    if (pool) {
      pool.release(address.value);
      metrics.releases.inc({ pool: pool.name, family: FAMILY_NAME[address.family] });
    }
    return true;
  }

  private involved(service: Service): InvolvedObject {
    const meta = service.metadata;
    return {
      kind: "Service",
      apiVersion: "v1",
      namespace: meta.namespace ?? "",
      name: meta.name ?? "",
      uid: meta.uid,
    };
  }

  /**
   * One IPAllocated and one IPReleased at most for what the written status
   * added or dropped: a dual-stack Service's two addresses are one Event, not
   * two more writes for the API server.
   */
  private recordChanges(service: Service, patch: ServiceStatusPatch): void {
    const before = new Set((service.status?.loadBalancer?.ingress ?? []).map((e) => e.ip).filter(Boolean));
    const after = new Set(patch.loadBalancer.ingress.map((e) => e.ip).filter(Boolean));
    const added = [...after].filter((ip) => !before.has(ip));
    const dropped = [...before].filter((ip) => !after.has(ip));
    const object = this.involved(service);
    if (added.length > 0) {
      this.deps.recorder.record(object, "Normal", EventReason.IPAllocated, `Assigned ${added.join(", ")}`);
    }
    if (dropped.length > 0) {
      this.deps.recorder.record(object, "Normal", EventReason.IPReleased, `Released ${dropped.join(", ")}`);
    }
  }

  /** A Warning for each malformed annotation, and one for a Service left waiting. */
  private recordProblems(service: Service, decision: Decision, condition: Decision["condition"]): void {
    const object = this.involved(service);
    for (const problem of decision.problems) {
      this.deps.recorder.record(object, "Warning", EventReason.InvalidAnnotation, problem.message);
    }
    if (condition?.status === "False" && condition.reason !== ServiceReason.InvalidAnnotation) {
      this.deps.recorder.record(object, "Warning", EventReason.AllocationFailed, condition.message);
    }
  }
}
