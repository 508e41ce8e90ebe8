// Two controllers on one API server with leader election (short durations):
// one leads and only it writes; when it stops, or can no longer renew, it
// steps down before its lease expires and the standby takes over. Every
// Service status the server recorded is checked: no address is ever held by
// two Services.
import assert from "node:assert/strict";
import { connect, createServer, type Server, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { KubeConfig, type V1Service, Watch } from "@kubernetes/client-node";
import { parseControllerFlags } from "../src/commands/controller.js";
import { type ClusterWriter, KubeClusterWriter, type ObjectKey } from "../src/controller/cluster-writer.js";
import type { Controller } from "../src/controller/controller.js";
import { checkDurations, microTime } from "../src/controller/leader-election.js";
import { RestClient } from "../src/controller/rest-client.js";
import { TokenBucket } from "../src/controller/token-bucket.js";
import {
  createPool,
  ingressOf,
  loadBalancer,
  oneAddressOf,
  startCluster,
  startController,
  type TestCluster,
  waitFor,
} from "./helpers/cluster.js";

const LEASE_MS = 1500;
const DEADLINE_MS = 1000;
const RETRY_MS = 200;
/** Takeover must come within the lease duration plus this (generous: tests assert behaviour, not speed). */
const MARGIN_MS = 5000;

let cluster: TestCluster;
const running: Controller[] = [];
const clients: RestClient[] = [];
/** Every address each Service showed, as the server recorded it; problems found along the way. */
const holders = new Map<string, string>();
const doubled: string[] = [];
let watch: AbortController | undefined;

/** Counts the status writes that reached the server through one controller. */
class CountingWriter implements ClusterWriter {
  serviceWrites = 0;
  constructor(private readonly inner: ClusterWriter) {}
  async patchServiceStatus(key: ObjectKey, rv: string | undefined, status: object) {
    await this.inner.patchServiceStatus(key, rv, status);
    this.serviceWrites++;
  }
  createEvent(event: Parameters<ClusterWriter["createEvent"]>[0]) {
    return this.inner.createEvent(event);
  }
  patchEvent(key: ObjectKey, patch: object) {
    return this.inner.patchEvent(key, patch);
  }
  patchClusterObjectStatus(plural: string, name: string, status: object) {
    return this.inner.patchClusterObjectStatus(plural, name, status);
  }
  createClusterObject(plural: string, body: object) {
    return this.inner.createClusterObject(plural, body);
  }
}

function elected(
  lease: string,
  kubeconfig = cluster.kubeconfig,
): { controller: Controller; writer: CountingWriter } {
  const rest = new RestClient(kubeconfig);
  clients.push(rest);
  const writer = new CountingWriter(new KubeClusterWriter(rest, new TokenBucket(0, 1)));
  const controller = startController(cluster, {
    kubeconfig,
    writer,
    leaderElection: {
      leaseName: lease,
      namespace: "kube-system",
      leaseDurationMs: LEASE_MS,
      renewDeadlineMs: DEADLINE_MS,
      retryPeriodMs: RETRY_MS,
    },
  });
  running.push(controller);
  return { controller, writer };
}

async function stopController(controller: Controller): Promise<void> {
  const at = running.indexOf(controller);
  if (at >= 0) running.splice(at, 1);
  await controller.stop();
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseTransitions?: number;
  leaseDurationSeconds?: number;
}

async function readLease(name: string): Promise<LeaseSpec | undefined> {
  const rest = new RestClient(cluster.kubeconfig);
  try {
    const reply = await rest.send(
      "GET",
      `/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${name}`,
    );
    return reply.status === 200 ? (JSON.parse(reply.body) as { spec?: LeaseSpec }).spec : undefined;
  } finally {
    rest.close();
  }
}

/** Watches how many controllers lead at once, every few milliseconds. */
function overlapWatcher(controllers: Controller[]): { stop(): number } {
  let overlaps = 0;
  const timer = setInterval(() => {
    if (controllers.filter((c) => c.leading).length > 1) overlaps++;
  }, 5);
  return {
    stop() {
      clearInterval(timer);
      return overlaps;
    },
  };
}

const statusWrites = () =>
  cluster.server.counters.total({ verb: "patch", resource: "services", subresource: "status" });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

before(async () => {
  cluster = await startCluster();
  for (const name of ["one", "two", "three", "four"]) {
    await cluster.core.createNamespace({ body: { metadata: { name } } });
  }
  await createPool(cluster, "lb-pool", { cidr: "192.220.0.0/24", blockSize: 28 });
  // Every Service status the server stores, checked for an address shown by two Services.
  watch = await new Watch(cluster.kubeconfig).watch(
    "/api/v1/services",
    {},
    (phase, service: V1Service) => {
      const key = `${service.metadata?.namespace}/${service.metadata?.name}`;
      for (const [ip, holder] of holders) if (holder === key) holders.delete(ip);
      if (phase === "DELETED") return;
      for (const entry of service.status?.loadBalancer?.ingress ?? []) {
        const ip = entry.ip ?? "";
        const holder = holders.get(ip);
        if (holder !== undefined && holder !== key) doubled.push(`${ip}: ${holder} and ${key}`);
        holders.set(ip, key);
      }
    },
    () => {},
  );
});
after(async () => {
  watch?.abort();
  for (const controller of running.splice(0)) await controller.stop();
  for (const rest of clients) rest.close();
  await cluster?.stop();
});

describe("leader election", () => {
  it("elects one leader of two; only it writes, and /readyz and lbipam_leader say who leads", async () => {
    const a = elected("one");
    const b = elected("one");
    await Promise.all([a.controller.start(), b.controller.start()]);
    const leader = await waitFor(
      async () => [a, b].filter((x) => x.controller.leading),
      (leaders) => leaders.length === 1,
      "one leader",
    );
    const lead = leader[0]!;
    const standby = lead === a ? b : a;
    const lease = await waitFor(
      () => readLease("one"),
      (spec) => spec?.holderIdentity === lead.controller.identity,
      "the Lease naming the leader",
    );
    assert.equal(lease?.leaseTransitions, 0);
    assert.ok(Number.isInteger(lease?.leaseDurationSeconds));

    for (const name of ["web", "api", "db"]) {
      await cluster.core.createNamespacedService({ namespace: "one", body: loadBalancer(name) });
    }
    for (const name of ["web", "api", "db"]) await oneAddressOf(cluster, "one", name);
    await sleep(300);
    assert.equal(lead.writer.serviceWrites, 3);
    assert.equal(standby.writer.serviceWrites, 0);
    assert.equal(standby.controller.leading, false);

    const ready = lead.controller.readiness();
    const standing = standby.controller.readiness();
    assert.ok(ready.ok && ready.detail.includes("leader"));
    assert.ok(standing.ok && standing.detail.includes("standby"), standing.detail);
    assert.ok(standing.detail.includes(lead.controller.identity ?? "?"), standing.detail);
    const gauge = async (c: Controller) => {
      const metric = await c.metrics.registry.getSingleMetric("lbipam_leader")?.get();
      return metric?.values[0]?.value;
    };
    assert.equal(await gauge(lead.controller), 1);
    assert.equal(await gauge(standby.controller), 0);

    // The leader stops: it releases the Lease, and the standby takes over well within the lease duration.
    const overlaps = overlapWatcher([a.controller, b.controller]);
    const stoppedAt = Date.now();
    await stopController(lead.controller);
    await waitFor(
      async () => standby.controller.leading,
      (leading) => leading,
      "the standby to lead",
    );
    assert.ok(Date.now() - stoppedAt < LEASE_MS + MARGIN_MS);
    assert.equal(overlaps.stop(), 0);
    const after = await readLease("one");
    assert.equal(after?.holderIdentity, standby.controller.identity);
    assert.equal(after?.leaseTransitions, 1);

    // The new leader kept every address and assigns new Services.
    assert.deepEqual(await ingressOf(cluster, "one", "web"), await oneAddressOf(cluster, "one", "web"));
    await cluster.core.createNamespacedService({ namespace: "one", body: loadBalancer("cache") });
    await oneAddressOf(cluster, "one", "cache");
    assert.ok(standby.writer.serviceWrites >= 1);
    await stopController(standby.controller);
    assert.ok(holders.size >= 4, "the watch saw the addresses");
    assert.deepEqual(doubled, []);
  });

  it("a leader that cannot renew steps down before its lease expires, and writes nothing more", async () => {
    const a = elected("two");
    await a.controller.start();
    await waitFor(
      async () => a.controller.leading,
      (leading) => leading,
      "a to lead",
    );
    const b = elected("two");
    await b.controller.start();
    const overlaps = overlapWatcher([a.controller, b.controller]);

    // Every Lease update fails: nobody can renew or take over.
    cluster.server.faults.failNext({ verb: "update", resource: "leases", code: 500, count: 100_000 });
    const failedAt = Date.now();
    await waitFor(
      async () => a.controller.leading,
      (leading) => !leading,
      "a to step down",
    );
    // It stepped down within the renew deadline (plus a retry), before its lease could expire.
    assert.ok(Date.now() - failedAt < LEASE_MS + RETRY_MS, `stepped down after ${Date.now() - failedAt} ms`);
    assert.equal(b.controller.leading, false);
    assert.ok(a.controller.readiness().ok, "a standby is still ready");

    const before = statusWrites();
    await cluster.core.createNamespacedService({ namespace: "two", body: loadBalancer("orphan") });
    await sleep(1000);
    assert.equal(statusWrites(), before, "nobody leads, so nobody writes");

    cluster.server.faults.clear();
    await waitFor(
      async () => [a, b].filter((x) => x.controller.leading).length,
      (n) => n === 1,
      "a leader again",
    );
    await oneAddressOf(cluster, "two", "orphan");
    assert.equal(overlaps.stop(), 0);
    await stopController(a.controller);
    await stopController(b.controller);
    assert.deepEqual(doubled, []);
  });

  it("a leader cut off from the API server is replaced within the lease duration", async () => {
    const proxy = await startProxy(apiPort());
    const viaProxy = new KubeConfig();
    viaProxy.loadFromString(cluster.server.kubeconfig().replace(`:${apiPort()}`, `:${proxy.port}`));
    const a = elected("three", viaProxy);
    await a.controller.start();
    await waitFor(
      async () => a.controller.leading,
      (leading) => leading,
      "a to lead",
    );
    const b = elected("three");
    await b.controller.start();
    await cluster.core.createNamespacedService({ namespace: "three", body: loadBalancer("kept") });
    const kept = await oneAddressOf(cluster, "three", "kept");
    const overlaps = overlapWatcher([a.controller, b.controller]);

    proxy.blackhole();
    const cutAt = Date.now();
    const writesOfA = a.writer.serviceWrites;
    await waitFor(
      async () => a.controller.leading,
      (leading) => !leading,
      "a to step down",
    );
    await waitFor(
      async () => b.controller.leading,
      (leading) => leading,
      "b to take over",
    );
    assert.ok(Date.now() - cutAt < LEASE_MS + MARGIN_MS, `took over after ${Date.now() - cutAt} ms`);
    assert.equal(overlaps.stop(), 0);

    for (const name of ["new-1", "new-2"]) {
      await cluster.core.createNamespacedService({ namespace: "three", body: loadBalancer(name) });
    }
    await oneAddressOf(cluster, "three", "new-1");
    await oneAddressOf(cluster, "three", "new-2");
    assert.deepEqual(await ingressOf(cluster, "three", "kept"), kept, "the address did not move");
    assert.equal(a.writer.serviceWrites, writesOfA);
    const lease = await readLease("three");
    assert.equal(lease?.holderIdentity, b.controller.identity);
    assert.equal(lease?.leaseTransitions, 1);

    proxy.cut();
    await stopController(a.controller);
    await stopController(b.controller);
    await proxy.close();
    assert.deepEqual(doubled, []);
  });

  it("leads again after standing by, rebuilding its state from the Services", async () => {
    const a = elected("four");
    await a.controller.start();
    await waitFor(
      async () => a.controller.leading,
      (leading) => leading,
      "a to lead",
    );
    await cluster.core.createNamespacedService({ namespace: "four", body: loadBalancer("first") });
    const first = await oneAddressOf(cluster, "four", "first");
    // Lose the Lease for a while, then win it back.
    cluster.server.faults.failNext({ verb: "update", resource: "leases", code: 500, count: 100_000 });
    await waitFor(
      async () => a.controller.leading,
      (leading) => !leading,
      "a to step down",
    );
    assert.equal(a.controller.ledger.size, 0, "allocations dropped while standing by");
    cluster.server.faults.clear();
    await waitFor(
      async () => a.controller.leading,
      (leading) => leading,
      "a to lead again",
    );
    await cluster.core.createNamespacedService({ namespace: "four", body: loadBalancer("second") });
    const second = await oneAddressOf(cluster, "four", "second");
    assert.notDeepEqual(second, first);
    assert.deepEqual(await ingressOf(cluster, "four", "first"), first);
    await stopController(a.controller);
    assert.deepEqual(doubled, []);
  });
});

describe("leader election settings", () => {
  it("checks durations as client-go does", () => {
    assert.equal(
      checkDurations({ leaseDurationMs: 15000, renewDeadlineMs: 10000, retryPeriodMs: 2000 }),
      undefined,
    );
    assert.match(
      checkDurations({ leaseDurationMs: 10000, renewDeadlineMs: 10000, retryPeriodMs: 2000 }) ?? "",
      /lease duration/,
    );
    assert.match(
      checkDurations({ leaseDurationMs: 15000, renewDeadlineMs: 2000, retryPeriodMs: 2000 }) ?? "",
      /renew deadline/,
    );
    assert.match(
      checkDurations({ leaseDurationMs: 15000, renewDeadlineMs: 10000, retryPeriodMs: 0 }) ?? "",
      /retry/,
    );
  });

  it("writes MicroTime with microseconds", () => {
    assert.equal(microTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678)), "2026-01-02T03:04:05.678000Z");
  });

  it("parses the --leader-elect flags", () => {
    const defaults = parseControllerFlags([]);
    assert.ok(typeof defaults === "object");
    assert.deepEqual(defaults.leaderElection, {
      leaseName: "lbipam-controller",
      namespace: "kube-system",
      leaseDurationMs: 15000,
      renewDeadlineMs: 10000,
      retryPeriodMs: 2000,
    });
    const off = parseControllerFlags(["--leader-elect=false"]);
    assert.ok(typeof off === "object" && off.leaderElection === undefined);
    const bare = parseControllerFlags(["--leader-elect", "--workers", "2"]);
    assert.ok(typeof bare === "object" && bare.leaderElection !== undefined && bare.workers === 2);
    const custom = parseControllerFlags([
      "--leader-elect-lease-name=mine",
      "--leader-elect-namespace",
      "lbipam",
      "--leader-elect-lease-duration=30",
      "--leader-elect-renew-deadline=20",
      "--leader-elect-retry-period=0.5",
    ]);
    assert.ok(typeof custom === "object");
    assert.deepEqual(custom.leaderElection, {
      leaseName: "mine",
      namespace: "lbipam",
      leaseDurationMs: 30000,
      renewDeadlineMs: 20000,
      retryPeriodMs: 500,
    });
    const problems: [string[], RegExp][] = [
      [["--leader-elect=maybe"], /--leader-elect: "maybe" must be true or false/],
      [["--leader-elect-lease-duration=10"], /renew deadline.*lease duration|lease duration/],
      [["--leader-elect-renew-deadline=abc"], /--leader-elect-renew-deadline/],
      [["--leader-elect-retry-period=0"], /--leader-elect-retry-period/],
      [["--leader-elect-lease-name="], /--leader-elect-lease-name/],
      [["--leader-elect-namespace=Not_A_Namespace"], /--leader-elect-namespace/],
    ];
    for (const [args, message] of problems) {
      const result = parseControllerFlags(args);
      assert.equal(typeof result, "string", args.join(" "));
      assert.match(result as string, message);
    }
  });
});

function apiPort(): number {
  return Number(new URL(cluster.kubeconfig.getCurrentCluster()?.server ?? "").port);
}

/** A TCP proxy to the API server that the test can make silent (packets vanish) or cut. */
async function startProxy(target: number): Promise<{
  port: number;
  blackhole(): void;
  cut(): void;
  close(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  let silent = false;
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => {});
    if (silent) return;
    const upstream = createConnectionTo(target);
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
    client.on("data", (chunk) => {
      if (!silent) upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (!silent) client.write(chunk);
    });
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    blackhole: () => {
      silent = true;
    },
    cut: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function createConnectionTo(port: number): Socket {
  return connect(port, "127.0.0.1");
}
