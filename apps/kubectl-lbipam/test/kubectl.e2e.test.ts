// End to end through the real kubectl: plugin discovery on PATH, then
// `kubectl lbipam ...` against an embedded API server started here. kubectl
// runs asynchronously, since the API server answers from this process.
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { type ApiServer, startApiServer } from "@lbipam/apiserver";
import { stringify } from "yaml";

/** This file runs from apps/kubectl-lbipam/dist/test. */
const crdDirectory = fileURLToPath(new URL("../../../../deploy/crds", import.meta.url));
const calicoV1Crds = fileURLToPath(
  new URL("../../../controller/test/fixtures/calico-v1-crds", import.meta.url),
);
const shim = fileURLToPath(new URL("../../bin/kubectl-lbipam.js", import.meta.url));
const completionShim = fileURLToPath(new URL("../../bin/kubectl_complete-lbipam.js", import.meta.url));
const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function kubeconfigFor(
  server: ApiServer,
  contexts: { name: string; namespace?: string; token?: string }[],
): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: "embedded",
        cluster: {
          server: server.url,
          "certificate-authority-data": Buffer.from(server.caPem).toString("base64"),
        },
      },
    ],
    users: contexts.map((c) => ({ name: c.name, user: { token: c.token ?? server.token } })),
    contexts: contexts.map((c) => ({
      name: c.name,
      context: { cluster: "embedded", user: c.name, ...(c.namespace ? { namespace: c.namespace } : {}) },
    })),
    "current-context": contexts[0]!.name,
  });
}

describe("kubectl lbipam, through kubectl's plugin discovery", () => {
  let server: ApiServer;
  let bare: ApiServer;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let bareKubeconfig: string;
  let calico: ApiServer;
  let calicoKubeconfig: string;

  const kubectl = (...args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      execFile("kubectl", args, { env, timeout: 60_000 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });

  before(async () => {
    server = await startApiServer({ port: 0, crdDirectory });
    bare = await startApiServer({ port: 0 });
    dir = mkdtempSync(join(tmpdir(), "kubectl-lbipam-"));
    // A directory holding only a kubectl-lbipam symlink to the package's shim, first on PATH.
    const bin = join(dir, "bin");
    mkdirSync(bin);
    symlinkSync(shim, join(bin, "kubectl-lbipam"));
    symlinkSync(completionShim, join(bin, "kubectl_complete-lbipam"));
    const kubeconfig = join(dir, "kubeconfig");
    writeFileSync(
      kubeconfig,
      kubeconfigFor(server, [
        { name: "shop", namespace: "shop" },
        { name: "plain" },
        { name: "bad-token", token: "not-the-token" },
      ]),
    );
    // A cluster of Calico's v1 CRDs only (written from Calico's published field names, shared with the controller's tests).
    calico = await startApiServer({ port: 0, crdDirectory: calicoV1Crds });
    calicoKubeconfig = join(dir, "calico-kubeconfig");
    writeFileSync(calicoKubeconfig, kubeconfigFor(calico, [{ name: "calico", namespace: "shop" }]));
    bareKubeconfig = join(dir, "bare-kubeconfig");
    writeFileSync(bareKubeconfig, kubeconfigFor(bare, [{ name: "bare" }]));
    // Other kubectl-lbipam executables on PATH (npm puts node_modules/.bin there) would
    // shadow ours, and kubectl plugin list fails on that; leave their directories out.
    const rest = (process.env.PATH ?? "")
      .split(delimiter)
      .filter(
        (entry) =>
          entry &&
          !existsSync(join(entry, "kubectl-lbipam")) &&
          !existsSync(join(entry, "kubectl_complete-lbipam")),
      );
    env = { ...process.env, PATH: [bin, ...rest].join(delimiter), KUBECONFIG: kubeconfig, HOME: dir };

    const config = new KubeConfig();
    config.loadFromFile(kubeconfig);
    const core = config.makeApiClient(CoreV1Api);
    const custom = config.makeApiClient(CustomObjectsApi);
    const createPool = (name: string, spec: Record<string, unknown>) =>
      custom.createClusterCustomObject({
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
    await createPool("edge", { cidr: "192.0.2.0/30", blockSize: 30 });
    await createPool("standby", { cidr: "198.51.100.0/29", blockSize: 29, disabled: true });
    await createPool("v6", { cidr: "2001:db8::/120" });
    await custom.createClusterCustomObject({
      group: "projectcalico.org",
      version: "v3",
      plural: "ipreservations",
      body: {
        apiVersion: "projectcalico.org/v3",
        kind: "IPReservation",
        metadata: { name: "gateway" },
        spec: { reservedCIDRs: ["192.0.2.3"] },
      },
    });
    await core.createNamespace({ body: { metadata: { name: "shop", labels: { team: "shop" } } } });
    const createService = async (name: string, ingress: string[], annotations?: Record<string, string>) => {
      await core.createNamespacedService({
        namespace: "shop",
        body: { metadata: { name, annotations }, spec: { type: "LoadBalancer", ports: [{ port: 80 }] } },
      });
      if (ingress.length === 0) return;
      // Written as the controller would, through the status subresource.
      await core.patchNamespacedServiceStatus(
        {
          namespace: "shop",
          name,
          body: { status: { loadBalancer: { ingress: ingress.map((ip) => ({ ip })) } } },
        },
        mergePatch,
      );
    };
    await createService("web", ["192.0.2.0"]);
    await createService("api", ["192.0.2.1"]);
    await createService("cache", ["192.0.2.2"]);
    await createService("pending", []);
    await createService("typo", [], { "projectcalico.org/ipv4pools": '["egde"]' });
  });

  after(async () => {
    await server?.stop();
    await bare?.stop();
    await calico?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("kubectl plugin list finds the plugin on PATH", async () => {
    const run = await kubectl("plugin", "list");
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`${dir}/bin/kubectl-lbipam$`, "m"));
  });

  it("kubectl __complete lbipam completes through kubectl_complete-lbipam, on every kubectl here that has plugin completion (1.26+)", async (t) => {
    const real = realpathSync(execFileSync("sh", ["-c", "command -v kubectl"], { encoding: "utf8" }).trim());
    const versions = readdirSync(dirname(real)).filter((name) => /^kubectl(\.1\.\d+)?$/.test(name));
    const supported = versions.filter((name) => name === "kubectl" || Number(name.split(".")[2]) >= 26);
    if (supported.length < versions.length)
      t.diagnostic(`without plugin completion: ${versions.filter((v) => !supported.includes(v))}`);
    assert.ok(supported.length > 0);
    for (const name of supported) {
      const answer = await new Promise<Run>((resolve) => {
        execFile(
          join(dirname(real), name),
          ["__complete", "lbipam", "pools", "-o", ""],
          { env, timeout: 60_000 },
          (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
        );
      });
      assert.equal(answer.code, 0, `${name}: ${answer.stderr}`);
      assert.equal(answer.stdout, "table\nwide\njson\nyaml\nname\njsonpath=\ncustom-columns=\n:4\n", name);
    }
    const commandsAnswer = await kubectl("__complete", "lbipam", "");
    assert.match(commandsAnswer.stdout, /^pools\t.*\nexplain\t.*\nsimulate\t.*\nversion\t.*\n:4\n$/);
  });

  it("kubectl lbipam --help lists the commands", async () => {
    const run = await kubectl("lbipam", "--help");
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^ {2}pools /m);
    assert.match(run.stdout, /^ {2}explain /m);
    assert.match(run.stdout, /^ {2}simulate /m);
  });

  it("kubectl lbipam pools counts what the Services' status holds, without the controller", async () => {
    const run = await kubectl("lbipam", "pools");
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.split("\n");
    assert.match(
      lines[0]!,
      /^NAME +FAMILY +CIDR +MODE +DISABLED +ALLOCATABLE +ALLOCATED +TOTAL +RESERVED +FREE +USAGE$/,
    );
    assert.match(
      lines[1]!,
      /^edge +IPv4 +192\.0\.2\.0\/30 +Automatic +false +True +3 +4 +1 +0 +\[###############-----\] 75\.0%$/,
    );
    assert.match(
      lines[2]!,
      /^standby +IPv4 +198\.51\.100\.0\/29 +Automatic +true +False \(PoolDisabled\) +0 +8 +0 +8 /,
    );
    assert.match(lines[3]!, /^v6 +IPv6 +2001:db8::\/120 +Automatic +false +True +0 +256 +0 +256 /);
    assert.match(run.stdout, /^pool standby is not allocatable \(PoolDisabled\)/m);
  });

  it("kubectl lbipam pools -o json and -o yaml", async () => {
    const json = await kubectl("lbipam", "pools", "-o", "json");
    assert.equal(json.code, 0, json.stderr);
    const edge = JSON.parse(json.stdout).pools.find((p: { name: string }) => p.name === "edge");
    assert.deepEqual(
      {
        allocated: edge.allocated,
        total: edge.total,
        reserved: edge.reserved,
        free: edge.free,
        utilisationPercent: edge.utilisationPercent,
      },
      { allocated: 3, total: 4, reserved: 1, free: 0, utilisationPercent: 75 },
    );
    const yaml = await kubectl("lbipam", "pools", "--output=yaml");
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.match(yaml.stdout, /^ {2}- name: edge$/m);
  });

  it("kubectl lbipam pools -o name, jsonpath=, custom-columns= and wide, as kubectl prints them", async () => {
    const names = await kubectl("lbipam", "pools", "-o", "name");
    assert.equal(names.code, 0, names.stderr);
    assert.equal(
      names.stdout,
      "ippool.projectcalico.org/edge\nippool.projectcalico.org/standby\nippool.projectcalico.org/v6\n",
    );
    const jsonpath = await kubectl(
      "lbipam",
      "pools",
      "-o",
      'jsonpath={range .pools[*]}{.name}:{.free}{"\\n"}{end}',
    );
    assert.equal(jsonpath.code, 0, jsonpath.stderr);
    assert.equal(jsonpath.stdout, "edge:0\nstandby:8\nv6:256\n");
    const columns = await kubectl(
      "lbipam",
      "pools",
      "-o",
      "custom-columns=POOL:.name,FREE:.free,USED:.utilisationPercent",
    );
    assert.equal(columns.code, 0, columns.stderr);
    assert.match(columns.stdout, /^POOL +FREE +USED\nedge +0 +75\n/);
    const wide = await kubectl("lbipam", "pools", "-o", "wide");
    assert.equal(wide.code, 0, wide.stderr);
    assert.match(wide.stdout, /NAMESPACE-SELECTOR +HELD-FOR-OTHERS\n/);
    const explained = await kubectl("lbipam", "explain", "web", "-o", "name");
    assert.equal(explained.stdout, "service/web\n");
    const refused = await kubectl("lbipam", "pools", "-o", "xml");
    assert.equal(refused.code, 2);
    assert.match(
      refused.stderr,
      /allowed formats are: custom-columns, json, jsonpath, name, table, wide, yaml/,
    );
  });

  it("kubectl lbipam pools in a Calico cluster of v1 CRDs reads Calico's pools there, and says which shape it found", async () => {
    const config = new KubeConfig();
    config.loadFromFile(calicoKubeconfig);
    const custom = config.makeApiClient(CustomObjectsApi);
    for (const [name, spec] of [
      ["calico-lb", { cidr: "203.0.113.0/30", blockSize: 30, allowedUses: ["LoadBalancer"] }],
      ["pods", { cidr: "10.244.0.0/16", allowedUses: ["Workload"] }],
    ] as const) {
      await custom.createClusterCustomObject({
        group: "crd.projectcalico.org",
        version: "v1",
        plural: "ippools",
        body: { apiVersion: "crd.projectcalico.org/v1", kind: "IPPool", metadata: { name }, spec },
      });
    }
    const table = await kubectl("lbipam", "pools", "--kubeconfig", calicoKubeconfig);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^calico-lb +IPv4 +203\.0\.113\.0\/30 +Automatic/m);
    assert.doesNotMatch(table.stdout, /^pods /m, "a Workload pool is not a LoadBalancer pool");
    assert.match(table.stdout, /^cluster calico-v1: Calico's crd\.projectcalico\.org\/v1 CRDs/m);
    const json = JSON.parse(
      (await kubectl("lbipam", "pools", "--kubeconfig", calicoKubeconfig, "-o", "json")).stdout,
    );
    assert.deepEqual([json.cluster.shape, json.cluster.api], ["calico-v1", "crd.projectcalico.org/v1"]);
  });

  it("kubectl lbipam explain a pending Service (namespace from the context): exhausted, and what would unblock it", async () => {
    const run = await kubectl("lbipam", "explain", "pending");
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Service: +shop\/pending$/m);
    assert.match(run.stdout, /^Addresses: +<pending>$/m);
    assert.match(run.stdout, /^ {2}edge +IPv4 +192\.0\.2\.0\/30 +Automatic +- +1 +0 +full +no free address/m);
    assert.match(run.stdout, /^ {2}standby +IPv4 .* Automatic +- +2 +8 +blocked +pool standby is disabled$/m);
    assert.match(run.stdout, /^ {2}v6 +IPv6 .* not-considered +the Service is not served for IPv6$/m);
    assert.match(run.stdout, /^ {2}IPv4: wait \(PoolExhausted\): no free IPv4 address in edge$/m);
    assert.match(run.stdout, /^ {2}- free an address in pool edge/m);
    assert.match(run.stdout, /^ {2}- enable pool standby \(spec.disabled: false\)$/m);
  });

  it("kubectl lbipam explain -o json: every pool, whether it is a candidate, why not, its priority and the decision's order", async () => {
    const run = await kubectl("lbipam", "explain", "pending", "-o", "json");
    assert.equal(run.code, 0, run.stderr);
    const pools = JSON.parse(run.stdout).pools.map(
      (p: {
        name: string;
        candidate: boolean;
        reason?: string;
        priority: number | null;
        order: number | null;
      }) => ({
        name: p.name,
        candidate: p.candidate,
        reason: p.reason,
        priority: p.priority,
        order: p.order,
      }),
    );
    assert.deepEqual(pools, [
      { name: "edge", candidate: false, reason: "PoolExhausted", priority: null, order: 1 },
      { name: "standby", candidate: false, reason: "PoolDisabled", priority: null, order: 2 },
      { name: "v6", candidate: false, reason: "OtherFamily", priority: null, order: null },
    ]);
  });

  it("kubectl lbipam explain with -n and --context: a Service keeping its address", async () => {
    const run = await kubectl(
      "lbipam",
      "explain",
      "svc/web",
      "-n",
      "shop",
      "--context",
      "plain",
      "-o",
      "json",
    );
    assert.equal(run.code, 0, run.stderr);
    const explanation = JSON.parse(run.stdout);
    assert.equal(explanation.service, "shop/web");
    assert.deepEqual(explanation.decision.families, [{ family: 4, action: "keep", address: "192.0.2.0" }]);
  });

  it("kubectl lbipam explain a Service with a mistyped pool: it waits for that pool", async () => {
    const run = await kubectl("lbipam", "explain", "typo");
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /^ {2}IPv4: wait \(PoolNotFound\): projectcalico.org\/ipv4pools: no pool named "egde"$/m,
    );
    assert.match(
      run.stdout,
      /^ {2}- create the pool projectcalico.org\/ipv4pools names, or name an existing IPv4 pool/m,
    );
  });

  it("kubectl lbipam explain NAMESPACE/NAME, as explain prints a Service (it looked for a Service named shop/web)", async () => {
    const run = await kubectl("lbipam", "explain", "shop/web", "--context", "plain", "-o", "json");
    assert.equal(run.code, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).service, "shop/web");
    const disagreeing = await kubectl("lbipam", "explain", "shop/web", "-n", "default");
    assert.equal(disagreeing.code, 2);
    assert.match(disagreeing.stderr, /names namespace shop, but -n says default/);
  });

  it("kubectl lbipam version and --version print the plugin's version", async () => {
    const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    for (const argument of ["version", "--version"]) {
      const run = await kubectl("lbipam", argument);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, `kubectl-lbipam ${version} (Node ${process.version})\n`);
    }
  });

  it("a Service that does not exist: exit 1", async () => {
    const run = await kubectl("lbipam", "explain", "nope");
    assert.equal(run.code, 1);
    assert.equal(run.stderr, 'error: services "nope" in namespace "shop" not found\n');
  });

  it("the context's namespace is the default, else default", async () => {
    const run = await kubectl("lbipam", "explain", "web", "--context", "plain");
    assert.equal(run.code, 1);
    assert.match(run.stderr, /namespace "default" not found/);
  });

  it("refused credentials: exit 1, access denied", async () => {
    const run = await kubectl("lbipam", "pools", "--context", "bad-token");
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /^error: access denied \(401 Unauthorized\) listing ippools\.projectcalico\.org/,
    );
  });

  it("an unknown context: exit 1", async () => {
    const run = await kubectl("lbipam", "pools", "--context", "nowhere");
    assert.equal(run.code, 1);
    assert.equal(run.stderr, 'error: context "nowhere" does not exist\n');
  });

  it("a bad flag: exit 2", async () => {
    const run = await kubectl("lbipam", "pools", "--colour");
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^error: Unknown option '--colour'/);
  });

  it("a cluster without the CRDs: exit 1, the CRDs are not installed", async () => {
    for (const command of [["pools"], ["explain", "web"]]) {
      const run = await kubectl("lbipam", ...command, "--kubeconfig", bareKubeconfig);
      assert.equal(run.code, 1);
      assert.match(
        run.stderr,
        /^error: the lbipam CRDs are not installed: the server has no resource ippools\.projectcalico\.org \(404\)/,
      );
    }
  });

  it("simulate needs no cluster", async () => {
    const fixtures = fileURLToPath(new URL("../../test/fixtures", import.meta.url));
    const files = ["-f", `${fixtures}/pools.yaml`, "-f", `${fixtures}/services.yaml`];
    const run = await new Promise<Run>((resolve) => {
      const offline = { ...env, KUBECONFIG: join(dir, "no-such-kubeconfig") };
      execFile(
        "kubectl",
        ["lbipam", "simulate", ...files],
        { env: offline, timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^shop\/dual +192\.0\.2\.2,2001:db8:: +- +allocated/m);
  });

  it("kubectl lbipam simulate predicts sharing: TCP and UDP 53 under one sharing key share, a colliding port does not", async () => {
    const dns = (name: string, created: string, protocol: string) => ({
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name,
        namespace: "ns",
        creationTimestamp: created,
        annotations: { "lbipam.io/sharing-key": "dns" },
      },
      spec: { type: "LoadBalancer", ports: [{ port: 53, protocol }] },
    });
    const file = join(dir, "sharing.yaml");
    writeFileSync(
      file,
      [
        {
          apiVersion: "projectcalico.org/v3",
          kind: "IPPool",
          metadata: { name: "edge" },
          spec: { cidr: "192.0.2.0/30", blockSize: 30, allowedUses: ["LoadBalancer"] },
        },
        dns("tcp", "2026-01-01T00:00:00Z", "TCP"),
        dns("udp", "2026-01-02T00:00:00Z", "UDP"),
        dns("clash", "2026-01-03T00:00:00Z", "TCP"),
      ]
        .map((object) => stringify(object))
        .join("---\n"),
    );
    const run = await kubectl("lbipam", "simulate", "-f", file);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^ns\/udp +192\.0\.2\.0 +- +allocated/m);
    assert.match(run.stdout, /^ns\/clash +192\.0\.2\.1 +- +allocated/m);
    assert.match(run.stdout, /^192\.0\.2\.0 shared by ns\/tcp, ns\/udp \(sharing key "dns"\)$/m);
    const json = JSON.parse((await kubectl("lbipam", "simulate", "-f", file, "-o", "json")).stdout);
    assert.deepEqual(json.shared, [{ address: "192.0.2.0", key: "dns", services: ["ns/tcp", "ns/udp"] }]);
  });

  it("simulate says which assignIPs it used, and warns when the files give no configuration", async () => {
    const fixtures = fileURLToPath(new URL("../../test/fixtures", import.meta.url));
    const config = join(dir, "kcc.yaml");
    writeFileSync(
      config,
      [
        "apiVersion: projectcalico.org/v3",
        "kind: KubeControllersConfiguration",
        "metadata: {name: default}",
        "spec: {controllers: {loadBalancer: {assignIPs: RequestedServicesOnly}}}",
        "",
      ].join("\n"),
    );
    const simulate = (...files: string[]) =>
      new Promise<Run>((resolve) => {
        execFile(
          "kubectl",
          ["lbipam", "simulate", ...files.flatMap((f) => ["-f", f])],
          { env: { ...env, KUBECONFIG: join(dir, "no-such-kubeconfig") }, timeout: 60_000 },
          (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
        );
      });
    const assumed = await simulate(`${fixtures}/pools.yaml`, `${fixtures}/services.yaml`);
    assert.equal(assumed.code, 0, assumed.stderr);
    assert.match(
      assumed.stderr,
      /^warning: assignIPs: AllServices \(assumed: no KubeControllersConfiguration "default"/m,
    );
    assert.match(assumed.stdout, /^assignIPs: AllServices \(assumed/);
    const given = await simulate(`${fixtures}/pools.yaml`, `${fixtures}/services.yaml`, config);
    assert.equal(given.code, 0, given.stderr);
    assert.doesNotMatch(given.stderr, /assignIPs/);
    assert.match(
      given.stdout,
      /^assignIPs: RequestedServicesOnly \(KubeControllersConfiguration "default" from the files\)/,
    );
    // Under RequestedServicesOnly a plain Service is left alone, as the controller would.
    assert.match(given.stdout, / unmanaged /);
  });

  it("simulate reads a directory with -f, as kubectl apply -f does (it failed with EISDIR)", async () => {
    const examples = fileURLToPath(new URL("../../../../examples", import.meta.url));
    const run = await new Promise<Run>((resolve) => {
      const offline = { ...env, KUBECONFIG: join(dir, "no-such-kubeconfig") };
      execFile(
        "kubectl",
        ["lbipam", "simulate", "-f", examples],
        { env: offline, timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, / allocated /);
  });
});
