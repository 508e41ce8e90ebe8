// The controller's writers alone, with a recording ClusterWriter and Map
// caches: ConfigSync, PoolStatusWriter, EventRecorder and PoolSync.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CoreV1Event } from "@kubernetes/client-node";
import { parseAddress } from "@lbipam/allocator";
import type { IPPool, KubeControllersConfiguration } from "@lbipam/api";
import { Ledger, PoolRegistry } from "@lbipam/state";
import { ConfigSync } from "../src/controller/config-sync.js";
import { EventRecorder, type InvolvedObject } from "../src/controller/event-recorder.js";
import { PoolReferences } from "../src/controller/pool-references.js";
import { PoolStatusWriter } from "../src/controller/pool-status.js";
import { PoolSync } from "../src/controller/pool-sync.js";
import type { ReadCache } from "../src/controller/read-cache.js";
import { idleMetrics } from "./helpers/metrics.js";
import { RecordingWriter } from "./helpers/recording-writer.js";

const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const cache = <T>(map: Map<string, T>): ReadCache<T> => ({ get: (name) => map.get(name) });
const metrics = idleMetrics;

const kcc = (loadBalancer: object, runningConfig?: object): KubeControllersConfiguration =>
  ({
    apiVersion: "projectcalico.org/v3",
    kind: "KubeControllersConfiguration",
    metadata: { name: "default" },
    spec: { controllers: { loadBalancer } },
    ...(runningConfig ? { status: { runningConfig } } : {}),
  }) as KubeControllersConfiguration;

describe("ConfigSync", () => {
  it("creates the default when missing, reports mode changes, and keeps runningConfig current", async () => {
    const configs = new Map<string, KubeControllersConfiguration>();
    const writer = new RecordingWriter();
    const sync = new ConfigSync(cache(configs), writer, quiet);
    const running = (assignIPs: string) => ({ controllers: { loadBalancer: { assignIPs } } });
    // [step, the object in the cache (null: none), changed, writes]
    const steps: [string, KubeControllersConfiguration | null, boolean, string[]][] = [
      [
        "none yet: created, with an empty section",
        null,
        false,
        ["clusterCreate kubecontrollersconfigurations/default"],
      ],
      [
        "the created object: runningConfig written",
        kcc({}),
        false,
        ["clusterStatus kubecontrollersconfigurations/default"],
      ],
      ["its own status write seen: nothing to do", kcc({}, running("AllServices")), false, []],
      [
        "the upstream patch (AssignIPs): the mode changes",
        kcc({ AssignIPs: "RequestedServicesOnly" }, running("AllServices")),
        true,
        ["clusterStatus kubecontrollersconfigurations/default"],
      ],
      [
        "an unknown value: AllServices, never a mode that takes addresses",
        kcc({ assignIPs: "Sometimes" }, running("RequestedServicesOnly")),
        true,
        ["clusterStatus kubecontrollersconfigurations/default"],
      ],
    ];
    for (const [step, object, changed, writes] of steps) {
      if (object) configs.set("default", object);
      else configs.delete("default");
      const before = writer.writes.length;
      assert.equal(await sync.sync(), changed, `${step}: changed`);
      assert.deepEqual(
        writer.writes.slice(before).map((w) => `${w.kind} ${w.target}`),
        writes,
        `${step}: writes`,
      );
    }
    assert.equal(sync.assignIPs, "AllServices");
    const created = writer.of("clusterCreate")[0]?.body as { spec: unknown };
    assert.deepEqual(created.spec, { controllers: { loadBalancer: {} } });
  });

  it("takes someone else's creation (409) as done, and fails on other errors", async () => {
    const writer = new RecordingWriter();
    const sync = new ConfigSync(cache(new Map()), writer, quiet);
    writer.failNext.set("clusterCreate", 409);
    assert.equal(await sync.sync(), false);
    writer.failNext.set("clusterCreate", 500);
    await assert.rejects(sync.sync(), /500/);
  });
});

describe("PoolStatusWriter", () => {
  const pool = (spec: Partial<IPPool["spec"]>, status?: IPPool["status"]): IPPool => ({
    apiVersion: "projectcalico.org/v3",
    kind: "IPPool",
    metadata: { name: "a", generation: 2 },
    spec: { cidr: "10.0.0.0/30", blockSize: 30, allowedUses: ["LoadBalancer"], ...spec },
    ...(status ? { status } : {}),
  });

  it("writes the condition and counts once, keeps lastTransitionTime, and holds writes while asked to", async () => {
    const pools = new Map<string, IPPool>();
    const registry = new PoolRegistry();
    const writer = new RecordingWriter();
    const statuses = new PoolStatusWriter(cache(pools), registry, writer, metrics(), quiet, 0);
    const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
    pools.set("a", pool({}));
    registry.sync("a", pools.get("a"));
    registry.poolSet.get("a")?.claim(parseAddress("10.0.0.1").value);

    statuses.request("a");
    await settle();
    const first = writer.of("clusterStatus");
    assert.equal(first.length, 1);
    const written = first[0]!.body as IPPool["status"] & {
      conditions: { reason: string; lastTransitionTime: string; observedGeneration: number }[];
    };
    assert.equal(written.conditions[0]?.reason, "Allocatable");
    assert.equal(written.conditions[0]?.observedGeneration, 2);
    assert.deepEqual(written.addresses, { family: "IPv4", total: 4, allocated: 1, reserved: 0 });

    // The cache shows what was written: asking again writes nothing.
    pools.set("a", pool({}, written));
    statuses.request("a");
    await settle();
    assert.equal(writer.of("clusterStatus").length, 1);

    // Held (a rebuild is claiming): nothing until resumed.
    statuses.hold();
    pools.set("a", pool({ disabled: true }, written));
    registry.sync("a", pools.get("a"));
    statuses.request("a");
    await settle();
    assert.equal(writer.of("clusterStatus").length, 1);
    statuses.resume();
    await settle();
    const second = writer.of("clusterStatus")[1]?.body as { conditions: { reason: string }[] };
    assert.equal(second.conditions[0]?.reason, "PoolDisabled");
    statuses.stop();
  });
});

describe("EventRecorder", () => {
  const object: InvolvedObject = { kind: "Service", apiVersion: "v1", namespace: "ns", name: "s", uid: "u" };

  it("aggregates repeats into count, and lets one object burst 25 Events, then one per 5 minutes", async () => {
    const writer = new RecordingWriter();
    let now = Date.parse("2026-01-01T00:00:00Z");
    const recorder = new EventRecorder(writer, "lbipam", "test", quiet, () => new Date(now));
    recorder.record(object, "Warning", "AllocationFailed", "no free address");
    recorder.record(object, "Warning", "AllocationFailed", "no free address");
    await recorder.flush();
    assert.deepEqual(
      writer.writes.map((w) => w.kind),
      ["event", "eventPatch"],
    );
    assert.equal((writer.of("eventPatch")[0]!.body as { count: number }).count, 2);

    for (let i = 0; i < 40; i++) recorder.record(object, "Normal", "IPAllocated", `Assigned 10.0.0.${i}`);
    await recorder.flush();
    // 25 at once: two spent above (the repeat came before the first was written, so it spent one too).
    assert.equal(writer.of("event").length, 24);
    now += 5 * 60 * 1000;
    recorder.record(object, "Normal", "IPAllocated", "Assigned 10.0.1.1");
    recorder.record(object, "Normal", "IPAllocated", "Assigned 10.0.1.2");
    await recorder.flush();
    assert.equal(writer.of("event").length, 25, "one more after five minutes");
    // Another object has its own budget.
    recorder.record({ ...object, name: "t", uid: "v" }, "Normal", "IPAllocated", "Assigned 10.0.2.1");
    await recorder.flush();
    assert.equal(writer.of("event").length, 26);
    const event = writer.of("event")[0]?.body as CoreV1Event;
    assert.equal(event.involvedObject.uid, "u");
    assert.equal(event.source?.component, "lbipam");
  });

  it("names an Event after its object and the time in nanoseconds, never the same name twice", async () => {
    const writer = new RecordingWriter();
    const now = Date.parse("2026-01-01T00:00:00Z");
    const recorder = new EventRecorder(writer, "lbipam", "test", quiet, () => new Date(now));
    recorder.record(object, "Normal", "IPAllocated", "Assigned 10.0.0.1");
    recorder.record(object, "Normal", "IPReleased", "Released 10.0.0.1");
    await recorder.flush();
    const names = writer.of("event").map((w) => (w.body as CoreV1Event).metadata.name);
    const time = BigInt(now) * 1_000_000n;
    assert.deepEqual(names, [`s.${time.toString(16)}`, `s.${(time + 1n).toString(16)}`]);
  });

  it("starts a new Event when the one it would bump is gone, and never throws", async () => {
    const writer = new RecordingWriter();
    const recorder = new EventRecorder(writer, "lbipam", "test", quiet);
    recorder.record(object, "Normal", "IPReleased", "Released 10.0.0.1");
    await recorder.flush();
    writer.failNext.set("eventPatch", 404);
    recorder.record(object, "Normal", "IPReleased", "Released 10.0.0.1");
    await recorder.flush();
    assert.equal(writer.of("event").length, 2);
    writer.failNext.set("event", 500);
    recorder.record(object, "Normal", "IPAllocated", "Assigned 10.0.0.2");
    await recorder.flush();
    assert.equal(writer.of("event").length, 2, "the failed write is logged, not thrown");
  });
});

describe("PoolSync", () => {
  it("brings the registry in line, claims held addresses in new storage, and names the Services a change affects", () => {
    const pools = new Map<string, IPPool>();
    const registry = new PoolRegistry();
    const ledger = new Ledger();
    const references = new PoolReferences();
    const requested: string[] = [];
    const sync = new PoolSync({
      pools: { get: (name) => pools.get(name), list: () => [...pools.values()] },
      registry,
      ledger,
      references,
      poolStatus: () => ({ request: (name: string) => requested.push(name) }),
    });
    const pool = (name: string, cidr: string): IPPool => ({
      metadata: { name },
      spec: { cidr, blockSize: Number(cidr.split("/")[1]), allowedUses: ["LoadBalancer"] },
    });
    pools.set("a", pool("a", "10.0.0.0/30"));
    pools.set("b", pool("b", "10.1.0.0/30"));
    sync.syncAll();
    assert.deepEqual([...registry.views.keys()].sort(), ["a", "b"]);
    ledger.hold("ns/holder", parseAddress("10.0.0.1"));
    references.set("ns/holder", ["a"]);
    references.set("ns/by-cidr", ["10.2.0.0/30"]);

    // Unchanged: nothing affected, only its status asked for.
    requested.length = 0;
    assert.deepEqual([...sync.sync("a").services], []);
    assert.deepEqual(requested, ["a"]);

    // A new block size is new storage: the held address is claimed again; every pool's status is asked for.
    pools.set("a", {
      ...pool("a", "10.0.0.0/30"),
      spec: { ...pool("a", "10.0.0.0/30").spec, blockSize: 31 },
    });
    requested.length = 0;
    const edited = sync.sync("a");
    assert.equal(edited.change.storageReplaced, true);
    assert.deepEqual([...edited.services], ["ns/holder"]);
    assert.equal(registry.poolSet.get("a")?.isAllocated(parseAddress("10.0.0.1").value), true);
    assert.deepEqual(requested.sort(), ["a", "b"]);

    // Moved to the range a Service names by CIDR: that Service is affected too.
    pools.set("a", pool("a", "10.2.0.0/30"));
    assert.deepEqual([...sync.sync("a").services].sort(), ["ns/by-cidr", "ns/holder"]);
    // Deleted: gone from the registry.
    pools.delete("a");
    sync.syncAll();
    assert.deepEqual([...registry.views.keys()], ["b"]);
  });
});
