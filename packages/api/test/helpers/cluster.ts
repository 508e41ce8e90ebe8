// A tiny in-memory cluster and controller loop for tests: pools and
// namespaces as data, a real allocator PoolSet, a ledger of who holds what,
// and `reconcile` applying decisions the way the controller does
// (release, claim, allocate, then write status).
import assert from "node:assert/strict";
import { type Address, cidrContains, type Family, PoolSet, parseAddress } from "@lbipam/allocator";
import {
  type Decision,
  decide,
  desiredIngress,
  type IPPool,
  type IPPoolSpec,
  type Labels,
  type ManagementConfig,
  type PoolView,
  parseServiceRequest,
  SERVICE_CONDITION_TYPE,
  type Service,
  serviceKey,
  toPoolView,
  whyUnmanaged,
} from "../../src/index.js";

export function ippool(
  name: string,
  cidr: string,
  spec: Partial<IPPoolSpec> = {},
  meta: { created?: number; deleting?: boolean } = {},
): IPPool {
  return {
    metadata: {
      name,
      creationTimestamp: new Date(Date.UTC(2026, 0, 1) + (meta.created ?? 0) * 1000).toISOString(),
      ...(meta.deleting ? { deletionTimestamp: "2026-02-01T00:00:00Z" } : {}),
    },
    spec: { cidr, allowedUses: ["LoadBalancer"], ...spec },
  };
}

export interface ServiceOptions {
  annotations?: Record<string, string>;
  families?: ("IPv4" | "IPv6")[];
  policy?: "SingleStack" | "PreferDualStack" | "RequireDualStack";
  type?: string;
  loadBalancerClass?: string;
  loadBalancerIP?: string;
  created?: number;
  ingress?: { ip?: string; hostname?: string }[];
}

export function lbService(key: string, options: ServiceOptions = {}): Service {
  const [namespace, name] = key.split("/");
  return {
    metadata: {
      namespace,
      name,
      creationTimestamp: new Date(Date.UTC(2026, 0, 1) + (options.created ?? 0) * 1000).toISOString(),
      ...(options.annotations ? { annotations: options.annotations } : {}),
    },
    spec: {
      type: options.type ?? "LoadBalancer",
      ipFamilies: options.families ?? ["IPv4"],
      ipFamilyPolicy: options.policy ?? "SingleStack",
      ...(options.loadBalancerClass ? { loadBalancerClass: options.loadBalancerClass } : {}),
      ...(options.loadBalancerIP ? { loadBalancerIP: options.loadBalancerIP } : {}),
    },
    ...(options.ingress ? { status: { loadBalancer: { ingress: options.ingress } } } : {}),
  };
}

const ledgerKey = (address: Address) => `${address.family}/${address.value}`;

export class TestCluster {
  readonly views = new Map<string, PoolView>();
  poolSet = new PoolSet();
  /** Address -> key of the Service holding it: the controller's ledger. */
  readonly ledger = new Map<string, string>();
  readonly services = new Map<string, Service>();
  readonly namespaces = new Map<string, Labels>();
  config: ManagementConfig = { assignIPs: "AllServices", loadBalancerClass: "calico" };
  /** Every address each pass handed out or kept, to check no two Services ever wanted the same one. */
  readonly log: string[] = [];

  constructor(pools: IPPool[] = []) {
    for (const pool of pools) this.setPool(pool);
  }

  setPool(pool: IPPool): void {
    const view = toPoolView(pool);
    if (this.poolSet.get(view.name)) this.poolSet.remove(view.name);
    this.views.set(view.name, view);
    if (view.definition) this.poolSet.add(view.definition);
    this.restoreAllocations(view.name);
  }

  deletePool(name: string): void {
    this.views.delete(name);
    this.poolSet.remove(name);
  }

  /** Re-claims ledger entries inside a re-added pool (a pool edit keeps its allocations). */
  private restoreAllocations(name: string): void {
    const pool = this.poolSet.get(name);
    if (!pool) return;
    for (const entry of this.ledger.keys()) {
      const [family, value] = entry.split("/");
      if (Number(family) === pool.spec.family && pool.contains(BigInt(value!))) pool.claim(BigInt(value!));
    }
  }

  setService(service: Service): void {
    this.services.set(serviceKey(service), service);
  }

  holderOf = (address: Address): string | undefined => this.ledger.get(ledgerKey(address));

  decideFor(key: string): Decision {
    const service = this.services.get(key);
    assert.ok(service, `no Service ${key}`);
    return decide({
      service,
      namespaceLabels: this.namespaces.get(service.metadata.namespace ?? "") ?? {},
      pools: this.views,
      poolSet: this.poolSet,
      config: this.config,
      holderOf: this.holderOf,
    });
  }

  /** Applies one decision; returns whether anything changed. */
  reconcile(key: string): boolean {
    const service = this.services.get(key)!;
    const decision = this.decideFor(key);
    let changed = false;
    for (const text of decision.release) {
      const address = parseAddress(text);
      this.poolSet.find(address.family, address.value)?.release(address.value);
      this.ledger.delete(ledgerKey(address));
      changed = true;
    }
    const addresses: string[] = [];
    for (const family of decision.families) {
      if (family.action === "keep") addresses.push(family.address);
      else if (family.action === "claim") {
        const address = parseAddress(family.address);
        const pool = this.poolSet.get(family.pool)!;
        if (pool.claim(address.value)) {
          this.ledger.set(ledgerKey(address), key);
          addresses.push(family.address);
          changed = true;
        }
      } else if (family.action === "allocate") {
        for (const name of family.pools) {
          const pool = this.poolSet.get(name)!;
          const value = pool.allocate();
          if (value === undefined) continue;
          this.ledger.set(ledgerKey({ family: family.family as Family, value }), key);
          addresses.push(pool.format(value));
          changed = true;
          break;
        }
      }
    }
    this.log.push(...addresses.map((text) => `${key} ${text}`));
    const ingress = desiredIngress(service, decision, addresses);
    const others = (service.status?.conditions ?? []).filter((c) => c.type !== SERVICE_CONDITION_TYPE);
    const conditions = decision.condition ? [...others, decision.condition] : others;
    const status = {
      ...(ingress.length > 0 ? { loadBalancer: { ingress } } : {}),
      ...(conditions.length > 0 ? { conditions } : {}),
    };
    if (JSON.stringify(status) !== JSON.stringify(service.status ?? {})) {
      this.services.set(key, { ...service, status });
      changed = true;
    }
    return changed;
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
    return [...this.services.values()]
      .sort(
        (a, b) =>
          Date.parse(a.metadata.creationTimestamp!) - Date.parse(b.metadata.creationTimestamp!) ||
          serviceKey(a).localeCompare(serviceKey(b)),
      )
      .map(serviceKey);
  }

  ips(key: string): string[] {
    return (this.services.get(key)?.status?.loadBalancer?.ingress ?? []).map(
      (e) => e.ip ?? `host:${e.hostname}`,
    );
  }

  reason(key: string): string | undefined {
    return this.services.get(key)?.status?.conditions?.find((c) => c.type === SERVICE_CONDITION_TYPE)?.reason;
  }

  /** No pool address is in the status of two managed Services (other entries are not lbipam's). */
  assertNoSharedAddress(): void {
    const seen = new Map<string, string>();
    for (const [key, service] of this.services) {
      if (whyUnmanaged(service, parseServiceRequest(service), this.config) !== undefined) continue;
      for (const entry of service.status?.loadBalancer?.ingress ?? []) {
        if (!entry.ip) continue;
        const address = parseAddress(entry.ip);
        if (![...this.views.values()].some((view) => view.cidr && cidrContains(view.cidr, address))) continue;
        const id = ledgerKey(address);
        assert.equal(seen.get(id), undefined, `${entry.ip} is in the status of ${seen.get(id)} and ${key}`);
        seen.set(id, key);
      }
    }
  }
}
