// deploy/servicemonitor.yaml with the real Prometheus: its endpoint (scheme, path, bearer token,
// TLS settings) made into a scrape configuration, as the Prometheus Operator does, against the
// controller run with the Deployment's arguments; a token granted lbipam-metrics-reader
// (deploy/rbac.yaml) is scraped, one that is not granted it gets 403. Skipped, with the reason
// printed, where Prometheus is not installed (.ci/run installs Debian's `prometheus` package).
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type ApiServer, startApiServer } from "@lbipam/apiserver";
import { parseAllDocuments } from "yaml";
import { crdDirectory, waitFor } from "./helpers/cluster.js";
import { type RunningPrometheus, startPrometheus, whyMissing } from "./helpers/prometheus.js";
import { run } from "./helpers/run.js";
import { servingOf } from "./helpers/scrape.js";

const repository = fileURLToPath(new URL("../../../../", import.meta.url));
const bin = join(repository, "apps/controller/bin/lbipam.js");

const skip = (await whyMissing("prometheus")) ?? false;
if (skip) console.log(`# skipping: ${skip}`);

// biome-ignore lint/suspicious/noExplicitAny: manifests are read field by field below.
type Manifest = { kind: string; metadata: { name: string }; [field: string]: any };

let server: ApiServer;
let controller: ChildProcess | undefined;
let prometheus: RunningPrometheus | undefined;
let dir: string;

interface Target {
  labels: { job: string };
  health: string;
  lastError: string;
}

let targets: () => Promise<Target[]>;

before(async () => {
  if (skip) return;
  const rendered = await run("kubectl", ["kustomize", join(repository, "deploy")]);
  assert.equal(rendered.code, 0, rendered.stderr);
  const manifests = parseAllDocuments(rendered.stdout).map((doc) => doc.toJS() as Manifest);
  const find = (kind: string, name: string) =>
    manifests.find((m) => m.kind === kind && m.metadata.name === name) as Manifest;
  server = await startApiServer({
    port: 0,
    crdDirectory,
    users: [
      {
        token: "prometheus-token",
        username: "system:serviceaccount:monitoring:prometheus-k8s",
        rules: find("ClusterRole", "lbipam-metrics-reader").rules,
      },
      { token: "stranger-token", username: "system:serviceaccount:default:default" },
    ],
  });
  dir = mkdtempSync(join(tmpdir(), "lbipam-servicemonitor-"));
  const kubeconfig = join(dir, "kubeconfig");
  server.writeKubeconfig(kubeconfig);

  const container = find("Deployment", "lbipam-controller").spec.template.spec.containers[0];
  const args = (container.args as string[])
    .filter((arg) => !arg.startsWith("--metrics-listen") && !arg.startsWith("--health-listen"))
    .map((arg) => arg.replace("$(POD_NAMESPACE)", "kube-system"));
  controller = spawn(
    process.execPath,
    [bin, "controller", "--kubeconfig", kubeconfig, ...args].concat(
      "--metrics-listen",
      "127.0.0.1:0",
      "--health-listen",
      "127.0.0.1:0",
    ),
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const target = new URL((await servingOf(controller)).url).host;

  // What the Prometheus Operator makes of the endpoint, once per token.
  const [endpoint] = find("ServiceMonitor", "lbipam-controller").spec.endpoints;
  const job = (name: string, token: string) => {
    const tokenFile = join(dir, `${name}.token`);
    writeFileSync(tokenFile, token);
    assert.equal(endpoint.bearerTokenFile, "/var/run/secrets/kubernetes.io/serviceaccount/token");
    return {
      job_name: name,
      scheme: endpoint.scheme,
      metrics_path: endpoint.path,
      authorization: { type: "Bearer", credentials_file: tokenFile },
      tls_config: { insecure_skip_verify: endpoint.tlsConfig.insecureSkipVerify },
      static_configs: [{ targets: [target] }],
    };
  };
  prometheus = await startPrometheus(dir, {
    global: { scrape_interval: "1s" },
    scrape_configs: [job("granted", "prometheus-token"), job("stranger", "stranger-token")],
  });
  const running = prometheus;
  targets = async () =>
    (await running.api<{ activeTargets: Target[] }>("/api/v1/targets"))?.data?.activeTargets ?? [];
});

/** Ends a child process and waits for it. */
async function end(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("close", resolve));
  child.kill("SIGTERM");
  await exited;
}

after(async () => {
  await Promise.all([prometheus?.stop(), end(controller)]);
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it("is scraped by Prometheus with a token granted lbipam-metrics-reader, and refused another", {
  skip,
}, async () => {
  const scraped = await waitFor(
    targets,
    (all) => all.length === 2 && all.every((t) => t.health !== "unknown"),
    "Prometheus to scrape both jobs",
  );
  const health = Object.fromEntries(scraped.map((t) => [t.labels.job, [t.health, t.lastError]]));
  assert.deepEqual(health.granted, ["up", ""]);
  assert.equal(health.stranger?.[0], "down");
  assert.match(health.stranger?.[1] ?? "", /403 Forbidden/);
});
