// The controller's read path: one informer per kind it reads, each cache
// holding what the controller reads of its objects (Services and Namespaces
// are many: only their projections are kept), and every change reported as
// a work-queue key once all caches have synced.
import type { KubernetesObject } from "@kubernetes/client-node";
import {
  type BlockReading,
  calicoBlockRecords,
  type IPPool,
  type IPReservation,
  type KubeControllersConfiguration,
  type Namespace,
  projectNamespace,
  projectService,
  type Service,
  serviceKey,
} from "@lbipam/api";
import { CONFIG_PLURAL } from "./config-sync.js";
import { Informer, type InformerLogger } from "./informer.js";
import type { RestClient } from "./rest-client.js";

export type CachedService = Service & KubernetesObject;
export type CachedNamespace = Namespace & KubernetesObject;
/** A Calico IPAM block as the cache keeps it: its name and what it records (a host's block records nothing). */
export type CachedBlock = KubernetesObject & { reading: BlockReading };

function projectBlock(object: unknown): CachedBlock {
  const { metadata } = object as KubernetesObject;
  return {
    metadata: { name: metadata?.name, resourceVersion: metadata?.resourceVersion },
    reading: calicoBlockRecords(object),
  };
}

/** Work-queue keys: one prefix per kind, then the object's name (namespace/name for Services). */
export const KEY = {
  service: "s:",
  pool: "p:",
  namespace: "n:",
  reservations: "r:",
  config: "c:",
  block: "b:",
} as const;
export type KeyKind = keyof typeof KEY;
export const KEY_PREFIX_LENGTH = 2;

export interface ClusterCachesOptions {
  /** Where the cluster keeps pools, reservations and the configuration (its shape). */
  calicoApi: { group: string; version: string };
  /** Where it keeps Calico's IPAM blocks, if it has them (ShapeDecision.blocks). */
  blocks?: { group: string; version: string } | undefined;
  logger: InformerLogger;
  watchTimeoutSeconds?: number;
  /**
   * A cached object changed (after the first sync): `key` is its work-queue
   * key; for an update, `previous` is the version cached before.
   */
  onChange(kind: KeyKind, key: string, object: KubernetesObject, previous?: KubernetesObject): void;
  /** An informer restarted its list and watch, for metrics. */
  onRestart(resource: string): void;
}

export class ClusterCaches {
  readonly services: Informer<CachedService>;
  readonly namespaces: Informer<CachedNamespace>;
  readonly pools: Informer<IPPool & KubernetesObject>;
  readonly reservations: Informer<IPReservation & KubernetesObject>;
  readonly configs: Informer<KubeControllersConfiguration & KubernetesObject>;
  /** Calico's IPAM blocks; none where the cluster has no such CRD (it would never sync). */
  readonly blocks: Informer<CachedBlock> | undefined;
  private synced = false;

  constructor(rest: RestClient, options: ClusterCachesOptions) {
    const informer = <T extends KubernetesObject>(
      resource: string,
      path: string,
      kind: KeyKind,
      project?: (object: unknown) => T,
    ) => {
      const handler = (object: KubernetesObject, previous?: KubernetesObject) => {
        // Until every cache has synced nothing is worked on, and leading starts from the caches
        // whole: queueing the first list's 100,000 adds one by one would be thrown away.
        if (!this.synced) return;
        const meta = object.metadata ?? {};
        const name = kind === "service" ? `${meta.namespace}/${meta.name}` : (meta.name ?? "");
        options.onChange(kind, `${KEY[kind]}${name}`, object, previous);
      };
      return new Informer<T>(rest, {
        resource,
        path,
        project,
        logger: options.logger,
        watchTimeoutSeconds: options.watchTimeoutSeconds,
        onAdd: handler,
        onUpdate: handler,
        onDelete: handler,
        onRestart: () => options.onRestart(resource),
      });
    };
    const { group, version } = options.calicoApi;
    const calicoPath = (plural: string) => `/apis/${group}/${version}/${plural}`;
    this.services = informer(
      "services",
      "/api/v1/services",
      "service",
      (o) => projectService(o) as CachedService,
    );
    this.namespaces = informer(
      "namespaces",
      "/api/v1/namespaces",
      "namespace",
      (o) => projectNamespace(o) as CachedNamespace,
    );
    this.pools = informer("ippools", calicoPath("ippools"), "pool");
    this.reservations = informer("ipreservations", calicoPath("ipreservations"), "reservations");
    this.configs = informer(CONFIG_PLURAL, calicoPath(CONFIG_PLURAL), "config");
    const blocks = options.blocks;
    this.blocks =
      blocks &&
      informer("ipamblocks", `/apis/${blocks.group}/${blocks.version}/ipamblocks`, "block", projectBlock);
  }

  /** Every address Calico's blocks record now, and what could not be read of them. */
  calicoRecords(): BlockReading {
    const blocks = this.blocks?.list() ?? [];
    return {
      records: blocks.flatMap((block) => block.reading.records),
      problems: blocks.flatMap((block) => block.reading.problems),
    };
  }

  /**
   * Every Service's work-queue key, those showing no address first: they are
   * the likeliest to need a write, and a new leader taking over mid-burst
   * serves them before re-checking the many that keep what they have.
   */
  *serviceKeysNoAddressFirst(): Generator<string> {
    const services = this.services.list();
    const showsAddress = (service: CachedService) => (service.status?.loadBalancer?.ingress?.length ?? 0) > 0;
    for (const first of [false, true]) {
      for (const service of services) {
        if (showsAddress(service) === first) yield `${KEY.service}${serviceKey(service)}`;
      }
    }
  }

  private get all() {
    const all = [this.services, this.namespaces, this.pools, this.reservations, this.configs];
    return this.blocks ? [...all, this.blocks] : all;
  }

  /** Starts every informer; resolves once every cache has synced. */
  async start(): Promise<void> {
    for (const informer of this.all) informer.start();
    await Promise.all(this.all.map((informer) => informer.synced));
    this.synced = true;
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  async stop(): Promise<void> {
    await Promise.all(this.all.map((informer) => informer.stop()));
  }
}
