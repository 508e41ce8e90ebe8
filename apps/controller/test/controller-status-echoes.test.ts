// Which Service updates are the echo of lbipam's own status write
// (status-echoes.ts), one step table; and, through the real controller and
// the embedded API server, that a burst's Services are each reconciled once.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Condition } from "@lbipam/api";
import type { CachedService } from "../src/controller/cluster-caches.js";
import type { Controller } from "../src/controller/controller.js";
import type { ServiceStatusPatch } from "../src/controller/service-status.js";
import { StatusEchoes } from "../src/controller/status-echoes.js";
import {
  createService,
  isolatedNamespace,
  mergePatch,
  runningController,
  waitIngress,
} from "./helpers/cluster.js";

const KEY = "default/web";
const CONDITION: Condition = {
  type: "projectcalico.org/LoadBalancerIPAllocated",
  status: "True",
  reason: "Allocated",
  message: "assigned 10.0.0.1 from pool a",
  lastTransitionTime: "2026-12-04T00:00:00Z",
};
const WRITTEN: ServiceStatusPatch = {
  loadBalancer: { ingress: [{ ip: "10.0.0.1" }] },
  conditions: [CONDITION],
};

function service(version: string, changes: Partial<CachedService> = {}): CachedService {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { namespace: "default", name: "web", uid: "u1", resourceVersion: version },
    spec: { type: "LoadBalancer" },
    ...changes,
  };
}

const shown = (status: CachedService["status"]) => ({ status });

interface Step {
  what: string;
  /** The version the write was conditioned on; none: no write expected. */
  expectedAt?: string;
  previous: CachedService;
  next: CachedService;
  echo: boolean;
}

const STEPS: Step[] = [
  {
    what: "the written status, as the server defaults it (ipMode: VIP)",
    expectedAt: "5",
    previous: service("5"),
    next: service(
      "6",
      shown({ loadBalancer: { ingress: [{ ip: "10.0.0.1", ipMode: "VIP" }] }, conditions: [CONDITION] }),
    ),
    echo: true,
  },
  {
    what: "the written status exactly (a server without ipMode)",
    expectedAt: "5",
    previous: service("5"),
    next: service("6", shown({ loadBalancer: { ingress: [{ ip: "10.0.0.1" }] }, conditions: [CONDITION] })),
    echo: true,
  },
  {
    what: "no write expected",
    previous: service("5"),
    next: service("6", shown({ loadBalancer: { ingress: [{ ip: "10.0.0.1" }] }, conditions: [CONDITION] })),
    echo: false,
  },
  {
    what: "the cache held another version than the write was conditioned on",
    expectedAt: "4",
    previous: service("5"),
    next: service("6", shown({ loadBalancer: { ingress: [{ ip: "10.0.0.1" }] }, conditions: [CONDITION] })),
    echo: false,
  },
  {
    what: "another status than the one written",
    expectedAt: "5",
    previous: service("5"),
    next: service("6", shown({ loadBalancer: { ingress: [{ ip: "10.0.0.2" }] }, conditions: [CONDITION] })),
    echo: false,
  },
  {
    what: "the written status with a changed spec",
    expectedAt: "5",
    previous: service("5"),
    next: service("6", {
      spec: { type: "LoadBalancer", loadBalancerClass: "other" },
      ...shown({ loadBalancer: { ingress: [{ ip: "10.0.0.1" }] }, conditions: [CONDITION] }),
    }),
    echo: false,
  },
  {
    what: "the written status with a new annotation",
    expectedAt: "5",
    previous: service("5"),
    next: service("6", {
      metadata: {
        namespace: "default",
        name: "web",
        uid: "u1",
        resourceVersion: "6",
        annotations: { "lbipam.io/pool": "b" },
      },
      ...shown({ loadBalancer: { ingress: [{ ip: "10.0.0.1" }] }, conditions: [CONDITION] }),
    }),
    echo: false,
  },
];

describe("StatusEchoes", () => {
  for (const step of STEPS) {
    it(`${step.echo ? "is" : "is not"} an echo: ${step.what}`, () => {
      const echoes = new StatusEchoes();
      if (step.expectedAt) echoes.expect(KEY, step.expectedAt, WRITTEN);
      assert.equal(echoes.isEcho(KEY, step.previous, step.next), step.echo);
    });
  }

  it("takes one update per write: the next one is a change like any other", () => {
    const echoes = new StatusEchoes();
    echoes.expect(KEY, "5", WRITTEN);
    const echo = service("6", shown(WRITTEN));
    assert.equal(echoes.isEcho(KEY, service("5"), echo), true);
    assert.equal(echoes.isEcho(KEY, service("5"), echo), false);
  });

  it("expects nothing after a failed write, nor from a write without a version", () => {
    const echoes = new StatusEchoes();
    echoes.expect(KEY, "5", WRITTEN);
    echoes.forget(KEY);
    assert.equal(echoes.isEcho(KEY, service("5"), service("6", shown(WRITTEN))), false);
    echoes.expect(KEY, undefined, WRITTEN);
    assert.equal(echoes.isEcho(KEY, service("5"), service("6", shown(WRITTEN))), false);
  });
});

// Pool status is written only when the hour is up: its writes would wake the pool's Services.
const suite = runningController({ poolStatusIntervalMs: 3_600_000 });

/** Reconciles (of any key) the controller has finished, whatever their outcome. */
async function reconciles(controller: Controller): Promise<number> {
  const { values } = await controller.metrics.reconcileDuration.get();
  return values
    .filter((value) => value.metricName === "lbipam_reconcile_duration_seconds_count")
    .reduce((sum, value) => sum + value.value, 0);
}

/** The reconcile count once it has not moved for 300 ms. */
async function settled(controller: Controller): Promise<number> {
  let last = await reconciles(controller);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const now = await reconciles(controller);
    if (now === last) return now;
    last = now;
  }
}

describe("the controller and its own writes' echoes", () => {
  it("reconciles each new Service once, and still works on a status someone else changed", async () => {
    const { cluster, controller } = suite;
    const ns = "echoes";
    await isolatedNamespace(cluster, ns, { echoes: { cidr: "10.78.0.0/28", blockSize: 28 } });
    // The namespace's and the pool's own keys are worked on too: count from when they are done.
    const before = await settled(controller);
    const names = ["a", "b", "c", "d", "e"];
    for (const name of names) await createService(cluster, ns, name);
    for (const [i, name] of names.entries()) await waitIngress(cluster, ns, name, [`10.78.0.${i}`]);
    // Every status write's echo has arrived once a later write's has: a Service written after them.
    await createService(cluster, ns, "last");
    await waitIngress(cluster, ns, "last", ["10.78.0.5"]);
    // Before status-echoes.ts: 12, each Service's echo reconciled again.
    assert.equal((await settled(controller)) - before, names.length + 1);

    // Not an echo: another writer clears the status; lbipam puts the address back.
    await cluster.core.patchNamespacedServiceStatus(
      { namespace: ns, name: "a", body: { status: { loadBalancer: { ingress: [] } } } },
      mergePatch,
    );
    await waitIngress(cluster, ns, "a", ["10.78.0.0"]);
  });
});
