// `lbipam controller`: runs the controller against a cluster until SIGTERM/SIGINT.
import { parseArgs } from "node:util";
import { KubeConfig } from "@kubernetes/client-node";
import { DEFAULT_LOAD_BALANCER_CLASS } from "@lbipam/api";
import { pino } from "pino";
import { Controller } from "../controller/controller.js";
import { startHealthServer } from "../controller/health-server.js";
import { parseListen } from "./apiserver.js";
import { usageError } from "./usage.js";

const usage = `usage: lbipam controller [--kubeconfig FILE] [--metrics-listen HOST:PORT]
                         [--load-balancer-class NAME] [--workers N]
                         [--kube-api-qps N] [--kube-api-burst N] [--allocator-threads N]
                         [--log-level LEVEL]

  --kubeconfig            kubeconfig to use (default: in-cluster config, else $KUBECONFIG or ~/.kube/config)
  --metrics-listen        where to serve /metrics, /healthz and /readyz (default 127.0.0.1:9464)
  --load-balancer-class   spec.loadBalancerClass served besides Services with none (default ${DEFAULT_LOAD_BALANCER_CLASS})
  --workers               Services reconciled at once (default 8)
  --kube-api-qps          write requests per second to the API server, 0 for no limit (default 100)
  --kube-api-burst        write requests allowed at once above that rate (default 200)
  --allocator-threads     worker threads for large allocation batches, 0 for none (default 2)
  --log-level             fatal, error, warn, info, debug or trace (default info)
`;

export interface ControllerFlags {
  kubeconfig: string | undefined;
  metricsListen: { host: string; port: number };
  loadBalancerClass: string;
  workers: number;
  qps: number;
  burst: number;
  allocatorThreads: number;
  logLevel: string;
}

/** Parses and checks the flags; a string is the problem to report. */
export function parseControllerFlags(args: string[]): ControllerFlags | string | "help" {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        kubeconfig: { type: "string" },
        "metrics-listen": { type: "string", default: "127.0.0.1:9464" },
        "load-balancer-class": { type: "string", default: DEFAULT_LOAD_BALANCER_CLASS },
        workers: { type: "string", default: "8" },
        "kube-api-qps": { type: "string", default: "100" },
        "kube-api-burst": { type: "string", default: "200" },
        "allocator-threads": { type: "string", default: "2" },
        "log-level": { type: "string", default: "info" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  if (values.help) return "help";
  const metricsListen = parseListen(String(values["metrics-listen"]));
  if (!metricsListen) return `--metrics-listen: "${String(values["metrics-listen"])}" is not HOST:PORT`;
  const number = (flag: string, min: number): number | string => {
    const text = String(values[flag]);
    const n = Number(text);
    return /^\d+(\.\d+)?$/.test(text) && n >= min ? n : `--${flag}: "${text}" must be a number >= ${min}`;
  };
  const workers = number("workers", 1);
  const qps = number("kube-api-qps", 0);
  const burst = number("kube-api-burst", 1);
  const allocatorThreads = number("allocator-threads", 0);
  for (const value of [workers, qps, burst, allocatorThreads]) if (typeof value === "string") return value;
  const logLevel = String(values["log-level"]);
  if (!["fatal", "error", "warn", "info", "debug", "trace"].includes(logLevel)) {
    return `--log-level: "${logLevel}" is not one of fatal, error, warn, info, debug, trace`;
  }
  const loadBalancerClass = String(values["load-balancer-class"]);
  if (loadBalancerClass === "") return "--load-balancer-class: must not be empty";
  return {
    kubeconfig: typeof values.kubeconfig === "string" ? values.kubeconfig : undefined,
    metricsListen,
    loadBalancerClass,
    workers: Math.floor(workers as number),
    qps: qps as number,
    burst: Math.floor(burst as number),
    allocatorThreads: Math.floor(allocatorThreads as number),
    logLevel,
  };
}

export function loadKubeConfig(file: string | undefined): KubeConfig {
  const kubeconfig = new KubeConfig();
  if (file) kubeconfig.loadFromFile(file);
  else if (process.env.KUBERNETES_SERVICE_HOST) kubeconfig.loadFromCluster();
  else kubeconfig.loadFromDefault();
  return kubeconfig;
}

export async function runController(args: string[]): Promise<number> {
  const flags = parseControllerFlags(args);
  if (flags === "help") {
    process.stdout.write(usage);
    return 0;
  }
  if (typeof flags === "string") return usageError(flags, usage);
  const log = pino({ name: "lbipam-controller", level: flags.logLevel });
  let kubeconfig: KubeConfig;
  try {
    kubeconfig = loadKubeConfig(flags.kubeconfig);
  } catch (error) {
    log.error({ err: error, kubeconfig: flags.kubeconfig }, "cannot load the kubeconfig");
    return 1;
  }
  const controller = new Controller({
    kubeconfig,
    logger: log,
    loadBalancerClass: flags.loadBalancerClass,
    workers: flags.workers,
    qps: flags.qps,
    burst: flags.burst,
    allocatorThreads: flags.allocatorThreads,
  });
  const health = await startHealthServer(flags.metricsListen.host, flags.metricsListen.port, {
    registry: controller.metrics.registry,
    healthy: () => ({ ok: true, detail: "ok" }),
    ready: () =>
      controller.ready ? { ok: true, detail: "ready" } : { ok: false, detail: "caches not synced" },
  });
  log.info({ url: health.url }, `metrics and health at ${health.url}`);
  const stopped = new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  let failed = false;
  controller.start().catch((error: unknown) => {
    log.error({ err: error }, "controller failed to start");
    failed = true;
    process.kill(process.pid, "SIGTERM");
  });
  await stopped;
  log.info({}, "stopping");
  await controller.stop();
  await health.close();
  return failed ? 1 : 0;
}
