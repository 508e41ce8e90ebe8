// An embedded API server and client-node clients for controller tests.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
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

/** An embedded API server with the repository's CRDs, or those of `crds` (a directory of CRD manifests). */
export async function startCluster(crds = crdDirectory): Promise<TestCluster> {
  const server = await startApiServer({ port: 0, crdDirectory: crds });
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

export interface RunningController {
  readonly cluster: TestCluster;
  readonly controller: Controller;
}

/**
 * One embedded API server and one started controller for a test file:
 * before() starts them (after `setup`), after() stops them. Tests that each
 * keep to a namespace of their own (isolatedNamespace) share them and still
 * run alone.
 */
export function runningController(
  options: Partial<ControllerOptions> = {},
  setup?: (cluster: TestCluster) => Promise<void>,
): RunningController {
  let cluster: TestCluster | undefined;
  let controller: Controller | undefined;
  before(async () => {
    cluster = await startCluster();
    await setup?.(cluster);
    controller = startController(cluster, options);
    await controller.start();
  });
  after(async () => {
    await controller?.stop();
    await cluster?.stop();
  });
  return {
    get cluster() {
      assert.ok(cluster, "the cluster starts in before()");
      return cluster;
    },
    get controller() {
      assert.ok(controller, "the controller starts in before()");
      return controller;
    },
  };
}

/** A pool selector for one namespace (the label every Namespace has). */
export const onlyNamespace = (namespace: string) => `kubernetes.io/metadata.name == '${namespace}'`;

/**
 * A Namespace for one test, and its pools (created with a selector for that
 * namespace only, unless the spec has its own): no other test's Service takes
 * their addresses, so the test runs alone or after any other.
 */
export async function isolatedNamespace(
  cluster: TestCluster,
  namespace: string,
  pools: Record<string, Record<string, unknown>> = {},
  labels: Record<string, string> = {},
): Promise<void> {
  await cluster.core.createNamespace({ body: { metadata: { name: namespace, labels } } });
  for (const [name, spec] of Object.entries(pools)) {
    await createPool(cluster, name, { namespaceSelector: onlyNamespace(namespace), ...spec });
  }
}

export const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export async function createPool(
  cluster: TestCluster,
  name: string,
  spec: Record<string, unknown>,
  api: { group: string; version: string } = { group: "projectcalico.org", version: "v3" },
  /** Created with the pool, so no Service is decided before the controller sees them. */
  annotations?: Record<string, string>,
): Promise<void> {
  await cluster.custom.createClusterCustomObject({
    ...api,
    plural: "ippools",
    body: {
      apiVersion: `${api.group}/${api.version}`,
      kind: "IPPool",
      metadata: { name, annotations },
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

/** The condition lbipam keeps on each Service it manages. */
export const ALLOCATED_CONDITION = "projectcalico.org/LoadBalancerIPAllocated";

/** Waits until the Service shows exactly `expected`, in that order. */
export function waitIngress(cluster: TestCluster, namespace: string, name: string, expected: string[]) {
  return waitFor(
    () => ingressOf(cluster, namespace, name),
    (got) => JSON.stringify(got) === JSON.stringify(expected),
    `${namespace}/${name} to show ${expected}`,
  );
}

export async function conditionOf(cluster: TestCluster, namespace: string, name: string) {
  const service = await cluster.core.readNamespacedServiceStatus({ namespace, name });
  return service.status?.conditions?.find((c) => c.type === ALLOCATED_CONDITION);
}

/** Waits until the Service's condition has `reason` (and `status`, when given); returns the condition. */
export function waitReason(
  cluster: TestCluster,
  namespace: string,
  name: string,
  reason: string,
  status?: string,
) {
  return waitFor(
    () => conditionOf(cluster, namespace, name),
    (c) => c?.reason === reason && (status === undefined || c.status === status),
    `${namespace}/${name} reason ${reason}`,
  );
}

export async function eventsOf(cluster: TestCluster, namespace: string, name: string) {
  const list = await cluster.core.listNamespacedEvent({
    namespace,
    fieldSelector: `involvedObject.name=${name}`,
  });
  return list.items;
}

/** Waits for an Event with `reason` (and `type`, when given) on the object; returns it. */
export async function waitEvent(
  cluster: TestCluster,
  namespace: string,
  name: string,
  reason: string,
  type?: string,
) {
  const matches = (e: { reason?: string; type?: string }) =>
    e.reason === reason && (type === undefined || e.type === type);
  const events = await waitFor(
    () => eventsOf(cluster, namespace, name),
    (list) => list.some(matches),
    `a ${type ?? ""} ${reason} Event on ${namespace}/${name}`,
  );
  return events.find(matches)!;
}

export async function createService(
  cluster: TestCluster,
  namespace: string,
  name: string,
  extra: Parameters<typeof loadBalancer>[1] = {},
): Promise<void> {
  await cluster.core.createNamespacedService({ namespace, body: loadBalancer(name, extra) });
}

/** Merge-patches the Service's annotations (null removes one). */
export async function annotate(
  cluster: TestCluster,
  namespace: string,
  name: string,
  annotations: Record<string, string | null>,
): Promise<void> {
  await cluster.core.patchNamespacedService(
    { namespace, name, body: { metadata: { annotations } } },
    mergePatch,
  );
}

/** The real kubectl against the cluster, asynchronously: the API server runs in this process and must keep answering. */
export async function kubectl(cluster: TestCluster, ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)("kubectl", ["--kubeconfig", cluster.kubeconfigFile, ...args], {
    encoding: "utf8",
  });
  return stdout;
}
