// `lbipam start` (what `npm start` runs): the embedded API server and the
// controller in one process, the examples applied, and each assignment
// printed as it happens, so a newcomer sees a Service get its address.
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CoreV1Api,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  loadAllYaml,
  type V1Service,
} from "@kubernetes/client-node";
import { startApiServer } from "@lbipam/apiserver";
import { pino } from "pino";
import { Controller } from "../controller/controller.js";
import { startHealthServer } from "../controller/health-server.js";
import { Informer } from "../controller/informer.js";
import { listenFlag, parseFlags } from "./usage.js";

const repository = fileURLToPath(new URL("../../../../../", import.meta.url));

const usage = `usage: lbipam start [--listen HOST:PORT] [--kubeconfig-out FILE] [--examples DIR] [--metrics-listen HOST:PORT]

  --listen           where the embedded API server listens (default 127.0.0.1:0, a free port)
  --kubeconfig-out   kubeconfig for kubectl (default lbipam.kubeconfig)
  --examples         manifests applied at start (default: the repository's examples/)
  --metrics-listen   controller /metrics, /healthz, /readyz (default 127.0.0.1:0)
`;

/** Reads every YAML document of a directory, in file name order. */
export function readManifests(directory: string): KubernetesObject[] {
  return readdirSync(directory)
    .filter((file) => file.endsWith(".yaml") || file.endsWith(".yml"))
    .sort()
    .flatMap((file) => loadAllYaml(readFileSync(join(directory, file), "utf8")) as KubernetesObject[])
    .filter((object) => object && typeof object === "object");
}

export async function runStart(args: string[]): Promise<number> {
  const values = parseFlags(
    args,
    {
      listen: { type: "string", default: "127.0.0.1:0" },
      "kubeconfig-out": { type: "string", default: "lbipam.kubeconfig" },
      examples: { type: "string", default: join(repository, "examples") },
      "metrics-listen": { type: "string", default: "127.0.0.1:0" },
    },
    usage,
  );
  if (typeof values === "number") return values;
  const listen = listenFlag(values, "listen", usage);
  if (typeof listen === "number") return listen;
  const metricsListen = listenFlag(values, "metrics-listen", usage);
  if (typeof metricsListen === "number") return metricsListen;
  const log = pino({ name: "lbipam", level: "warn" });
  const say = (line: string) => process.stdout.write(`${line}\n`);

  const server = await startApiServer({
    host: listen.host,
    port: listen.port,
    crdDirectory: join(repository, "deploy", "crds"),
  });
  const kubeconfigPath = resolve(String(values["kubeconfig-out"]));
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
  const health = await startHealthServer(metricsListen.host, metricsListen.port, {
    registry: controller.metrics.registry,
    healthy: () => ({ ok: true, detail: "ok" }),
    ready: () => controller.readiness(),
  });
  const assignments = watchAssignments(kubeconfig, log, say);
  await controller.start();

  const objects = kubeconfig.makeApiClient(KubernetesObjectApi);
  for (const manifest of readManifests(String(values.examples))) {
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
  say("  kubectl get ippools");
  say("  kubectl get services");
  say(`  kubectl annotate service service-loadbalancer projectcalico.org/loadBalancerIPs='["192.210.1.10"]'`);
  say("  kubectl describe service service-loadbalancer");
  say(
    `  kubectl patch kubecontrollersconfiguration default --type merge --patch '{"spec": {"controllers":{"loadBalancer":{"AssignIPs": "RequestedServicesOnly"}}}}'`,
  );
  say("Press Ctrl-C to stop.");
  say("");

  await new Promise<void>((resolveStop) => {
    process.once("SIGTERM", resolveStop);
    process.once("SIGINT", resolveStop);
  });
  await assignments.stop();
  await controller.stop();
  await health.close();
  await server.stop();
  return 0;
}

/** Prints each change of a LoadBalancer Service's addresses. */
function watchAssignments(
  kubeconfig: KubeConfig,
  log: pino.Logger,
  say: (line: string) => void,
): Informer<V1Service> {
  const core = kubeconfig.makeApiClient(CoreV1Api);
  const shown = new Map<string, string>();
  const show = (service: V1Service) => {
    if (service.spec?.type !== "LoadBalancer") return;
    const key = `${service.metadata?.namespace}/${service.metadata?.name}`;
    const ips = (service.status?.loadBalancer?.ingress ?? [])
      .map((entry) => entry.ip ?? entry.hostname)
      .join(", ");
    if (shown.get(key) === ips) return;
    shown.set(key, ips);
    say(ips ? `service ${key}: ${ips}` : `service ${key}: <pending>`);
  };
  const informer = new Informer<V1Service>(kubeconfig, {
    resource: "services",
    path: "/api/v1/services",
    list: () => core.listServiceForAllNamespaces(),
    logger: log,
    onAdd: show,
    onUpdate: show,
    onDelete: (service) => shown.delete(`${service.metadata?.namespace}/${service.metadata?.name}`),
  });
  informer.start();
  return informer;
}
