// An embedded API server and client-node clients for controller tests.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Service,
} from "@kubernetes/client-node";
import { type ApiServer, startApiServer } from "@lbipam/apiserver";
import { Controller } from "../../src/controller/controller.js";
import type { ControllerOptions } from "../../src/controller/options.js";

export const quietLogger = {
  info() {},
  warn() {},
  error() {},
  debug() {},
};

export interface TestCluster {
  server: ApiServer;
  kubeconfig: KubeConfig;
  /** The server's kubeconfig in a file of its own, for the real kubectl and controller processes. */
  kubeconfigFile: string;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  stop(): Promise<void>;
}

/** The repository's CRDs (this file runs from apps/controller/dist/test/helpers). */
export const crdDirectory = fileURLToPath(new URL("../../../../../deploy/crds", import.meta.url));

export async function startCluster(): Promise<TestCluster> {
  const server = await startApiServer({ port: 0, crdDirectory });
  const kubeconfig = new KubeConfig();
  kubeconfig.loadFromString(server.kubeconfig());
  const kubeconfigFile = join(mkdtempSync(join(tmpdir(), "lbipam-test-")), "kubeconfig");
  server.writeKubeconfig(kubeconfigFile);
  return {
    server,
    kubeconfig,
    kubeconfigFile,
    core: kubeconfig.makeApiClient(CoreV1Api),
    custom: kubeconfig.makeApiClient(CustomObjectsApi),
    stop: () => server.stop(),
  };
}

export function startController(cluster: TestCluster, options: Partial<ControllerOptions> = {}): Controller {
  const controller = new Controller({
    kubeconfig: cluster.kubeconfig,
    logger: quietLogger,
    loadBalancerClass: "calico",
    workers: 4,
    qps: 0,
    burst: 1,
    poolStatusIntervalMs: 50,
    ...options,
  });
  return controller;
}

export const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export async function createPool(
  cluster: TestCluster,
  name: string,
  spec: Record<string, unknown>,
): Promise<void> {
  await cluster.custom.createClusterCustomObject({
    group: "projectcalico.org",
    version: "v3",
    plural: "ippools",
    body: {
      apiVersion: "projectcalico.org/v3",
      kind: "IPPool",
      metadata: { name },
      spec: { allowedUses: ["LoadBalancer"], ...spec },
    },
  });
}

export async function createReservation(
  cluster: TestCluster,
  name: string,
  reservedCIDRs: string[],
): Promise<void> {
  await cluster.custom.createClusterCustomObject({
    group: "projectcalico.org",
    version: "v3",
    plural: "ipreservations",
    body: {
      apiVersion: "projectcalico.org/v3",
      kind: "IPReservation",
      metadata: { name },
      spec: { reservedCIDRs },
    },
  });
}

export function loadBalancer(
  name: string,
  extra: { annotations?: Record<string, string>; spec?: Record<string, unknown> } = {},
): V1Service {
  return {
    metadata: { name, annotations: extra.annotations },
    spec: { type: "LoadBalancer", ports: [{ port: 80 }], ...extra.spec },
  };
}

/** Polls until `read` returns a value that passes `done`; fails after a generous limit. */
export async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 1200; i++) {
    last = await read();
    if (done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)}`);
}

export async function ingressOf(cluster: TestCluster, namespace: string, name: string): Promise<string[]> {
  const service = await cluster.core.readNamespacedServiceStatus({ namespace, name });
  return (service.status?.loadBalancer?.ingress ?? []).map((entry) => entry.ip ?? entry.hostname ?? "");
}

/** Waits until the Service shows exactly one address; returns what it shows. */
export function oneAddressOf(cluster: TestCluster, namespace: string, name: string): Promise<string[]> {
  return waitFor(
    () => ingressOf(cluster, namespace, name),
    (ips) => ips.length === 1,
    `an address for ${namespace}/${name}`,
  );
}
