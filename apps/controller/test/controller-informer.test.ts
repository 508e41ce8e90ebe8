// The informer wrapper over the embedded API server and the real client-node:
// list + watch, resume after dropped watches, relist after 410, restart after
// errors, and restart of a silent watch.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Service,
} from "@kubernetes/client-node";
import { type ApiServer, startApiServer } from "@lbipam/apiserver";
import { Informer } from "../src/controller/informer.js";

let server: ApiServer;
let kubeconfig: KubeConfig;
let core: CoreV1Api;

before(async () => {
  server = await startApiServer({ port: 0, bookmarkIntervalMs: 3_600_000 });
  kubeconfig = new KubeConfig();
  kubeconfig.loadFromString(server.kubeconfig());
  core = kubeconfig.makeApiClient(CoreV1Api);
});
after(async () => {
  await server.stop();
});

const quietLogger = { info() {}, warn() {} };

function service(name: string): V1Service {
  return { metadata: { name }, spec: { type: "ClusterIP", ports: [{ port: 80 }] } };
}

/** Waits (polling the condition) until it holds; fails after a generous limit. */
async function eventually(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail(`timed out waiting for: ${what}`);
}

function recordingInformer(
  namespace: string,
  options: { silenceLimitMs?: number; onRestart?: () => void } = {},
) {
  const seen: string[] = [];
  const informer = new Informer<V1Service>(kubeconfig, {
    resource: "services",
    path: `/api/v1/namespaces/${namespace}/services`,
    list: () => core.listNamespacedService({ namespace }),
    logger: quietLogger,
    backoffMs: { base: 20, max: 200 },
    ...options,
    onAdd: (s) => seen.push(`add ${s.metadata?.name}`),
    onUpdate: (s) => seen.push(`update ${s.metadata?.name}`),
    onDelete: (s) => seen.push(`delete ${s.metadata?.name}`),
  });
  return { informer, seen };
}

async function createNamespace(name: string): Promise<void> {
  await core.createNamespace({ body: { metadata: { name } } });
}

describe("Informer", () => {
  it("lists, then follows every write", async () => {
    await createNamespace("inf-a");
    await core.createNamespacedService({ namespace: "inf-a", body: service("one") });
    const { informer, seen } = recordingInformer("inf-a");
    informer.start();
    await informer.synced;
    assert.deepEqual(
      informer.list().map((s) => s.metadata?.name),
      ["one"],
    );
    await core.createNamespacedService({ namespace: "inf-a", body: service("two") });
    await core.patchNamespacedService(
      { namespace: "inf-a", name: "two", body: { metadata: { labels: { a: "b" } } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await core.deleteNamespacedService({ namespace: "inf-a", name: "one" });
    await eventually(() => seen.length === 4, "four events");
    assert.deepEqual(seen, ["add one", "add two", "update two", "delete one"]);
    assert.equal(informer.get("two", "inf-a")?.metadata?.labels?.a, "b");
    await informer.stop();
  });

  it("leaves no watch open when stopped while its watch is still being opened", async () => {
    // Synced means the watch was asked for, not that it is open: a stop at once (a SIGTERM
    // right after "caches synced") found nothing to abort, and the watch then kept the process alive.
    await createNamespace("inf-stop");
    const { informer, seen } = recordingInformer("inf-stop");
    informer.start();
    await informer.synced;
    await informer.stop();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(server.faults.closeWatches(), 0, "no watch left open");
    await core.createNamespacedService({ namespace: "inf-stop", body: service("after-stop") });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(seen, []);
  });

  it("resumes after the server drops its watches, missing nothing", async () => {
    await createNamespace("inf-b");
    const { informer, seen } = recordingInformer("inf-b");
    informer.start();
    await informer.synced;
    // The watch request may still be on its way to the server: drop it once it is there.
    await eventually(() => server.faults.closeWatches() >= 1, "a watch to drop");
    await core.createNamespacedService({ namespace: "inf-b", body: service("after-drop") });
    await eventually(
      () => informer.get("after-drop", "inf-b") !== undefined,
      "the service created after the drop",
    );
    assert.deepEqual(seen, ["add after-drop"]);
    await informer.stop();
  });

  it("relists after 410 Gone and restarts after server errors", async () => {
    await createNamespace("inf-c");
    await core.createNamespacedService({ namespace: "inf-c", body: service("before") });
    const { informer } = recordingInformer("inf-c");
    informer.start();
    await informer.synced;
    server.faults.failNext({ verb: "watch", resource: "services", code: 410, count: 1 });
    server.faults.failNext({ verb: "list", resource: "services", code: 500, count: 2 });
    await eventually(() => server.faults.closeWatches() >= 1, "a watch to drop");
    await core.deleteNamespacedService({ namespace: "inf-c", name: "before" });
    await core.createNamespacedService({ namespace: "inf-c", body: service("later") });
    await eventually(
      () => informer.get("later", "inf-c") !== undefined && informer.get("before", "inf-c") === undefined,
      "the cache to match the server after 410 and 500s",
    );
    assert.ok(informer.stats.errors >= 2, `the 500s were seen as errors (${informer.stats.errors})`);
    assert.ok(informer.stats.restarts >= 2);
    await informer.stop();
  });

  it("restarts a watch that has been silent too long, and says so", async () => {
    await createNamespace("inf-d");
    let reported = 0;
    const { informer } = recordingInformer("inf-d", { silenceLimitMs: 200, onRestart: () => reported++ });
    informer.start();
    await informer.synced;
    await eventually(() => informer.stats.restarts >= 2, "two restarts of the silent watch");
    assert.ok(reported >= 2, "each restart is reported");
    await core.createNamespacedService({ namespace: "inf-d", body: service("still-seen") });
    await eventually(() => informer.get("still-seen", "inf-d") !== undefined, "events after the restarts");
    await informer.stop();
  });
});
