// Taking over from a leader that went quiet. A standby that sees the holder
// miss its renewals for the renew deadline rebuilds its state ahead of the
// takeover, and asks for the Lease the moment it runs out; the takeover uses
// that state only if nothing it read has changed since.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseAddress } from "@lbipam/allocator";
import type { Controller } from "../src/controller/controller.js";
import { LeaderElector, type LeaseTransport } from "../src/controller/leader-election.js";
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
import { watchStatuses } from "./helpers/status-watch.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("a standby facing a silent leader (elector)", () => {
  it("reports the silence once and asks for the Lease when it runs out, not at its next retry", async () => {
    const retryPeriodMs = 1200;
    // Another holder (3 s lease) that renewed once, just before we started, and never again.
    let lease: object = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: "quiet", namespace: "ns", resourceVersion: "1" },
      spec: { holderIdentity: "other", leaseDurationSeconds: 3, renewTime: "2026-11-27T00:00:00.000000Z" },
    };
    const gets: number[] = [];
    let put = 0;
    const started = performance.now();
    const transport: LeaseTransport = {
      async send(method, _path, body) {
        if (method === "GET") {
          gets.push(performance.now() - started);
          return { status: 200, body: JSON.stringify(lease) };
        }
        put = performance.now() - started;
        lease = { ...(body as object), metadata: { name: "quiet", namespace: "ns", resourceVersion: "2" } };
        return { status: 200, body: JSON.stringify(lease) };
      },
    };
    const silences: number[] = [];
    let tookOver = false;
    const elector = new LeaderElector(
      transport,
      {
        leaseName: "quiet",
        namespace: "ns",
        identity: "me",
        leaseDurationMs: 3000,
        renewDeadlineMs: 1500,
        retryPeriodMs,
      },
      {
        onStartedLeading: () => {
          tookOver = true;
        },
        onStoppedLeading: async () => {},
        onHolderSilent: (expiresAt) => silences.push(expiresAt),
      },
      { info() {}, warn() {}, debug() {} },
    );
    elector.start();
    try {
      await waitFor(
        async () => tookOver,
        (done) => done,
        "the takeover",
      );
      // GETs at 0, 1.2-1.44 s, 2.4-2.88 s (the holder silent for the 1.5 s deadline: reported), and
      // when the record, first seen at 0, has run its 3 s out: before another retry period.
      assert.deepEqual(
        gets.map((at) => Math.floor(at / retryPeriodMs)),
        [0, 1, 2, 2],
        `GETs at ${gets.map(Math.round)} ms`,
      );
      assert.equal(silences.length, 1, "silence reported once");
      assert.ok(gets[3]! >= gets[0]! + 3000, `not before the lease ran out: ${Math.round(gets[3]!)} ms`);
      assert.ok(put >= gets[3]!);
    } finally {
      await elector.stop();
    }
  });
});

describe("taking over with state rebuilt while standing by", () => {
  const LEASE_MS = 3000;
  let cluster: TestCluster;
  const running: Controller[] = [];

  function elected(lease: string): Controller {
    const controller = startController(cluster, {
      leaderElection: {
        leaseName: lease,
        namespace: "kube-system",
        leaseDurationMs: LEASE_MS,
        renewDeadlineMs: 1000,
        retryPeriodMs: 200,
      },
    });
    running.push(controller);
    return controller;
  }

  async function stop(controller: Controller): Promise<void> {
    running.splice(running.indexOf(controller), 1);
    await controller.stop();
  }

  async function rebuilds(controller: Controller, phase: "standby" | "takeover"): Promise<number> {
    const { values } = await controller.metrics.stateRebuilds.get();
    return values.find((value) => value.labels.phase === phase)?.value ?? 0;
  }

  const assigned = async (namespace: string, name: string) =>
    (await oneAddressOf(cluster, namespace, name))[0]!;

  /**
   * a leads and assigns the Services; then its renewals fail, it steps down
   * and is stopped without giving the Lease up, so b waits for it to run out.
   * Returns once b has rebuilt its state ahead of the takeover (the failures
   * still on: b cannot take the Lease yet).
   */
  async function leaderGoesQuiet(namespace: string, names: string[]): Promise<Map<string, string>> {
    const a = elected(namespace);
    await a.start();
    await waitFor(
      async () => a.leading,
      (leading) => leading,
      "a to lead",
    );
    const b = elected(namespace);
    await b.start();
    const held = new Map<string, string>();
    for (const name of names) {
      await cluster.core.createNamespacedService({ namespace, body: loadBalancer(name) });
      held.set(name, await assigned(namespace, name));
    }
    // Pool statuses settle (written every 50 ms here), so none lands after b's rebuild.
    await sleep(500);
    cluster.server.faults.failNext({ verb: "update", resource: "leases", code: 500, count: 100_000 });
    await waitFor(
      async () => a.leading,
      (leading) => !leading,
      "a to step down",
    );
    await stop(a);
    await waitFor(
      () => rebuilds(b, "standby"),
      (n) => n === 1,
      "b to rebuild ahead of the takeover",
    );
    assert.equal(b.leading, false);
    return held;
  }

  before(async () => {
    cluster = await startCluster();
    for (const name of ["prepared", "stale", "back"]) {
      await cluster.core.createNamespace({ body: { metadata: { name } } });
    }
    await createPool(cluster, "lb-pool", { cidr: "192.221.0.0/24", blockSize: 28 });
  });
  after(async () => {
    for (const controller of running.splice(0)) await controller.stop();
    await cluster?.stop();
  });

  it("uses the state rebuilt ahead when only a Service without an address came since", async () => {
    const watch = await watchStatuses(cluster, "prepared");
    const held = await leaderGoesQuiet("prepared", ["one", "two", "three"]);
    const b = running.at(-1)!;
    // Created between the rebuild and the takeover, with no address yet: the rebuild read nothing of it.
    await cluster.core.createNamespacedService({ namespace: "prepared", body: loadBalancer("during") });
    cluster.server.faults.clear();
    await waitFor(
      async () => b.leading,
      (leading) => leading,
      "b to take over",
    );
    const during = await assigned("prepared", "during");
    assert.equal(await rebuilds(b, "takeover"), 0, "no second rebuild on taking over");
    assert.ok(![...held.values()].includes(during), `${during} is new`);
    for (const [name, ip] of held) assert.deepEqual(await ingressOf(cluster, "prepared", name), [ip]);
    for (const [name, ip] of held) assert.equal(b.ledger.holderOf(parseAddress(ip)), `prepared/${name}`);
    await stop(b);
    await watch.stop();
    assert.deepEqual(watch.violations, []);
  });

  it("drops the state rebuilt ahead when the leader renews again", async () => {
    const watch = await watchStatuses(cluster, "back");
    const a = elected("back");
    await a.start();
    await waitFor(
      async () => a.leading,
      (leading) => leading,
      "a to lead",
    );
    const b = elected("back");
    await b.start();
    await cluster.core.createNamespacedService({ namespace: "back", body: loadBalancer("one") });
    const one = await assigned("back", "one");
    await sleep(500);
    cluster.server.faults.failNext({ verb: "update", resource: "leases", code: 500, count: 100_000 });
    await waitFor(
      () => rebuilds(b, "standby"),
      (n) => n === 1,
      "b to rebuild ahead of a takeover",
    );
    assert.equal(b.ledger.holderOf(parseAddress(one)), "back/one");
    // a's own record lets it renew at once; b would wait for the lease to run out.
    cluster.server.faults.clear();
    await waitFor(
      async () => b.ledger.size,
      (size) => size === 0,
      "b to drop the state it rebuilt ahead",
    );
    await waitFor(
      async () => a.leading,
      (leading) => leading,
      "a to lead again",
    );
    assert.equal(b.leading, false);
    assert.equal(await rebuilds(b, "takeover"), 0);
    await stop(a);
    await stop(b);
    await watch.stop();
    assert.deepEqual(watch.violations, []);
  });

  it("rebuilds again on taking over when a Service it read has changed since", async () => {
    const watch = await watchStatuses(cluster, "stale");
    const held = await leaderGoesQuiet("stale", ["one", "two"]);
    const b = running.at(-1)!;
    // Deleted after the rebuild: the state made ahead still holds its address.
    await cluster.core.deleteNamespacedService({ namespace: "stale", name: "two" });
    cluster.server.faults.clear();
    await waitFor(
      async () => b.leading,
      (leading) => leading,
      "b to take over",
    );
    await waitFor(
      () => rebuilds(b, "takeover"),
      (n) => n === 1,
      "a rebuild on taking over",
    );
    const freed = parseAddress(held.get("two")!);
    assert.equal(b.ledger.holderOf(freed), undefined, "the deleted Service's address is free");
    assert.equal(b.ledger.holderOf(parseAddress(held.get("one")!)), "stale/one");
    await cluster.core.createNamespacedService({ namespace: "stale", body: loadBalancer("after") });
    assert.notEqual(await assigned("stale", "after"), held.get("one"));
    await stop(b);
    await watch.stop();
    assert.deepEqual(watch.violations, []);
  });
});
