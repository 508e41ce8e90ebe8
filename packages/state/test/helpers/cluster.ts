// A tiny in-memory cluster and controller loop for tests: pools and
// namespaces as data, the real PoolRegistry and Ledger, and `reconcile`
// doing what the controller's reconcile does, with the same code
// (carry-out.ts, foreign.ts): decide, carry out, write status, release.
import assert from "node:assert/strict";
import { type Address, cidrContains, parseAddress } from "@lbipam/allocator";
import {
  type Decision,
  decide,
  type IPPool,
  type IPPoolSpec,
  type Labels,
  type ManagementConfig,
  type PoolView,
  parseServiceRequest,
  SERVICE_CONDITION_TYPE,
  type Service,
  serviceKey,
  serviceSharingProfile,
  setCondition,
  whyCannotShare,
  whyUnmanaged,
} from "@lbipam/api";
import {
  forgetForeign,
  Ledger,
  ledgerDecisionInput,
  olderFirst,
  PoolRegistry,
  reclaimHoldings,
  reconcileNow,
  releaseAll,
  showForeign,
} from "../../src/index.js";

export function ippool(
  name: string,
  cidr: string,
  spec: Partial<IPPoolSpec> = {},
  meta: { created?: number; deleting?: boolean; annotations?: Record<string, string> } = {},
): IPPool {
  return {
    metadata: {
      name,
      creationTimestamp: new Date(Date.UTC(2026, 0, 1) + (meta.created ?? 0) * 1000).toISOString(),
      ...(meta.deleting ? { deletionTimestamp: "2026-02-01T00:00:00Z" } : {}),
      ...(meta.annotations ? { annotations: meta.annotations } : {}),
    },
    spec: { cidr, allowedUses: ["LoadBalancer"], ...spec },
  };
}

export interface ServiceOptions {
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  families?: ("IPv4" | "IPv6")[];
  policy?: "SingleStack" | "PreferDualStack" | "RequireDualStack";
  type?: string;
  loadBalancerClass?: string;
  loadBalancerIP?: string;
  created?: number;
  ingress?: { ip?: string; hostname?: string }[];
  /** `PROTOCOL/port` each (default: none). */
  ports?: string[];
  externalTrafficPolicy?: "Cluster" | "Local";
  selector?: Record<string, string>;
}

export function lbService(key: string, options: ServiceOptions = {}): Service {
  const [namespace, name] = key.split("/");
  return {
    metadata: {
      namespace,
      name,
      creationTimestamp: new Date(Date.UTC(2026, 0, 1) + (options.created ?? 0) * 1000).toISOString(),
      ...(options.annotations ? { annotations: options.annotations } : {}),
      ...(options.labels ? { labels: options.labels } : {}),
    },
    spec: {
      type: options.type ?? "LoadBalancer",
      ipFamilies: options.families ?? ["IPv4"],
      ipFamilyPolicy: options.policy ?? "SingleStack",
      ...(options.loadBalancerClass ? { loadBalancerClass: options.loadBalancerClass } : {}),
      ...(options.loadBalancerIP ? { loadBalancerIP: options.loadBalancerIP } : {}),
      ...(options.ports
        ? {
            ports: options.ports.map((text) => {
              const [protocol, port] = text.split("/");
              return { protocol: protocol!, port: Number(port) };
            }),
          }
        : {}),
      ...(options.externalTrafficPolicy ? { externalTrafficPolicy: options.externalTrafficPolicy } : {}),
      ...(options.selector ? { selector: options.selector } : {}),
    },
    ...(options.ingress ? { status: { loadBalancer: { ingress: options.ingress } } } : {}),
  };
}

const addressId = (address: Address) => `${address.family}/${address.value}`;
/** A fixed clock: conditions compare equal from one pass to the next. */
const NOW = "2026-01-01T00:00:00Z";

export class TestCluster {
  readonly registry = new PoolRegistry();
  readonly ledger = new Ledger();
  /** The IPPool objects, as last set. */
  readonly pools = new Map<string, IPPool>();
  readonly services = new Map<string, Service>();
  readonly namespaces = new Map<string, Labels>();
  config: ManagementConfig = { assignIPs: "AllServices", loadBalancerClass: "calico" };

  constructor(pools: IPPool[] = []) {
    for (const pool of pools) this.setPool(pool);
  }

  get views(): Map<string, PoolView> {
    return this.registry.views;
  }

  get poolSet() {
    return this.registry.poolSet;
  }

  /** Creates or edits a pool, as the controller's pool sync does: new storage takes back what is held. */
  setPool(pool: IPPool): void {
    const name = pool.metadata.name ?? "";
    this.pools.set(name, pool);
    if (this.registry.sync(name, pool).storageReplaced) reclaimHoldings(this.ledger, this.registry);
  }

  deletePool(name: string): void {
    this.pools.delete(name);
    if (this.registry.sync(name, undefined).storageReplaced) reclaimHoldings(this.ledger, this.registry);
  }

  setService(service: Service): void {
    this.services.set(serviceKey(service), service);
  }

  /** A Service deleted: what it held goes back, as on the controller's delete event. */
  deleteService(key: string): void {
    releaseAll(key, this.ledger, this.poolSet);
    forgetForeign(this.ledger, this.registry, key);
    this.services.delete(key);
  }

  /** Makes `key` hold `text` in the pools and the ledger, as an earlier reconcile would have. */
  hold(key: string, text: string): void {
    const address = parseAddress(text);
    assert.ok(this.poolSet.find(address.family, address.value)!.claim(address.value), `${text} was free`);
    assert.ok(this.ledger.hold(key, address));
  }

  /** Who holds what (lbipam's own holdings): ["family/value", Service key], a shared address once per member. */
  held(): [string, string][] {
    const held: [string, string][] = [];
    for (const key of this.ledger.keys())
      for (const h of this.ledger.holdings(key)) held.push([addressId(h), key]);
    return held;
  }

  decideFor(key: string): Decision {
    const service = this.services.get(key);
    assert.ok(service, `no Service ${key}`);
    return decide({
      service,
      namespaceLabels: this.namespaces.get(service.metadata.namespace ?? "") ?? {},
      pools: this.views,
      poolSet: this.poolSet,
      config: this.config,
      ...ledgerDecisionInput(this.ledger, service, key),
    });
  }

  /** One reconcile of the Service; returns whether its status or holdings changed. */
  reconcile(key: string): boolean {
    const service = this.services.get(key)!;
    const before = forgetForeign(this.ledger, this.registry, key);
    const decision = this.decideFor(key);
    if (!decision.managed) showForeign(this.ledger, this.registry, key, service, before);
    let written = false;
    const { carried, released } = reconcileNow(
      key,
      service,
      decision,
      this.ledger,
      this.poolSet,
      ({ ingress, condition }) => {
        const conditions = setCondition(
          service.status?.conditions,
          SERVICE_CONDITION_TYPE,
          condition,
          NOW,
          undefined,
        );
        const status = {
          ...(ingress.length > 0 ? { loadBalancer: { ingress } } : {}),
          ...(conditions.length > 0 ? { conditions } : {}),
        };
        if (JSON.stringify(status) === JSON.stringify(service.status ?? {})) return;
        this.services.set(key, { ...service, status });
        written = true;
      },
    );
    return written || carried.taken.length > 0 || carried.rolledBack || released.length > 0;
  }

  /** Reconciles every Service, oldest first, until a pass changes nothing; returns the passes that changed something. */
  settle(maxPasses = 10): number {
    for (let pass = 0; pass < maxPasses; pass++) {
      let changed = false;
      for (const key of this.keysOldestFirst()) changed = this.reconcile(key) || changed;
      if (!changed) return pass;
    }
    assert.fail(`the cluster did not settle in ${maxPasses} passes`);
  }

  keysOldestFirst(): string[] {
    return [...this.services.values()].sort(olderFirst).map(serviceKey);
  }

  ips(key: string): string[] {
    return (this.services.get(key)?.status?.loadBalancer?.ingress ?? []).map(
      (e) => e.ip ?? `host:${e.hostname}`,
    );
  }

  reason(key: string): string | undefined {
    return this.services.get(key)?.status?.conditions?.find((c) => c.type === SERVICE_CONDITION_TYPE)?.reason;
  }

  /** The Service's sharing profile; of one with a malformed annotation, the one it shares by (it keeps what it had). */
  private sharingProfile(key: string) {
    if (this.reason(key) === "InvalidAnnotation") return this.ledger.profileOf(key);
    return serviceSharingProfile(this.services.get(key)!);
  }

  /**
   * A pool address is in the status of two managed Services only when they
   * share it by their sharing key: the same key, and each fits the others
   * (ports, traffic policy, namespaces). Other entries are not lbipam's.
   */
  assertSharedOnlyByKey(): void {
    const seen = new Map<string, string[]>();
    for (const [key, service] of this.services) {
      if (whyUnmanaged(service, parseServiceRequest(service), this.config) !== undefined) continue;
      for (const entry of service.status?.loadBalancer?.ingress ?? []) {
        if (!entry.ip) continue;
        const address = parseAddress(entry.ip);
        if (![...this.views.values()].some((view) => view.cidr && cidrContains(view.cidr, address))) continue;
        const id = addressId(address);
        const mine = this.sharingProfile(key);
        for (const other of seen.get(id) ?? []) {
          const theirs = this.sharingProfile(other);
          const why = mine ? whyCannotShare(mine, other, theirs) : "no sharing key";
          assert.equal(why, undefined, `${entry.ip} is in the status of ${other} and ${key}: ${why}`);
        }
        seen.set(id, [...(seen.get(id) ?? []), key]);
      }
    }
  }
}
