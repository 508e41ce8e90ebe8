// `lbipam controller`: runs the controller against a cluster until SIGTERM/SIGINT.
import { parseArgs } from "node:util";
import type { KubeConfig } from "@kubernetes/client-node";
import { DEFAULT_LOAD_BALANCER_CLASS, type ShapeDecision } from "@lbipam/api";
import {
  checkDurations,
  LEADER_ELECTION_DEFAULTS,
  type LeaderElectionOptions,
} from "../controller/leader-election.js";
import type { RestClient } from "../controller/rest-client.js";
import { type ListenAddress, parseListen, usageError } from "./usage.js";

/** The probes' listener when /metrics is secure and --health-listen is not given. */
const DEFAULT_HEALTH_LISTEN = "127.0.0.1:8081";

const usage = `usage: lbipam controller [--kubeconfig FILE] [--metrics-listen HOST:PORT]
                         [--metrics-secure=true|false] [--metrics-cert-dir DIR] [--health-listen HOST:PORT]
                         [--load-balancer-class NAME] [--workers N]
                         [--kube-api-qps N] [--kube-api-burst N] [--allocator-threads N]
                         [--leader-elect=true|false] [--leader-elect-lease-name NAME]
                         [--leader-elect-namespace NS] [--leader-elect-lease-duration S]
                         [--leader-elect-renew-deadline S] [--leader-elect-retry-period S]
                         [--log-level LEVEL] [--shape-recheck-seconds S]

  --kubeconfig            kubeconfig to use (default: in-cluster config, else $KUBECONFIG or ~/.kube/config)
  --metrics-listen        where to serve /metrics (default 127.0.0.1:9464); /healthz and /readyz too
                          unless --health-listen or --metrics-secure moves them
  --metrics-secure        serve /metrics over HTTPS to callers a TokenReview authenticates and a
                          SubjectAccessReview allows to get /metrics; deploy/ sets it (default false)
  --metrics-cert-dir      tls.crt and tls.key to serve /metrics with, read again when they change
                          (default: a self-signed certificate made at start); needs --metrics-secure
  --health-listen         where to serve /healthz and /readyz, plain HTTP, never authenticated
                          (default: beside plain /metrics; with --metrics-secure ${DEFAULT_HEALTH_LISTEN})
  --load-balancer-class   spec.loadBalancerClass served besides Services with none (default ${DEFAULT_LOAD_BALANCER_CLASS})
  --workers               Services reconciled at once (default 8)
  --kube-api-qps          write requests per second to the API server, 0 for no limit (default 100)
  --kube-api-burst        write requests allowed at once above that rate (default 200)
  --allocator-threads     worker threads for large allocation batches, 0 for none (default 2)
  --leader-elect          work only while holding a coordination.k8s.io/v1 Lease; standbys keep caches warm (default true)
  --leader-elect-lease-name       the Lease's name (default ${LEADER_ELECTION_DEFAULTS.leaseName})
  --leader-elect-namespace        the Lease's namespace (default ${LEADER_ELECTION_DEFAULTS.namespace})
  --leader-elect-lease-duration   seconds a standby waits after the leader's last renewal (default ${LEADER_ELECTION_DEFAULTS.leaseDurationMs / 1000})
  --leader-elect-renew-deadline   seconds the leader tries to renew before it stops writing; less than the lease duration (default ${LEADER_ELECTION_DEFAULTS.renewDeadlineMs / 1000})
  --leader-elect-retry-period     seconds between two attempts to acquire or renew (default ${LEADER_ELECTION_DEFAULTS.retryPeriodMs / 1000})
  --log-level             fatal, error, warn, info, debug or trace (default info)
  --shape-recheck-seconds how often to read the cluster's shape again (its IPPool CRDs and Calico's APIService);
                          when it changed the controller exits 1 to start over on it; 0: never (default 60)
`;

export interface ControllerFlags {
  kubeconfig: string | undefined;
  metricsListen: ListenAddress;
  /** /metrics over HTTPS with TokenReview and SubjectAccessReview (controller-runtime's SecureServing). */
  metricsSecure: boolean;
  /** tls.crt and tls.key for the secure /metrics; undefined: a self-signed certificate. */
  metricsCertDir: string | undefined;
  /** Where /healthz and /readyz are served; undefined: beside plain /metrics. */
  healthListen: ListenAddress | undefined;
  loadBalancerClass: string;
  workers: number;
  qps: number;
  burst: number;
  allocatorThreads: number;
  logLevel: string;
  /** Seconds between two reads of the cluster's shape; 0: never. */
  shapeRecheckSeconds: number;
  /** Absent when --leader-elect=false. */
  leaderElection: Required<Omit<LeaderElectionOptions, "identity">> | undefined;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const BOOLEAN_FLAGS = ["--leader-elect", "--metrics-secure"];

/** A bare boolean flag means true, as in kube's components (parseArgs wants a value for a string flag). */
function withBooleanValues(args: string[]): string[] {
  return args.map((arg, i) =>
    BOOLEAN_FLAGS.includes(arg) && !["true", "false"].includes(args[i + 1] ?? "") ? `${arg}=true` : arg,
  );
}

/** Parses and checks the flags; a string is the problem to report. */
export function parseControllerFlags(args: string[]): ControllerFlags | string | "help" {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: withBooleanValues(args),
      options: {
        kubeconfig: { type: "string" },
        "metrics-listen": { type: "string", default: "127.0.0.1:9464" },
        "metrics-secure": { type: "string", default: "false" },
        "metrics-cert-dir": { type: "string" },
        "health-listen": { type: "string" },
        "load-balancer-class": { type: "string", default: DEFAULT_LOAD_BALANCER_CLASS },
        workers: { type: "string", default: "8" },
        "kube-api-qps": { type: "string", default: "100" },
        "kube-api-burst": { type: "string", default: "200" },
        "allocator-threads": { type: "string", default: "2" },
        "log-level": { type: "string", default: "info" },
        "shape-recheck-seconds": { type: "string", default: "60" },
        "leader-elect": { type: "string", default: "true" },
        "leader-elect-lease-name": { type: "string", default: LEADER_ELECTION_DEFAULTS.leaseName },
        "leader-elect-namespace": { type: "string", default: LEADER_ELECTION_DEFAULTS.namespace },
        "leader-elect-lease-duration": {
          type: "string",
          default: String(LEADER_ELECTION_DEFAULTS.leaseDurationMs / 1000),
        },
        "leader-elect-renew-deadline": {
          type: "string",
          default: String(LEADER_ELECTION_DEFAULTS.renewDeadlineMs / 1000),
        },
        "leader-elect-retry-period": {
          type: "string",
          default: String(LEADER_ELECTION_DEFAULTS.retryPeriodMs / 1000),
        },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  if (values.help) return "help";
  const serving = parseServing(values);
  if (typeof serving === "string") return serving;
  const number = (flag: string, min: number): number | string => {
    const text = String(values[flag]);
    const n = Number(text);
    return /^\d+(\.\d+)?$/.test(text) && n >= min ? n : `--${flag}: "${text}" must be a number >= ${min}`;
  };
  const workers = number("workers", 1);
  const qps = number("kube-api-qps", 0);
  const burst = number("kube-api-burst", 1);
  const allocatorThreads = number("allocator-threads", 0);
  const shapeRecheckSeconds = number("shape-recheck-seconds", 0);
  for (const value of [workers, qps, burst, allocatorThreads, shapeRecheckSeconds])
    if (typeof value === "string") return value;
  const logLevel = String(values["log-level"]);
  if (!["fatal", "error", "warn", "info", "debug", "trace"].includes(logLevel)) {
    return `--log-level: "${logLevel}" is not one of fatal, error, warn, info, debug, trace`;
  }
  const loadBalancerClass = String(values["load-balancer-class"]);
  if (loadBalancerClass === "") return "--load-balancer-class: must not be empty";
  const leaderElection = parseLeaderElection(values);
  if (typeof leaderElection === "string") return leaderElection;
  return {
    kubeconfig: typeof values.kubeconfig === "string" ? values.kubeconfig : undefined,
    ...serving,
    loadBalancerClass,
    workers: Math.floor(workers as number),
    qps: qps as number,
    burst: Math.floor(burst as number),
    allocatorThreads: Math.floor(allocatorThreads as number),
    logLevel,
    shapeRecheckSeconds: shapeRecheckSeconds as number,
    leaderElection,
  };
}

export type ServingFlags = Pick<
  ControllerFlags,
  "metricsListen" | "metricsSecure" | "metricsCertDir" | "healthListen"
>;

/** Where and how /metrics and the probes are served. */
function parseServing(values: Record<string, string | boolean | undefined>): ServingFlags | string {
  const metricsListen = parseListen(String(values["metrics-listen"]));
  if (!metricsListen) return `--metrics-listen: "${String(values["metrics-listen"])}" is not HOST:PORT`;
  const secure = String(values["metrics-secure"]);
  if (secure !== "true" && secure !== "false") return `--metrics-secure: "${secure}" must be true or false`;
  const metricsSecure = secure === "true";
  const metricsCertDir =
    typeof values["metrics-cert-dir"] === "string" ? values["metrics-cert-dir"] : undefined;
  if (metricsCertDir !== undefined && !metricsSecure) return "--metrics-cert-dir: needs --metrics-secure";
  const health =
    typeof values["health-listen"] === "string"
      ? values["health-listen"]
      : metricsSecure
        ? DEFAULT_HEALTH_LISTEN
        : undefined;
  const healthListen = health === undefined ? undefined : parseListen(health);
  if (health !== undefined && !healthListen) return `--health-listen: "${health}" is not HOST:PORT`;
  if (healthListen && healthListen.port !== 0 && sameListen(healthListen, metricsListen)) {
    return `--health-listen: ${health} is --metrics-listen too; the probes need their own port`;
  }
  return { metricsListen, metricsSecure, metricsCertDir, healthListen };
}

const sameListen = (a: ListenAddress, b: ListenAddress) => a.host === b.host && a.port === b.port;

function parseLeaderElection(
  values: Record<string, string | boolean | undefined>,
): ControllerFlags["leaderElection"] | string {
  const enabled = String(values["leader-elect"]);
  if (enabled !== "true" && enabled !== "false") return `--leader-elect: "${enabled}" must be true or false`;
  const leaseName = String(values["leader-elect-lease-name"]);
  if (!DNS_SUBDOMAIN.test(leaseName)) {
    return `--leader-elect-lease-name: "${leaseName}" is not a valid object name (a DNS subdomain)`;
  }
  const namespace = String(values["leader-elect-namespace"]);
  if (!DNS_LABEL.test(namespace)) {
    return `--leader-elect-namespace: "${namespace}" is not a valid namespace name (a DNS label)`;
  }
  const seconds = (flag: string): number | string => {
    const text = String(values[flag]);
    const n = Number(text);
    return /^\d+(\.\d+)?$/.test(text) && n > 0
      ? n * 1000
      : `--${flag}: "${text}" must be a number of seconds > 0`;
  };
  const leaseDurationMs = seconds("leader-elect-lease-duration");
  const renewDeadlineMs = seconds("leader-elect-renew-deadline");
  const retryPeriodMs = seconds("leader-elect-retry-period");
  for (const value of [leaseDurationMs, renewDeadlineMs, retryPeriodMs]) {
    if (typeof value === "string") return value;
  }
  const durations = {
    leaseDurationMs: leaseDurationMs as number,
    renewDeadlineMs: renewDeadlineMs as number,
    retryPeriodMs: retryPeriodMs as number,
  };
  const problem = checkDurations(durations);
  if (problem) {
    return `--leader-elect-lease-duration ${durations.leaseDurationMs / 1000}, --leader-elect-renew-deadline ${durations.renewDeadlineMs / 1000}, --leader-elect-retry-period ${durations.retryPeriodMs / 1000}: ${problem}`;
  }
  return enabled === "false" ? undefined : { leaseName, namespace, ...durations };
}

/** Fills `kubeconfig` from the file, else the in-cluster config, else $KUBECONFIG or ~/.kube/config. */
export function loadKubeConfig(kubeconfig: KubeConfig, file: string | undefined): KubeConfig {
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
  // Loaded once the flags are good: --help and a refused flag do not wait for them.
  const [{ KubeConfig }, { pino }, { Controller }, { prepareServing }] = await Promise.all([
    import("@kubernetes/client-node"),
    import("pino"),
    import("../controller/controller.js"),
    import("./serving.js"),
  ]);
  const log = pino({ name: "lbipam-controller", level: flags.logLevel });
  let kubeconfig: KubeConfig;
  try {
    kubeconfig = loadKubeConfig(new KubeConfig(), flags.kubeconfig);
  } catch (error) {
    // A path or a file's content is the user's to fix: the reason, not a stack trace.
    const reason = error instanceof Error ? error.message : String(error);
    log.error({ kubeconfig: flags.kubeconfig, reason }, `cannot load the kubeconfig: ${reason}`);
    return 1;
  }
  // Before anything connects: a certificate that cannot be served is the user's to fix.
  const serving = await prepareServing(flags, kubeconfig, log);
  if (serving === undefined) return 1;
  // A client of its own reads the cluster's shape, at start and then every --shape-recheck-seconds.
  const { RestClient } = await import("../controller/rest-client.js");
  const shapeClient = new RestClient(kubeconfig, 2);
  const shape = await findShape(shapeClient, log);
  if (shape === undefined) {
    shapeClient.close();
    return 1;
  }
  const controller = new Controller({
    kubeconfig,
    shape,
    logger: log,
    loadBalancerClass: flags.loadBalancerClass,
    workers: flags.workers,
    qps: flags.qps,
    burst: flags.burst,
    allocatorThreads: flags.allocatorThreads,
    leaderElection: flags.leaderElection,
  });
  const servers = await serving.start(controller);
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
  const shapeWatch = await watchShape(shapeClient, shape, flags.shapeRecheckSeconds, (now) => {
    log.error(
      { was: shape.shape, now: now.shape, api: `${now.group}/${now.version}` },
      `the cluster's shape changed from ${shape.shape} to ${now.shape} (IPPool CRDs or Calico's APIService): exiting to start over on it`,
    );
    failed = true;
    process.kill(process.pid, "SIGTERM");
  });
  await stopped;
  log.info({}, "stopping");
  shapeWatch.stop();
  shapeClient.close();
  await controller.stop();
  await servers.close();
  return failed ? 1 : 0;
}

/** Reads the shape again every `seconds` (0: never). */
async function watchShape(
  rest: RestClient,
  shape: ShapeDecision,
  seconds: number,
  changed: (now: ShapeDecision) => void,
): Promise<{ stop(): void }> {
  if (seconds === 0) return { stop() {} };
  const { watchClusterShape } = await import("../controller/cluster-shape.js");
  return watchClusterShape(rest, shape, seconds * 1000, changed);
}

/** Tries to find the cluster's shape this many times, a few seconds apart, before giving up. */
const SHAPE_ATTEMPTS = 6;
const SHAPE_RETRY_MS = 5000;

/**
 * The cluster's shape, before anything is built on it: a wrong guess would
 * write what Calico reads, so the controller does not start without it.
 */
async function findShape(
  rest: RestClient,
  log: { error(fields: object, message: string): void },
): Promise<ShapeDecision | undefined> {
  const { detectClusterShape } = await import("../controller/cluster-shape.js");
  for (let attempt = 1; ; attempt++) {
    try {
      return await detectClusterShape(rest);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const last = attempt === SHAPE_ATTEMPTS;
      log.error(
        { attempt, reason },
        `cannot tell the cluster's shape (CRDs and APIServices of projectcalico.org): ${reason}${last ? "" : "; retrying"}`,
      );
      if (last) return undefined;
      await new Promise((resolve) => setTimeout(resolve, SHAPE_RETRY_MS));
    }
  }
}
