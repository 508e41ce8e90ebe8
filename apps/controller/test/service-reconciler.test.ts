// The ServiceReconciler alone, with fakes for what it writes through (a
// recording ClusterWriter) and Map caches for what it reads: the writes,
// Events, releases and wake-ups of each reconcile, as a step table.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CoreV1Event } from "@kubernetes/client-node";
import { parseAddress } from "@lbipam/allocator";
import type { IPPool, ManagementConfig, Namespace, Service } from "@lbipam/api";
import { Ledger, PoolRegistry } from "@lbipam/state";
import { AllocationBatcher } from "../src/controller/allocation-batcher.js";
import { EventRecorder } from "../src/controller/event-recorder.js";
import type { ReadCache } from "../src/controller/read-cache.js";
import { type ReconcileResult, ServiceReconciler } from "../src/controller/service-reconciler.js";
import { StatusEchoes } from "../src/controller/status-echoes.js";
import { WaitingServices } from "../src/controller/waiting-services.js";
import { idleMetrics } from "./helpers/metrics.js";
import { RecordingWriter } from "./helpers/recording-writer.js";

/** The writes of a step, in the table's terms. */
const statusWrites = () =>
  world.writer.of("serviceStatus").map((w) => {
    const patch = w.body as {
      loadBalancer: { ingress: { ip?: string }[] };
      conditions: { type: string; reason: string }[];
    };
    return {
      key: w.target,
      ips: patch.loadBalancer.ingress.map((e) => e.ip ?? ""),
      reason: patch.conditions.find((c) => c.type === "projectcalico.org/LoadBalancerIPAllocated")?.reason,
    };
  });
const events = () =>
  world.writer.of("event").map((w) => {
    const event = w.body as CoreV1Event;
    return `${event.type} ${event.reason}`;
  });

const mapCache = <T>(map: Map<string, T>): ReadCache<T> => ({
  get: (name, namespace) => map.get(namespace === undefined ? name : `${namespace}/${name}`),
});

interface World {
  services: Map<string, Service>;
  registry: PoolRegistry;
  ledger: Ledger;
  waiting: WaitingServices;
  writer: RecordingWriter;
  recorder: EventRecorder;
  reconciler: ServiceReconciler;
}
let world: World;

function newWorld(pools: IPPool[]): World {
  const services = new Map<string, Service>();
  const registry = new PoolRegistry();
  for (const pool of pools) registry.sync(pool.metadata.name ?? "", pool);
  const ledger = new Ledger();
  const waiting = new WaitingServices();
  const writer = new RecordingWriter();
  // As the API server would: the cache sees the new status.
  writer.onServiceStatus = (key, status) => {
    const id = `${key.namespace}/${key.name}`;
    services.set(id, { ...services.get(id)!, status: status as Service["status"] });
  };
  const quiet = { info() {}, warn() {}, error() {}, debug() {} };
  const recorder = new EventRecorder(writer, "lbipam", "test", quiet);
  const metrics = idleMetrics();
  const config: ManagementConfig = { assignIPs: "AllServices", loadBalancerClass: "calico" };
  const reconciler = new ServiceReconciler({
    services: mapCache(services),
    namespaces: mapCache(new Map<string, Namespace>()),
    registry,
    ledger,
    waiting,
    config: () => config,
    writer,
    recorder,
    metrics,
    batcher: new AllocationBatcher(undefined, 1, metrics),
    echoes: new StatusEchoes(),
    logger: quiet,
  });
  return { services, registry, ledger, waiting, writer, recorder, reconciler };
}

const pool = (name: string, cidr: string): IPPool => ({
  metadata: { name, creationTimestamp: "2026-01-01T00:00:00Z" },
  spec: { cidr, blockSize: Number(cidr.split("/")[1]), allowedUses: ["LoadBalancer"] },
});

function service(key: string, created: string, spec: Service["spec"] = {}, ingress: string[] = []): Service {
  const [namespace, name] = key.split("/");
  return {
    metadata: { namespace, name, creationTimestamp: created, resourceVersion: "1" },
    spec: { type: "LoadBalancer", ...spec },
    ...(ingress.length > 0 ? { status: { loadBalancer: { ingress: ingress.map((ip) => ({ ip })) } } } : {}),
  };
}

interface Step {
  step: string;
  act: () => void;
  /** The key reconciled in this step. */
  reconcile: string;
  /** Status writes of the step: [key, addresses, condition reason]. */
  writes: [string, string[], string | undefined][];
  /** Events of the step: "Type Reason". */
  events: string[];
  result: Partial<Pick<ReconcileResult, "freed" | "state">>;
  /** The step's reconcile fails (its error is retried by the work queue). */
  fails?: boolean;
  /** Who holds which address after the step. */
  holders?: Record<string, string | undefined>;
}

async function runSteps(steps: Step[]): Promise<void> {
  for (const step of steps) {
    const writesBefore = statusWrites().length;
    const eventsBefore = events().length;
    step.act();
    let result: ReconcileResult | undefined;
    try {
      result = await world.reconciler.reconcile(step.reconcile);
      assert.ok(!step.fails, `${step.step}: should have failed`);
    } catch (error) {
      assert.ok(step.fails, `${step.step}: ${String(error)}`);
    }
    await world.recorder.flush();
    assert.deepEqual(
      statusWrites()
        .slice(writesBefore)
        .map((w) => [w.key, w.ips, w.reason]),
      step.writes,
      `${step.step}: status writes`,
    );
    assert.deepEqual(events().slice(eventsBefore), step.events, `${step.step}: Events`);
    if (result) {
      for (const [field, value] of Object.entries(step.result)) {
        assert.equal(result[field as keyof ReconcileResult], value, `${step.step}: ${field}`);
      }
    }
    for (const [ip, holder] of Object.entries(step.holders ?? {})) {
      assert.equal(world.ledger.holderOf(parseAddress(ip)), holder, `${step.step}: holder of ${ip}`);
    }
  }
}

describe("ServiceReconciler", () => {
  it("serves, waits, keeps an address through a failed write, and releases only after the write", async () => {
    world = newWorld([pool("a", "10.0.0.0/31")]);
    const set = (s: Service) => () => world.services.set(`${s.metadata.namespace}/${s.metadata.name}`, s);
    await runSteps([
      {
        step: "s1 is served the first address",
        act: set(service("ns/s1", "2026-01-01T00:00:01Z")),
        reconcile: "ns/s1",
        writes: [["ns/s1", ["10.0.0.0"], "Allocated"]],
        events: ["Normal IPAllocated"],
        result: { state: "allocated", freed: false },
        holders: { "10.0.0.0": "ns/s1" },
      },
      {
        step: "reconciling s1 again writes nothing",
        act: () => {},
        reconcile: "ns/s1",
        writes: [],
        events: [],
        result: { state: "allocated", freed: false },
      },
      {
        step: "s2's status write fails: the address stays s2's for the retry",
        act: () => {
          set(service("ns/s2", "2026-01-01T00:00:02Z"))();
          world.writer.failNext.set("serviceStatus", 500);
        },
        reconcile: "ns/s2",
        writes: [],
        events: [],
        result: {},
        fails: true,
        holders: { "10.0.0.1": "ns/s2" },
      },
      {
        step: "the retry writes the same address, not a second one",
        act: () => {},
        reconcile: "ns/s2",
        writes: [["ns/s2", ["10.0.0.1"], "Allocated"]],
        events: ["Normal IPAllocated"],
        result: { state: "allocated" },
        holders: { "10.0.0.1": "ns/s2" },
      },
      {
        step: "s3 finds the pool full and waits, with a Warning",
        act: set(service("ns/s3", "2026-01-01T00:00:03Z")),
        reconcile: "ns/s3",
        writes: [["ns/s3", [], "PoolExhausted"]],
        events: ["Warning AllocationFailed"],
        result: { state: "pending", freed: false },
      },
      {
        step: "s1 becomes ClusterIP: its address goes back after the write that drops it, and waiting Services wake",
        act: set(service("ns/s1", "2026-01-01T00:00:01Z", { type: "ClusterIP" }, ["10.0.0.0"])),
        reconcile: "ns/s1",
        writes: [["ns/s1", [], undefined]],
        events: ["Normal IPReleased"],
        result: { state: "unmanaged", freed: true },
        holders: { "10.0.0.0": undefined },
      },
      {
        step: "s3 takes the freed address",
        act: () => {},
        reconcile: "ns/s3",
        writes: [["ns/s3", ["10.0.0.0"], "Allocated"]],
        events: ["Normal IPAllocated"],
        result: { state: "allocated" },
        holders: { "10.0.0.0": "ns/s3" },
      },
      {
        step: "s2 deleted: what it held goes back",
        act: () => world.services.delete("ns/s2"),
        reconcile: "ns/s2",
        writes: [],
        events: [],
        result: { state: undefined, freed: true },
        holders: { "10.0.0.1": undefined },
      },
    ]);
    assert.deepEqual(world.waiting.oldestFirst(), []);
  });

  it("holds what another class's Service shows and never writes to it", async () => {
    world = newWorld([pool("a", "10.0.0.0/31")]);
    world.services.set(
      "ns/theirs",
      service("ns/theirs", "2026-01-01T00:00:01Z", { loadBalancerClass: "x" }, ["10.0.0.0"]),
    );
    world.services.set("ns/ours", service("ns/ours", "2026-01-01T00:00:02Z"));
    await runSteps([
      {
        step: "theirs: held for it, nothing written",
        act: () => {},
        reconcile: "ns/theirs",
        writes: [],
        events: [],
        result: { state: "unmanaged", freed: false },
        holders: { "10.0.0.0": "ns/theirs" },
      },
      {
        step: "ours gets the other address",
        act: () => {},
        reconcile: "ns/ours",
        writes: [["ns/ours", ["10.0.0.1"], "Allocated"]],
        events: ["Normal IPAllocated"],
        result: { state: "allocated" },
      },
      {
        step: "theirs stops showing it: freed",
        act: () =>
          world.services.set(
            "ns/theirs",
            service("ns/theirs", "2026-01-01T00:00:01Z", { loadBalancerClass: "x" }),
          ),
        reconcile: "ns/theirs",
        writes: [],
        events: [],
        result: { state: "unmanaged", freed: true },
        holders: { "10.0.0.0": undefined },
      },
    ]);
  });

  it("members of one sharing key reconciled at once share one address (the second waits for the first's allocation)", async () => {
    world = newWorld([pool("a", "10.0.0.0/28")]);
    const member = (key: string, port: number) => ({
      ...service(key, "2026-01-01T00:00:01Z", { ports: [{ port, protocol: "TCP" }] }),
      metadata: {
        ...service(key, "2026-01-01T00:00:01Z").metadata,
        annotations: { "lbipam.io/sharing-key": "web" },
      },
    });
    world.services.set("ns/http", member("ns/http", 80));
    world.services.set("ns/https", member("ns/https", 443));
    world.services.set("ns/other", service("ns/other", "2026-01-01T00:00:02Z"));
    // All three decide before any allocation batch has run: without turns per key, https
    // finds no address of "web" yet and takes one of its own.
    const results = await Promise.all(
      ["ns/http", "ns/https", "ns/other"].map((k) => world.reconciler.reconcile(k)),
    );
    assert.deepEqual(
      results.map((r) => r.state),
      ["allocated", "allocated", "allocated"],
    );
    const shown = Object.fromEntries(statusWrites().map((w) => [w.key, w.ips]));
    assert.deepEqual(shown["ns/https"], shown["ns/http"]);
    assert.notDeepEqual(shown["ns/other"], shown["ns/http"]);
    assert.equal(new Set(Object.values(shown).flat()).size, 2);
  });
});
