// Reading what the controller reads from a cluster, with kubectl's kubeconfig
// rules, and every failure turned into one clear PluginError.
import {
  ApiextensionsV1Api,
  ApiregistrationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
} from "@kubernetes/client-node";
import {
  clusterShapeOf,
  DEFAULT_CONFIGURATION_NAME,
  type IPPool,
  type IPReservation,
  isCalicoShape,
  type KubeControllersConfiguration,
  type Namespace,
  OWN_SHAPE,
  type Service,
  SHAPE_OBJECTS,
  type ShapeDecision,
} from "@lbipam/api";
import {
  AccessDeniedError,
  CrdsMissingError,
  KubeconfigError,
  NotFoundError,
  RequestFailedError,
} from "./errors.js";
import type { ClusterObjects } from "./state.js";

export interface ConnectionFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

export interface Connection {
  kubeconfig: KubeConfig;
  /** -n, else the context's namespace, else `default`. */
  namespace: string;
  server: string;
}

export function connect(flags: ConnectionFlags): Connection {
  const kubeconfig = new KubeConfig();
  try {
    if (flags.kubeconfig) kubeconfig.loadFromFile(flags.kubeconfig);
    else kubeconfig.loadFromDefault();
  } catch (error) {
    throw new KubeconfigError(`cannot load the kubeconfig: ${(error as Error).message}`);
  }
  if (flags.context) {
    if (!kubeconfig.getContextObject(flags.context)) {
      throw new KubeconfigError(`context "${flags.context}" does not exist`);
    }
    kubeconfig.setCurrentContext(flags.context);
  }
  const context = kubeconfig.getContextObject(kubeconfig.getCurrentContext());
  const cluster = kubeconfig.getCurrentCluster();
  if (!cluster) {
    throw new KubeconfigError(
      "no cluster in the kubeconfig's current context; pass --kubeconfig or --context, or set KUBECONFIG",
    );
  }
  return {
    kubeconfig,
    namespace: flags.namespace || context?.namespace || "default",
    server: cluster.server,
  };
}

interface HttpFailure {
  code: number;
  body?: unknown;
}

function httpFailure(error: unknown): HttpFailure | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "number" ? { code, body: (error as { body?: unknown }).body } : undefined;
}

/** The message of a Kubernetes Status body (a string or an object). */
function statusMessage(body: unknown): string | undefined {
  let value = body;
  if (typeof body === "string") {
    try {
      value = JSON.parse(body);
    } catch {
      return body.trim() || undefined;
    }
  }
  const message = (value as { message?: unknown } | undefined)?.message;
  return typeof message === "string" && message !== "" ? message : undefined;
}

/** client-node's core objects carry Date timestamps; lbipam reads RFC 3339 strings, as on the wire. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

export class ClusterReader {
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;
  private found: Promise<ShapeDecision> | undefined;
  /** Why the shape could not be read, when it could not (lbipam's own is assumed then). */
  shapeProblem: string | undefined;

  constructor(private readonly connection: Connection) {
    this.core = connection.kubeconfig.makeApiClient(CoreV1Api);
    this.custom = connection.kubeconfig.makeApiClient(CustomObjectsApi);
  }

  /**
   * The cluster's shape, read as the controller reads it at start (the two
   * IPPool CRDs and Calico's APIService); where those cannot be read (a user
   * without that permission), lbipam's own CRDs are assumed and `shapeProblem` says why.
   */
  shape(): Promise<ShapeDecision> {
    this.found ??= this.readShape();
    return this.found;
  }

  private async readShape(): Promise<ShapeDecision> {
    const crds = this.connection.kubeconfig.makeApiClient(ApiextensionsV1Api);
    const apiServices = this.connection.kubeconfig.makeApiClient(ApiregistrationV1Api);
    const exists = <T>(what: string, run: () => Promise<T>) =>
      this.request(
        what,
        async () => (await run()) as T | undefined,
        () => undefined,
      );
    try {
      const crd = (what: string, name: string) =>
        exists(`getting the ${what} CRD`, () => crds.readCustomResourceDefinition({ name }));
      const [v3PoolCrd, v1PoolCrd, calicoApiService] = await Promise.all([
        crd("IPPool", SHAPE_OBJECTS.v3PoolCrd),
        crd("IPPool", SHAPE_OBJECTS.v1PoolCrd),
        exists("getting Calico's APIService", () =>
          apiServices.readAPIService({ name: SHAPE_OBJECTS.calicoApiService }),
        ),
      ]);
      // Where Calico's IPAM blocks are matters only in a Calico cluster.
      const [v1BlockCrd, v3BlockCrd] = isCalicoShape({ v3PoolCrd, v1PoolCrd, calicoApiService })
        ? await Promise.all([
            crd("IPAMBlock", SHAPE_OBJECTS.v1BlockCrd),
            crd("IPAMBlock", SHAPE_OBJECTS.v3BlockCrd),
          ])
        : [undefined, undefined];
      return clusterShapeOf({ v3PoolCrd, v1PoolCrd, calicoApiService, v1BlockCrd, v3BlockCrd });
    } catch (error) {
      if (!(error instanceof AccessDeniedError || error instanceof RequestFailedError)) throw error;
      this.shapeProblem = `cannot tell the cluster's shape (${error.message}); read projectcalico.org/v3`;
      return OWN_SHAPE;
    }
  }

  /** Runs one request; `onNotFound` answers a 404 (the default is to fail). */
  private async request<T>(what: string, run: () => Promise<T>, onNotFound?: () => T): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const failure = httpFailure(error);
      if (!failure) {
        throw new RequestFailedError(
          0,
          what,
          `cannot reach the API server at ${this.connection.server}: ${(error as Error).message}`,
        );
      }
      const detail = statusMessage(failure.body) ?? `HTTP ${failure.code}`;
      if (failure.code === 401 || failure.code === 403)
        throw new AccessDeniedError(failure.code, what, detail);
      if (failure.code === 404 && onNotFound) return onNotFound();
      throw new RequestFailedError(failure.code, what, detail);
    }
  }

  private async listCustom<T>(plural: string): Promise<T[]> {
    const { group, version } = await this.shape();
    const crdMissing = (): never => {
      throw new CrdsMissingError(`the server has no resource ${plural}.${group} (404)`);
    };
    const list = await this.request(
      `listing ${plural}.${group}`,
      () => this.custom.listClusterCustomObject({ group, version, plural }),
      crdMissing,
    );
    return ((list as { items?: T[] }).items ?? []) as T[];
  }

  pools(): Promise<IPPool[]> {
    return this.listCustom<IPPool>("ippools");
  }

  reservations(): Promise<IPReservation[]> {
    return this.listCustom<IPReservation>("ipreservations");
  }

  async configuration(): Promise<KubeControllersConfiguration | undefined> {
    const { group, version } = await this.shape();
    const object = await this.request(
      `getting kubecontrollersconfigurations.${group} ${DEFAULT_CONFIGURATION_NAME}`,
      () =>
        this.custom.getClusterCustomObject({
          group,
          version,
          plural: "kubecontrollersconfigurations",
          name: DEFAULT_CONFIGURATION_NAME,
        }) as Promise<unknown>,
      () => undefined,
    );
    return object as KubeControllersConfiguration | undefined;
  }

  /** Calico's IPAM blocks, where the cluster's shape has them (none otherwise). */
  async blocks(): Promise<unknown[]> {
    const { blocks } = await this.shape();
    if (!blocks) return [];
    const { group, version } = blocks;
    const list = await this.request(
      `listing ipamblocks.${group}`,
      () => this.custom.listClusterCustomObject({ group, version, plural: "ipamblocks" }),
      () => ({ items: [] }),
    );
    return (list as { items?: unknown[] }).items ?? [];
  }

  async services(): Promise<Service[]> {
    const list = await this.request("listing services", () => this.core.listServiceForAllNamespaces());
    return plain(list.items) as Service[];
  }

  async service(namespace: string, name: string): Promise<Service> {
    const notFound = (): never => {
      throw new NotFoundError(`services "${name}" in namespace "${namespace}"`);
    };
    const service = await this.request(
      `getting service ${namespace}/${name}`,
      () => this.core.readNamespacedService({ namespace, name }),
      notFound,
    );
    return plain(service) as Service;
  }

  /** The Namespace (for its labels); undefined when it does not exist. */
  async namespace(name: string): Promise<Namespace | undefined> {
    const namespace = await this.request(
      `getting namespace ${name}`,
      () => this.core.readNamespace({ name }) as Promise<unknown>,
      () => undefined,
    );
    return namespace === undefined ? undefined : (plain(namespace) as Namespace);
  }

  /**
   * What the controller reads: pools first (so missing CRDs are reported as
   * such), reservations, the configuration, every Service (their status says
   * who holds what), Calico's IPAM blocks and the Namespaces asked for.
   */
  async objects(namespaces: string[] = []): Promise<ClusterObjects> {
    const pools = await this.pools();
    const [reservations, configuration, services, blocks, found] = await Promise.all([
      this.reservations(),
      this.configuration(),
      this.services(),
      this.blocks(),
      Promise.all(namespaces.map((name) => this.namespace(name))),
    ]);
    return {
      pools,
      reservations,
      services,
      configuration,
      blocks,
      namespaces: found.filter((ns): ns is Namespace => ns !== undefined),
    };
  }
}
