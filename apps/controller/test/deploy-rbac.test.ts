// deploy/rbac.yaml against the requests a controller really makes: the controller CLI runs
// with the Deployment's arguments against the embedded API server through a short scenario
// (a pool, a Service assigned, released and assigned again so that its Event repeats, the
// default configuration created, leader election, /metrics scraped by a Prometheus granted
// lbipam-metrics-reader), and the server's request counters are compared with the
// rules: a request with no rule fails, and so does a rule no request needed.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { fileURLToPath } from "node:url";
import { CoreV1Api, KubeConfig, loadYaml, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { type ApiServer, type CounterRow, startApiServer } from "@lbipam/apiserver";
import { calicoNativeV3Crds, calicoV1Crds } from "./helpers/calico-crds.js";
import { run } from "./helpers/run.js";
import { type Scrape, scrape, servingOf } from "./helpers/scrape.js";

const repository = fileURLToPath(new URL("../../../../", import.meta.url));
const bin = join(repository, "apps/controller/bin/lbipam.js");
const NAMESPACE = "lbipam-system";

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are read field by field below.
  [field: string]: any;
}
interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** Prometheus' ServiceAccount, granted the rendered lbipam-metrics-reader; and one granted nothing. */
const PROMETHEUS = { token: "prometheus-token", username: "system:serviceaccount:monitoring:prometheus-k8s" };
const STRANGER = { token: "stranger-token", username: "system:serviceaccount:default:default" };

let server: ApiServer;
let dir: string;
let kubeconfigFile: string;
let manifests: { text: string; object: Manifest }[];
let controller: ChildProcess | undefined;
let controllerLog = "";
/** Requests the controller made (the test's own are taken out). */
let calls: CounterRow[] = [];
/** Requests the controller made in a cluster of Calico's v1 CRDs. */
let calicoCalls: (CounterRow & { group: string | undefined })[] = [];
let leaderElection = false;
/** The controller's /metrics as Prometheus, and as a stranger, scraped it. */
let scrapes: { prometheus: Scrape; stranger: Scrape } | undefined;

const kubectl = (args: string[], input?: string) =>
  run("kubectl", ["--kubeconfig", kubeconfigFile, "--cache-dir", join(dir, "cache"), ...args], { input });

async function apply(text: string): Promise<void> {
  const result = await kubectl(["apply", "-f", "-"], text);
  assert.equal(result.code, 0, `kubectl apply failed:\n${result.stdout}\n${result.stderr}`);
}

const find = (kind: string, name?: string): Manifest => {
  const found = manifests.filter((m) => m.object.kind === kind && (!name || m.object.metadata.name === name));
  assert.equal(found.length, 1, `one ${kind}${name ? ` ${name}` : ""} rendered`);
  return found[0]!.object;
};
const controllerRole = () => find("ClusterRole", "lbipam-controller");

async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (done()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const seen = server.counters
    .rows()
    .map((r) => `${r.verb} ${r.resource}/${r.subresource} ${r.code} x${r.count}`);
  const service = await kubectl(["get", "service", "-n", "shop", "-o", "yaml"]);
  const events = await kubectl(["get", "events", "-A", "-o", "yaml"]);
  process.stderr.write(service.stdout + events.stdout);
  throw new Error(`timed out waiting for ${what}; requests: ${seen.join(", ")}\n${controllerLog}`);
}

const made = (verb: string, resource: string, subresource = "") =>
  server.counters.total({ verb, resource, subresource }) > 0;

before(async () => {
  const rendered = await run("kubectl", ["kustomize", join(repository, "deploy")]);
  assert.equal(rendered.code, 0, rendered.stderr);
  manifests = rendered.stdout
    .split(/^---$/m)
    .filter((text) => text.trim() !== "")
    // Plain objects (client-node returns its model classes for built-in kinds).
    .map((text) => ({ text, object: JSON.parse(JSON.stringify(loadYaml<Manifest>(text))) as Manifest }));

  server = await startApiServer({
    port: 0,
    users: [{ ...PROMETHEUS, rules: find("ClusterRole", "lbipam-metrics-reader").rules }, STRANGER],
  });
  dir = mkdtempSync(join(tmpdir(), "lbipam-rbac-"));
  kubeconfigFile = join(dir, "kubeconfig");
  server.writeKubeconfig(kubeconfigFile);
  // The CRDs and the namespace as deploy/ ships them; no configuration, so the controller
  // creates it.
  const pick = (kinds: string[]) =>
    manifests
      .filter((m) => kinds.includes(m.object.kind))
      .map((m) => `---\n${m.text}`)
      .join("\n");
  await apply(pick(["CustomResourceDefinition", "Namespace"]));
  // A two-address pool and a Service (which gets 10.77.0.0, the lowest).
  await apply(`
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: rbac-pool}
spec: {cidr: 10.77.0.0/31, blockSize: 31, allowedUses: [LoadBalancer]}
---
apiVersion: v1
kind: Service
metadata: {name: first, namespace: shop}
spec: {type: LoadBalancer, ports: [{port: 80}]}
`);

  // The controller, with the Deployment's arguments (and a kubeconfig, where a pod has its
  // service account).
  const help = await run(process.execPath, [bin, "controller", "--help"]);
  leaderElection = /--leader-elect\b/.test(help.stdout);
  const container = find("Deployment").spec.template.spec.containers[0];
  // Free ports on loopback instead of the pod's.
  const args = (container.args as string[])
    .filter((arg) => !arg.startsWith("--metrics-listen") && !arg.startsWith("--health-listen"))
    .filter((arg) => leaderElection || !arg.startsWith("--leader-elect"))
    .map((arg) => arg.replace("$(POD_NAMESPACE)", NAMESPACE))
    .concat("--metrics-listen", "127.0.0.1:0", "--health-listen", "127.0.0.1:0");
  server.counters.reset();
  controller = spawn(process.execPath, [bin, "controller", "--kubeconfig", kubeconfigFile, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log = (c: Buffer) => {
    controllerLog += c.toString();
  };
  controller.stdout?.on("data", log);
  controller.stderr?.on("data", log);
  const metrics = `${(await servingOf(controller)).url}/metrics`;

  await until(() => made("patch", "services", "status"), "a Service assigned");
  await until(() => made("create", "events"), "an Event");
  await until(() => made("create", "kubecontrollersconfigurations"), "the configuration created");
  await until(
    () => made("patch", "kubecontrollersconfigurations", "status"),
    "the configuration's runningConfig",
  );
  await until(() => made("patch", "ippools", "status"), "the pool's status");
  // The Service asks for the other address, then for its first one again: the second
  // "Assigned 10.77.0.0" Event is a repeat, which bumps the first one's count.
  const kubeconfig = new KubeConfig();
  kubeconfig.loadFromString(server.kubeconfig());
  const core = kubeconfig.makeApiClient(CoreV1Api);
  const ask = (ip: string) =>
    core.patchNamespacedService(
      {
        namespace: "shop",
        name: "first",
        body: { metadata: { annotations: { "projectcalico.org/loadBalancerIPs": `["${ip}"]` } } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
  await ask("10.77.0.1");
  await until(() => server.counters.total({ verb: "create", resource: "events" }) >= 3, "10.77.0.1 assigned");
  await ask("10.77.0.0");
  await until(() => made("patch", "events"), "a repeated Event");
  if (leaderElection) await until(() => made("update", "leases"), "a Lease renewal");
  scrapes = {
    prometheus: await scrape(metrics, PROMETHEUS.token),
    stranger: await scrape(metrics, STRANGER.token),
  };

  const exited = new Promise((resolve) => controller?.once("close", resolve));
  controller.kill("SIGTERM");
  await exited;
  controller = undefined;
  // Everything but the test's own two patches.
  calls = server.counters
    .rows()
    .map((row) =>
      row.verb === "patch" && row.resource === "services" && row.subresource === "" && row.code === 200
        ? { ...row, count: row.count - 2 }
        : row,
    )
    .filter((row) => row.count > 0);
  calicoCalls = [
    ...(await calicoScenario(args, calicoV1Crds, "crd.projectcalico.org/v1", "calico-v1")),
    ...(await calicoScenario(args, calicoNativeV3Crds(), "projectcalico.org/v3", "calico-v3")),
  ];
});

/**
 * The same Deployment in a cluster with Calico's v1 CRDs only
 * (test/fixtures/calico-v1-crds), and in one with Calico's native v3 CRDs:
 * it reads pools and IPAM blocks there, serves a Service, and writes no
 * Calico object. Its requests, by "group resource verb" (the Calico
 * resources in `api`'s group), join the first scenario's.
 */
async function calicoScenario(
  args: string[],
  crdDirectory: string,
  api: string,
  shape: string,
): Promise<(CounterRow & { group: string | undefined })[]> {
  const calico = await startApiServer({ port: 0, crdDirectory });
  try {
    const kubeconfig = join(dir, "calico-kubeconfig");
    calico.writeKubeconfig(kubeconfig);
    const applied = await run(
      "kubectl",
      ["--kubeconfig", kubeconfig, "--cache-dir", join(dir, "calico-cache"), "apply", "-f", "-"],
      {
        input: `
apiVersion: v1
kind: Namespace
metadata: {name: ${NAMESPACE}}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: ${api}
kind: IPPool
metadata: {name: rbac-pool}
spec: {cidr: 10.78.0.0/31, blockSize: 31, allowedUses: [LoadBalancer]}
---
apiVersion: v1
kind: Service
metadata: {name: first, namespace: shop}
spec: {type: LoadBalancer, ports: [{port: 80}]}
`,
      },
    );
    assert.equal(applied.code, 0, applied.stderr);
    calico.counters.reset();
    const child = spawn(process.execPath, [bin, "controller", "--kubeconfig", kubeconfig, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    child.stdout?.on("data", (c: Buffer) => {
      log += c.toString();
    });
    const served = () =>
      calico.counters.total({ verb: "patch", resource: "services", subresource: "status" }) > 0;
    for (
      let i = 0;
      i < 600 && !(served() && calico.counters.total({ verb: "create", resource: "events" }) > 0);
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(served(), `the Service served in the Calico cluster:\n${log}`);
    if (leaderElection) {
      for (let i = 0; i < 600 && calico.counters.total({ verb: "update", resource: "leases" }) === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    const exited = new Promise((resolve) => child.once("close", resolve));
    child.kill("SIGTERM");
    await exited;
    assert.match(log, new RegExp(`"shape":"${shape}"`), `it found ${shape}`);
    for (const resource of CALICO_RESOURCES) {
      for (const verb of ["create", "patch", "update"]) {
        assert.equal(
          calico.counters.total({ verb, resource }),
          0,
          `no ${verb} of ${resource} in a Calico cluster`,
        );
      }
    }
    const group = api.split("/")[0]!;
    return calico.counters
      .rows()
      .map((row) => ({ ...row, group: CALICO_RESOURCES.has(row.resource) ? group : undefined }));
  } finally {
    await calico.stop();
  }
}

const CALICO_RESOURCES = new Set([
  "ippools",
  "ipreservations",
  "kubecontrollersconfigurations",
  "ipamblocks",
]);

after(async () => {
  controller?.kill("SIGKILL");
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** API group of each resource the controller may touch: the CRDs' and the built-in ones. */
function groupOf(resource: string): string | undefined {
  const builtin: Record<string, string> = {
    services: "",
    namespaces: "",
    events: "",
    leases: "coordination.k8s.io",
    tokenreviews: "authentication.k8s.io",
    subjectaccessreviews: "authorization.k8s.io",
    customresourcedefinitions: "apiextensions.k8s.io",
    apiservices: "apiregistration.k8s.io",
  };
  if (resource in builtin) return builtin[resource];
  for (const { object } of manifests) {
    if (object.kind === "CustomResourceDefinition" && object.spec.names.plural === resource)
      return object.spec.group;
  }
  return undefined;
}

/** "group resource[/subresource] verb" of every rule. */
function granted(rules: Rule[]): Set<string> {
  const keys = new Set<string>();
  for (const rule of rules)
    for (const group of rule.apiGroups)
      for (const resource of rule.resources)
        for (const verb of rule.verbs) keys.add(`${group || "core"} ${resource} ${verb}`);
  return keys;
}

const keyOf = (row: CounterRow, group: string | undefined) => {
  const resource = row.subresource ? `${row.resource}/${row.subresource}` : row.resource;
  return `${group === undefined ? "unknown-group" : group || "core"} ${resource} ${row.verb}`;
};

const requested = () =>
  new Set([
    ...calls.map((row) => keyOf(row, groupOf(row.resource))),
    ...calicoCalls.map((row) => keyOf(row, row.group ?? groupOf(row.resource))),
  ]);

it("grants no wildcard and only the verbs a controller uses", () => {
  for (const role of [controllerRole(), find("Role")]) {
    for (const rule of role.rules as Rule[]) {
      for (const field of [rule.apiGroups, rule.resources, rule.verbs])
        assert.ok(!field.includes("*"), role.kind);
      for (const verb of rule.verbs)
        assert.ok(["list", "watch", "get", "create", "patch", "update"].includes(verb));
    }
  }
});

it("lets a Prometheus granted lbipam-metrics-reader scrape /metrics, through reviews the controller may create", () => {
  assert.equal(scrapes?.prometheus.status, 200, scrapes?.prometheus.text);
  assert.match(scrapes?.prometheus.text ?? "", /^# TYPE lbipam_services gauge$/m);
  assert.equal(scrapes?.stranger.status, 403, "a ServiceAccount not bound to it");
  for (const resource of ["tokenreviews", "subjectaccessreviews"]) {
    assert.ok(
      calls.some((row) => row.verb === "create" && row.resource === resource && row.code === 201),
      `the controller created ${resource}`,
    );
  }
});

it("has a rule for every request the controller made", () => {
  const rules = granted([...controllerRole().rules, ...find("Role").rules]);
  const missing = [...requested()].filter((key) => !rules.has(key));
  assert.deepEqual(missing, [], "requests with no rule");
});

it("has no cluster-wide rule that no request needed", () => {
  const needed = requested();
  const unused = [...granted(controllerRole().rules)].filter((key) => !needed.has(key));
  assert.deepEqual(unused, [], "rules no request needed");
});

it("gives leases in the controller's namespace only, each verb used by leader election", async (t) => {
  const role = find("Role");
  assert.equal(role.metadata.namespace, NAMESPACE);
  const needed = requested();
  const leaseCalls = [...needed].filter((key) => key.startsWith("coordination.k8s.io "));
  const clusterRules = granted(controllerRole().rules);
  assert.ok(![...clusterRules].some((key) => key.includes(" leases ")), "no cluster-wide lease rule");
  if (!leaderElection) {
    t.skip("the controller CLI has no --leader-elect yet, so no lease request could be observed");
    return;
  }
  assert.deepEqual(
    [...granted(role.rules)].sort(),
    leaseCalls.sort(),
    "the Role's rules are the lease requests",
  );
  const lease = await kubectl(["get", "lease", "-n", NAMESPACE, "lbipam-controller", "-o", "json"]);
  assert.equal(lease.code, 0, `the Lease is in ${NAMESPACE}: ${lease.stderr}`);
});
