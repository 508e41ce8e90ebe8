// The controller run as the image runs it (the Dockerfile's Node flags, the
// Deployment's NODE_OPTIONS), in its own process, against the worst input a
// user can write: annotations at the API server's 256 KiB limit
// (apiserver/pkg/apis/meta/v1/validation TotalAnnotationSizeLimitB) and a
// pool selector as large. behaviour.md "Bounded work for any input": it
// stays leader, /healthz answers within 1 s throughout, a fresh Service is
// served within 2 s, what it writes stays within 1 KiB per message, and no
// other Service's address changes. The same input through `kubectl lbipam
// explain` and `simulate`.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import {
  type Cluster,
  type ControllerProcess,
  repository,
  sampleValue,
  sleep,
  startCluster,
  startController,
} from "../src/cluster.js";

/** behaviour.md: condition and Event messages are at most 1 KiB. */
const MESSAGE_BOUND = 1024;
/** What one Service's status may take at most: its addresses, and one condition of MESSAGE_BOUND. */
const STATUS_BOUND = 4096;
const HEALTH_LIMIT_MS = 1000;
const FRESH_LIMIT_MS = 2000;
const NS = "default";
/** Room left, under the 256 KiB limit, for the key. */
const VALUE_BYTES = 256 * 1024 - 256;
const plugin = join(repository, "apps", "kubectl-lbipam", "bin", "kubectl-lbipam.js");

function fill(prefix: string, item: (i: number) => string, suffix: string): string {
  const parts: string[] = [];
  let size = prefix.length + suffix.length;
  for (let i = 0; ; i++) {
    const next = item(i);
    if (size + next.length + 1 > VALUE_BYTES) break;
    parts.push(next);
    size += next.length + 1;
  }
  return `${prefix}${parts.join(",")}${suffix}`;
}

/** Each a Service's annotations, as large and as nasty as the API server accepts. */
const HOSTILE: Record<string, Record<string, string>> = {
  "unknown-pools": { "projectcalico.org/ipv4pools": fill("[", (i) => `"no-such-pool-${i}"`, "]") },
  "many-ips": {
    "projectcalico.org/loadBalancerIPs": fill(
      "[",
      (i) => `"10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}"`,
      "]",
    ),
  },
  "not-json": { "projectcalico.org/ipv6pools": `[${"x".repeat(VALUE_BYTES - 1)}` },
  // Just under the 16 KiB that is parsed at all: 8,000 levels of nesting.
  "deep-json": { "projectcalico.org/ipv4pools": `${"[".repeat(8000)}${"]".repeat(8000)}` },
  "long-names": {
    "projectcalico.org/ipv4pools": JSON.stringify(
      Array.from({ length: 32 }, (_, i) => `${i}${"n".repeat(480)}`),
    ),
  },
  "typo-keys": Object.fromEntries(
    Array.from({ length: 2000 }, (_, i) => {
      // Letter-case variants of loadBalancerIPs (the prefix stays a lowercase DNS name).
      const letters = [..."loadbalancerips"].map((c, at) => ((i >> at) & 1 ? c.toUpperCase() : c));
      return [`projectcalico.org/${letters.join("")}`, "[]"];
    }),
  ),
};

let cluster: Cluster;
let controller: ControllerProcess;
let kubeconfig: string;
const healthMs: number[] = [];
let probing = true;
let probe: Promise<void> | undefined;

async function json<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const reply = await cluster.api.send(method, path, body);
  return { status: reply.status, body: JSON.parse(reply.body) as T };
}

interface ServiceObject {
  metadata: { name: string; resourceVersion?: string };
  status?: {
    loadBalancer?: { ingress?: { ip?: string }[] };
    conditions?: { type: string; reason: string; message: string }[];
  };
}

async function service(name: string): Promise<ServiceObject> {
  return (await json<ServiceObject>("GET", `/api/v1/namespaces/${NS}/services/${name}`)).body;
}

const ipsOf = (s: ServiceObject) => (s.status?.loadBalancer?.ingress ?? []).map((e) => e.ip ?? "");

async function createService(name: string, annotations: Record<string, string> = {}): Promise<void> {
  const reply = await cluster.api.send("POST", `/api/v1/namespaces/${NS}/services`, {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, annotations },
    spec: { type: "LoadBalancer", ports: [{ port: 80 }] },
  });
  assert.equal(reply.status, 201, `creating ${name}: ${reply.body.slice(0, 300)}`);
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, limitMs = 60_000) {
  const end = performance.now() + limitMs;
  let last: T | undefined;
  while (performance.now() < end) {
    last = await read();
    if (done(last)) return last;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(last)?.slice(0, 500)}`);
}

before(async () => {
  cluster = await startCluster(10_000);
  kubeconfig = cluster.kubeconfig;
  await cluster.createPool("auto", { cidr: "10.80.0.0/24", blockSize: 26, allowedUses: ["LoadBalancer"] });
  // Pool selectors at the CRD's 1024-byte limit: a long broken one, and one nested 500 deep.
  const terms = Array.from({ length: 90 }, (_, i) => `k${i} == 'v'`).join(" && ");
  await cluster.createPool("huge-selector", {
    cidr: "10.81.0.0/24",
    allowedUses: ["LoadBalancer"],
    namespaceSelector: `${terms} &&`.slice(-1024),
  });
  await cluster.createPool("deep-selector", {
    cidr: "10.82.0.0/24",
    allowedUses: ["LoadBalancer"],
    namespaceSelector: `${"(".repeat(500)}a == 'b'${")".repeat(500)}`,
  });
  controller = await startController(cluster, { asDeployed: true });
  await controller.ready();
  probe = (async () => {
    while (probing) {
      const started = performance.now();
      const reply = await fetch(`${controller.metricsUrl}/healthz`, { signal: AbortSignal.timeout(10_000) });
      await reply.arrayBuffer();
      assert.equal(reply.status, 200);
      healthMs.push(performance.now() - started);
      await sleep(100);
    }
  })();
});

after(async () => {
  probing = false;
  await probe?.catch(() => undefined);
  await controller?.stop();
  await cluster?.stop();
});

describe("the controller as deployed, fed the worst annotations", () => {
  it("stays leader and healthy, writes bounded messages, serves others and moves nothing", async () => {
    const bystanders = ["bystander-1", "bystander-2", "bystander-3"];
    for (const name of bystanders) await createService(name);
    const before = new Map<string, string[]>();
    for (const name of bystanders) {
      before.set(
        name,
        ipsOf(
          await until(
            () => service(name),
            (s) => ipsOf(s).length === 1,
            `${name} served`,
          ),
        ),
      );
    }

    for (const [shape, annotations] of Object.entries(HOSTILE)) {
      for (let copy = 0; copy < 5; copy++) await createService(`${shape}-${copy}`, annotations);
    }
    for (const shape of Object.keys(HOSTILE)) {
      for (let copy = 0; copy < 5; copy++) {
        const name = `${shape}-${copy}`;
        const seen = await until(
          () => service(name),
          (s) => (s.status?.conditions?.length ?? 0) > 0,
          `a condition on ${name}`,
        );
        const status = JSON.stringify(seen.status);
        assert.ok(status.length <= STATUS_BOUND, `${name}: status of ${status.length} bytes`);
        for (const condition of seen.status?.conditions ?? []) {
          assert.ok(Buffer.byteLength(condition.message) <= MESSAGE_BOUND, `${name}: condition message`);
        }
      }
    }
    // The typo'd keys are read as absent: those Services are served automatically.
    assert.equal(ipsOf(await service("typo-keys-0")).length, 1);

    // A fresh Service, created after all of it, is served at once.
    const created = performance.now();
    await createService("fresh");
    await until(
      () => service("fresh"),
      (s) => ipsOf(s).length === 1,
      "fresh served",
      FRESH_LIMIT_MS * 5,
    );
    const freshMs = performance.now() - created;
    assert.ok(freshMs <= FRESH_LIMIT_MS, `fresh served after ${Math.round(freshMs)} ms`);

    const events = await json<{ items: { message?: string; reason?: string; count?: number }[] }>(
      "GET",
      `/api/v1/namespaces/${NS}/events`,
    );
    assert.ok(events.body.items.length > 0);
    for (const event of events.body.items) {
      assert.ok(
        Buffer.byteLength(event.message ?? "") <= MESSAGE_BOUND,
        `${event.reason}: Event message of ${event.message?.length} bytes`,
      );
    }
    const pools = await json<{
      items: {
        metadata: { name: string };
        status?: { conditions?: { reason: string; message: string }[] };
      }[];
    }>("GET", "/apis/projectcalico.org/v3/ippools");
    for (const name of ["huge-selector", "deep-selector"]) {
      const pool = pools.body.items.find((p) => p.metadata.name === name);
      const condition = pool?.status?.conditions?.find((c) => c.reason === "InvalidNamespaceSelector");
      assert.ok(condition, `${name} is not allocatable: ${JSON.stringify(pool?.status)?.slice(0, 300)}`);
      assert.ok(Buffer.byteLength(condition.message) <= MESSAGE_BOUND, `${name}: condition message`);
    }

    for (const name of bystanders) assert.deepEqual(ipsOf(await service(name)), before.get(name), name);
    assert.equal(sampleValue(await controller.metrics(), "lbipam_leader"), 1, "still the leader");
    assert.equal(
      sampleValue(await controller.metrics(), 'lbipam_state_rebuilds_total{phase="takeover"}'),
      1,
      "never lost the lead (one rebuild, at start)",
    );
    assert.ok(healthMs.length > 0);
    const slowest = Math.max(...healthMs);
    assert.ok(slowest <= HEALTH_LIMIT_MS, `/healthz took up to ${Math.round(slowest)} ms`);
  });

  it("explains and simulates those Services with bounded output", async () => {
    const run = promisify(execFile);
    for (const shape of Object.keys(HOSTILE)) {
      const { stdout } = await run(
        process.execPath,
        [plugin, "explain", `${shape}-0`, "-n", NS, "--kubeconfig", kubeconfig],
        { encoding: "utf8", maxBuffer: 1024 * 1024 },
      );
      assert.match(stdout, new RegExp(`Service: +${NS}/${shape}-0`));
      assert.ok(stdout.length <= 16 * 1024, `explain ${shape}: ${stdout.length} bytes`);
    }
    const dir = mkdtempSync(join(tmpdir(), "lbipam-robust-"));
    const manifests = join(dir, "cluster.json");
    const list = async (path: string) => (await json<{ items: unknown[] }>("GET", path)).body.items;
    writeFileSync(
      manifests,
      JSON.stringify({
        apiVersion: "v1",
        kind: "List",
        items: [
          ...(await list("/apis/projectcalico.org/v3/ippools")),
          ...(await list(`/api/v1/namespaces/${NS}/services`)),
        ],
      }),
    );
    const { stdout } = await run(process.execPath, [plugin, "simulate", "-f", manifests, "-o", "json"], {
      encoding: "utf8",
      maxBuffer: 16 * 1024 * 1024,
    });
    const report = JSON.parse(stdout) as { services: { service: string; message: string | null }[] };
    for (const outcome of report.services) {
      assert.ok(Buffer.byteLength(outcome.message ?? "") <= MESSAGE_BOUND, `simulate ${outcome.service}`);
    }
    assert.ok(report.services.length >= Object.keys(HOSTILE).length * 5);
  });
});
