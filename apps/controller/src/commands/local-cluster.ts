// What `lbipam start` runs once its flags are read: the embedded API server
// and the controller in one process, the examples applied, and each
// assignment printed as it happens.
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  loadAllYaml,
  type V1Service,
} from "@kubernetes/client-node";
import {
  type ManagementConfig,
  parseServiceRequest,
  projectService,
  SERVICE_CONDITION_TYPE,
  whyUnmanaged,
} from "@lbipam/api";
import { startApiServer } from "@lbipam/apiserver";
import { pino } from "pino";
import { Controller } from "../controller/controller.js";
import { Informer } from "../controller/informer.js";
import { startMetricsServer } from "../controller/metrics-server.js";
import { RestClient } from "../controller/rest-client.js";
import type { ListenAddress } from "./usage.js";

export interface LocalClusterOptions {
  listen: ListenAddress;
  metricsListen: ListenAddress;
  /** Where to write the kubeconfig for kubectl. */
  kubeconfigOut: string;
  /** Manifests applied at start. */
  examples: string;
  crdDirectory: string;
  /** The repository's node_modules/.bin, where npm put kubectl-lbipam. */
  pluginDirectory: string;
}

/** Reads every YAML document of a directory, in file name order. */
export function readManifests(directory: string): KubernetesObject[] {
  return readdirSync(directory)
    .filter((file) => file.endsWith(".yaml") || file.endsWith(".yml"))
    .sort()
    .flatMap((file) => loadAllYaml(readFileSync(join(directory, file), "utf8")) as KubernetesObject[])
    .filter((object) => object && typeof object === "object");
}

export async function runLocalCluster(options: LocalClusterOptions): Promise<number> {
  const { listen, metricsListen } = options;
  const log = pino({ name: "lbipam", level: "warn" });
  const say = (line: string) => process.stdout.write(`${line}\n`);

  const server = await startApiServer({
    host: listen.host,
    port: listen.port,
    crdDirectory: options.crdDirectory,
  });
  const kubeconfigPath = resolve(options.kubeconfigOut);
  server.writeKubeconfig(kubeconfigPath);
  const kubeconfig = new KubeConfig();
  kubeconfig.loadFromFile(kubeconfigPath);

  const controller = new Controller({
    kubeconfig,
    logger: log,
    loadBalancerClass: "calico",
    workers: 8,
    qps: 0,
    burst: 1,
  });
  // Plain HTTP with the probes beside it: a local run has no one to authenticate.
  const health = await startMetricsServer(
    metricsListen.host,
    metricsListen.port,
    controller.metrics.registry,
    {
      secure: false,
      probes: { healthy: () => ({ ok: true, detail: "ok" }), ready: () => controller.readiness() },
    },
  );
  const assignments = watchAssignments(kubeconfig, log, say, () => controller.managementConfig());
  await controller.start();

  const objects = kubeconfig.makeApiClient(KubernetesObjectApi);
  for (const manifest of readManifests(options.examples)) {
    try {
      await objects.create(manifest);
      say(
        `applied ${manifest.kind} ${manifest.metadata?.namespace ? `${manifest.metadata.namespace}/` : ""}${manifest.metadata?.name}`,
      );
    } catch (error) {
      say(
        `could not apply ${manifest.kind} ${manifest.metadata?.name}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  say("");
  say(`lbipam is running: embedded API server ${server.url}, controller metrics ${health.url}/metrics`);
  say("Try, in another terminal:");
  say(`  export KUBECONFIG=${kubeconfigPath}`);
  say(`  export PATH=${options.pluginDirectory}:$PATH`);
  say("  kubectl get ippools");
  say("  kubectl get services");
  say(`  kubectl annotate service service-loadbalancer projectcalico.org/loadBalancerIPs='["192.210.1.10"]'`);
  say("  kubectl describe service service-loadbalancer");
  say("  kubectl lbipam pools");
  say("  kubectl lbipam explain service-loadbalancer");
  say(
    `  kubectl patch kubecontrollersconfiguration default --type merge --patch '{"spec": {"controllers":{"loadBalancer":{"AssignIPs": "RequestedServicesOnly"}}}}'`,
  );
  say("Press Ctrl-C to stop.");
  say("");

  await new Promise<void>((resolveStop) => {
    process.once("SIGTERM", resolveStop);
    process.once("SIGINT", resolveStop);
  });
  say("stopping lbipam...");
  await assignments.stop();
  await controller.stop();
  await health.close();
  await server.stop();
  // It points at the port just closed: a later kubectl would only time out.
  rmSync(kubeconfigPath, { force: true });
  say(`lbipam stopped; removed ${kubeconfigPath}`);
  return 0;
}

/**
 * What a LoadBalancer Service shows, in one line: its addresses, or why it
 * has none (waiting, with the controller's reason; or not lbipam's to serve).
 */
export function assignmentLine(service: V1Service, config: ManagementConfig): string {
  const key = `${service.metadata?.namespace}/${service.metadata?.name}`;
  const ips = (service.status?.loadBalancer?.ingress ?? [])
    .map((entry) => entry.ip ?? entry.hostname)
    .join(", ");
  if (ips) return `service ${key}: ${ips}`;
  const projected = projectService(service);
  const unmanaged = whyUnmanaged(projected, parseServiceRequest(projected), config);
  if (unmanaged) return `service ${key}: not managed by lbipam (${unmanaged.message})`;
  const condition = service.status?.conditions?.find((c) => c.type === SERVICE_CONDITION_TYPE);
  return condition?.status === "False"
    ? `service ${key}: <pending> (${condition.reason}: ${condition.message})`
    : `service ${key}: <pending>`;
}

/** Prints each change of a LoadBalancer Service's addresses. */
function watchAssignments(
  kubeconfig: KubeConfig,
  log: pino.Logger,
  say: (line: string) => void,
  config: () => ManagementConfig,
): { stop(): Promise<void> } {
  const rest = new RestClient(kubeconfig, 1);
  const shown = new Map<string, string>();
  const show = (service: V1Service) => {
    if (service.spec?.type !== "LoadBalancer") return;
    const key = `${service.metadata?.namespace}/${service.metadata?.name}`;
    const line = assignmentLine(service, config());
    if (shown.get(key) === line) return;
    shown.set(key, line);
    say(line);
  };
  const informer = new Informer<V1Service>(rest, {
    resource: "services",
    path: "/api/v1/services",
    logger: log,
    onAdd: show,
    onUpdate: show,
    onDelete: (service) => shown.delete(`${service.metadata?.namespace}/${service.metadata?.name}`),
  });
  informer.start();
  return {
    stop: async () => {
      await informer.stop();
      rest.close();
    },
  };
}
