// A leader whose renewals stall twice while its first step-down is still
// draining: the callbacks must still run in the order leadership changed, so
// it ends leading and working, not holding the Lease while standing by.
import assert from "node:assert/strict";
import { it } from "node:test";
import { LeaderElector, type LeaseTransport } from "../src/controller/leader-election.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One Lease in memory; while `stalled`, every request takes longer than the renew deadline. */
class StallingLeases implements LeaseTransport {
  stalled = false;
  private lease: Record<string, unknown> | undefined;
  private version = 0;

  async send(method: string, _path: string, body?: unknown) {
    if (this.stalled) await sleep(700);
    if (method === "GET") {
      return this.lease
        ? { status: 200, body: JSON.stringify(this.lease) }
        : { status: 404, body: JSON.stringify({ kind: "Status", code: 404 }) };
    }
    const sent = body as { metadata?: object };
    this.lease = { ...sent, metadata: { ...sent.metadata, resourceVersion: String(++this.version) } };
    return { status: method === "POST" ? 201 : 200, body: JSON.stringify(this.lease) };
  }
}

it("runs leadership callbacks in order through a flap, ending with the start", async () => {
  const transport = new StallingLeases();
  const calls: string[] = [];
  const elector = new LeaderElector(
    transport,
    {
      leaseName: "flap",
      namespace: "ns",
      identity: "me",
      leaseDurationMs: 1000,
      renewDeadlineMs: 600,
      retryPeriodMs: 100,
    },
    {
      onStartedLeading: () => {
        calls.push("started");
      },
      // Draining outlasts the next two leadership changes.
      onStoppedLeading: async () => {
        calls.push("stopped");
        await sleep(3000);
      },
    },
    { info() {}, warn() {}, debug() {} },
  );
  elector.start();
  try {
    await sleep(300);
    for (let flap = 0; flap < 2; flap++) {
      transport.stalled = true;
      await sleep(1000);
      transport.stalled = false;
      await sleep(400);
    }
    // Every queued callback has run by now (the second drain ends 3 s after the first).
    await sleep(5000);
    assert.equal(elector.leading, true);
    assert.deepEqual(calls, ["started", "stopped", "started", "stopped", "started"]);
  } finally {
    await elector.stop();
  }
});

it("waits a full lease duration from when another's record arrived, however slow the GET", async () => {
  const leaseDurationMs = 1000;
  const record = (renewTime: string, resourceVersion: string) => ({
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name: "slow", namespace: "ns", resourceVersion },
    spec: { holderIdentity: "other", leaseDurationSeconds: 1, renewTime },
  });
  let lease: object = record("2026-11-27T00:00:00.000000Z", "1");
  let gets = 0;
  const transport: LeaseTransport = {
    async send(method, _path, body) {
      // The first GET is slow, and the other leader renews while it is on its way (then dies).
      if (method === "GET" && gets++ === 0) await sleep(400);
      if (method === "GET") return { status: 200, body: JSON.stringify(lease) };
      lease = { ...(body as object), metadata: { name: "slow", namespace: "ns", resourceVersion: "3" } };
      return { status: 200, body: JSON.stringify(lease) };
    },
  };
  const started = performance.now();
  let lastRenewal = 0;
  setTimeout(() => {
    lease = record("2026-11-27T00:00:01.000000Z", "2");
    lastRenewal = performance.now() - started;
  }, 300);
  let tookOverAfter = -1;
  const elector = new LeaderElector(
    transport,
    {
      leaseName: "slow",
      namespace: "ns",
      identity: "me",
      leaseDurationMs,
      renewDeadlineMs: 600,
      retryPeriodMs: 100,
    },
    {
      onStartedLeading: () => {
        tookOverAfter = performance.now() - started;
      },
      onStoppedLeading: async () => {},
    },
    { info() {}, warn() {}, debug() {} },
  );
  elector.start();
  try {
    while (tookOverAfter < 0) await sleep(50);
    assert.ok(lastRenewal > 0);
    // The other's lease runs a full duration from its last renewal: taking over sooner means two leaders.
    assert.ok(
      tookOverAfter >= lastRenewal + leaseDurationMs,
      `took over ${Math.round(tookOverAfter)} ms after start; the other renewed at ${Math.round(lastRenewal)} ms`,
    );
  } finally {
    await elector.stop();
  }
});
