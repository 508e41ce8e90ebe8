// Reconcile one Service: read the caches, decide through @lbipam/api, apply
// the decision to the allocator and the ledger, then write status once, and
// only if it changed. Level-triggered: running it again changes nothing.
import { type Address, type Family, parseAddress } from "@lbipam/allocator";
import {
  ANNOTATION_SHARING_KEY,
  type Decision,
  decide,
  EventReason,
  kubeNow,
  listSome,
  type ManagementConfig,
  misspelledMessage,
  type Namespace,
  parseIngressAddress,
  SERVICE_CONDITION_TYPE,
  type Service,
  ServiceReason,
  setCondition,
  splitServiceKey,
} from "@lbipam/api";
import {
  type ForeignChange,
  forgetForeign,
  type Holding,
  type Ledger,
  ledgerDecisionInput,
  type PoolRegistry,
  reconcileInTurns,
  releaseAll,
  type ServiceState,
  serviceState,
  showForeign,
} from "@lbipam/state";
import type { AllocationBatcher } from "./allocation-batcher.js";
import type { ClusterWriter } from "./cluster-writer.js";
import type { EventRecorder, InvolvedObject } from "./event-recorder.js";
import type { ControllerMetrics } from "./metrics.js";
import type { ReadCache } from "./read-cache.js";
import { type ServiceStatusPatch, statusChanged } from "./service-status.js";
import { SharingTurns } from "./sharing-turns.js";
import type { StatusEchoes } from "./status-echoes.js";
import type { WaitingServices } from "./waiting-services.js";

export interface ReconcileResult {
  /** Addresses were given back: waiting Services may now be served. */
  freed: boolean;
  state: ServiceState | undefined;
  /** The pools the Service holds addresses in, and the pool names or CIDRs it asks for. */
  references: string[];
  /** Pools whose counts this reconcile changed: their status may need a write. */
  touchedPools: string[];
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
  /** Told of each status write, so that its echo is not worked on again. */
  echoes: StatusEchoes;
  logger: {
    info(fields: object, message: string): void;
    warn(fields: object, message: string): void;
    error(fields: object, message: string): void;
  };
}

const FAMILY_NAME: Record<Family, string> = { 4: "IPv4", 6: "IPv6" };

export class ServiceReconciler {
  constructor(private readonly deps: ServiceReconcilerDeps) {}

  private readonly sharingTurns = new SharingTurns();

  /** Reconciles one Service; members of one sharing key take turns (sharing-turns.ts). */
  reconcile(key: string): Promise<ReconcileResult> {
    const { namespace, name } = splitServiceKey(key);
    const sharingKey = this.deps.services.get(name, namespace)?.metadata.annotations?.[
      ANNOTATION_SHARING_KEY
    ];
    return this.sharingTurns.run(sharingKey, () => this.reconcileNow(key));
  }

  private async reconcileNow(key: string): Promise<ReconcileResult> {
    const { services, namespaces, registry, ledger, waiting } = this.deps;
    const { namespace, name } = splitServiceKey(key);
    const service = services.get(name, namespace);
    // What an unmanaged Service showed is held again below if it still is unmanaged.
    const shownBefore = forgetForeign(ledger, registry, key);
    if (!service) {
      // The Service is gone: everything it held goes back.
      waiting.delete(key);
      const released = releaseAll(key, ledger, registry.poolSet);
      this.countReleases(released);
      return {
        freed: shownBefore.length > 0 || released.length > 0,
        state: undefined,
        references: [],
        touchedPools: this.poolsOf([...shownBefore, ...released.map((r) => r.address)]),
      };
    }
    const decision = decide({
      service: this.withHeldAddresses(service, key),
      namespaceLabels: namespaces.get(namespace)?.metadata.labels ?? {},
      pools: registry.views,
      poolSet: registry.poolSet,
      config: this.deps.config(),
      ...ledgerDecisionInput(ledger, service, key),
    });
    // An address an unmanaged Service no longer shows may serve a waiting Service.
    const foreign = decision.managed
      ? { added: [], removed: shownBefore }
      : this.holdForeign(key, service, shownBefore);

    const {
      carried: applied,
      condition,
      released,
    } = await reconcileInTurns(
      key,
      service,
      decision,
      ledger,
      registry.poolSet,
      async ({ ingress, condition }) => {
        const patch: ServiceStatusPatch = {
          loadBalancer: { ingress },
          conditions: setCondition(
            service.status?.conditions,
            SERVICE_CONDITION_TYPE,
            condition,
            kubeNow(),
            service.metadata.generation,
          ),
        };
        if (!statusChanged(service, patch)) return;
        const { resourceVersion } = service.metadata;
        // Expected before the write: its echo may arrive before its answer.
        this.deps.echoes.expect(key, resourceVersion, patch);
        try {
          await this.deps.writer.patchServiceStatus({ namespace, name }, resourceVersion, patch);
        } catch (error) {
          this.deps.echoes.forget(key);
          throw error;
        }
        this.deps.metrics.statusWrites.inc({ resource: "services" });
        this.recordChanges(service, patch);
        // Warnings go with the status change that shows the problem, so a
        // restart, or a wake-up that changes nothing, records nothing.
        this.recordProblems(service, decision, condition);
      },
      ({ pools }) => this.deps.batcher.allocate(pools),
    );
    for (const { address, holder } of applied.disagreements) {
      // The claims and the ledger agree, so this means a bug: say so (another address was taken).
      this.deps.logger.error(
        { namespace, name, address, holder },
        "allocator handed out an address the ledger holds",
      );
    }
    for (const taken of applied.taken) {
      this.deps.metrics.allocations.inc({ pool: taken.pool, family: FAMILY_NAME[taken.family] });
    }
    this.countReleases(released);
    const freed = applied.rolledBack || foreign.removed.length > 0 || released.length > 0;

    const state = serviceState(decision, applied, condition);
    if (state === "pending" || state === "partial")
      waiting.add(key, service.metadata.creationTimestamp ?? "");
    else waiting.delete(key);
    const foreignChanged = foreign.added.length > 0 || foreign.removed.length > 0;
    const touchedPools = [
      ...applied.taken.map((taken) => taken.pool),
      ...this.poolsOf(released.map((r) => r.address)),
      ...(foreignChanged ? this.poolsOf([...shownBefore, ...ledger.foreignHoldings(key)]) : []),
    ];
    const references = [...this.poolsOf(ledger.holdings(key)), ...decision.requestedPools];
    return { freed, state, references: [...new Set(references)], touchedPools: [...new Set(touchedPools)] };
  }

  /** The names of the pools the addresses are in. */
  private poolsOf(addresses: readonly Address[]): string[] {
    return addresses.flatMap((a) => this.deps.registry.poolSet.find(a.family, a.value)?.name ?? []);
  }

  /** Holds what a Service lbipam does not manage shows; new addresses are logged once. */
  private holdForeign(key: string, service: Service, before: readonly Holding[]): ForeignChange {
    const { ledger, registry, logger } = this.deps;
    const change = showForeign(ledger, registry, key, service, before);
    const { namespace, name } = splitServiceKey(key);
    if (change.added.length > 0) {
      logger.info(
        { namespace, name, addresses: listSome(change.added) },
        "a Service lbipam does not manage shows these addresses: held for it, never given to another",
      );
    }
    for (const { address, holder } of change.heldByOthers) {
      logger.warn(
        { namespace, name, address, holder },
        "a Service lbipam does not manage shows an address one of its Services holds; left with that Service",
      );
    }
    return change;
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

  private countReleases(released: ReturnType<typeof releaseAll>): void {
    for (const { address, pool } of released) {
      if (pool) this.deps.metrics.releases.inc({ pool, family: FAMILY_NAME[address.family] });
    }
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
      const named = added.map((ip) => {
        const address = parseAddress(ip!);
        const pool = this.deps.registry.poolSet.find(address.family, address.value)?.name;
        return pool ? `${ip} from pool ${pool}` : ip;
      });
      this.deps.recorder.record(object, "Normal", EventReason.IPAllocated, `Assigned ${named.join(", ")}`);
    }
    if (dropped.length > 0) {
      this.deps.recorder.record(object, "Normal", EventReason.IPReleased, `Released ${dropped.join(", ")}`);
    }
  }

  /**
   * Warnings, each one Event with a bounded message however many problems
   * the Service has: malformed annotations, typo'd annotation keys, an
   * address lost to an older Service at start, a Service left waiting.
   */
  private recordProblems(service: Service, decision: Decision, condition: Decision["condition"]): void {
    const object = this.involved(service);
    const warn = (reason: string, message: string) =>
      this.deps.recorder.record(object, "Warning", reason, message);
    if (decision.problems.length > 0) {
      warn(EventReason.InvalidAnnotation, listSome(decision.problems.map((p) => p.message)));
    }
    if (decision.misspelled.length > 0) {
      warn(EventReason.UnknownAnnotation, listSome(decision.misspelled.map(misspelledMessage)));
    }
    if (decision.lost.length > 0) {
      const lost = decision.lost.map(({ address, holder }) => `${address} is kept by Service ${holder}`);
      warn(EventReason.AddressConflict, `${listSome(lost)}; this Service gets another address`);
    }
    if (condition?.status === "False" && condition.reason !== ServiceReason.InvalidAnnotation) {
      warn(EventReason.AllocationFailed, condition.message);
    }
  }
}
