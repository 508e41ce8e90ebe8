// The informer over the embedded API server and its own watch transport:
// a list a page at a time (continue tokens, a token that expires, turns of
// the event loop between pages), then the watch: resume after dropped
// watches, list again after 410 and reconcile the cache, restart after
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
import { RestClient, StreamRefused } from "../src/controller/rest-client.js";

let server: ApiServer;
let kubeconfig: KubeConfig;
let core: CoreV1Api;
let rest: RestClient;

before(async () => {
  server = await startApiServer({ port: 0, bookmarkIntervalMs: 3_600_000 });
  kubeconfig = new KubeConfig();
  kubeconfig.loadFromString(server.kubeconfig());
  core = kubeconfig.makeApiClient(CoreV1Api);
  rest = new RestClient(kubeconfig, 4);
});
after(async () => {
  rest.close();
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
  options: {
    silenceLimitMs?: number;
    pageSize?: number;
    onRestart?: () => void;
    /** Runs after each add is recorded. */
    afterAdd?: () => void;
  } = {},
) {
  const seen: string[] = [];
  const { afterAdd, ...informerOptions } = options;
  const informer = new Informer<V1Service>(rest, {
    resource: "services",
    path: `/api/v1/namespaces/${namespace}/services`,
    logger: quietLogger,
    backoffMs: { base: 20, max: 200 },
    ...informerOptions,
    onAdd: (s) => {
      seen.push(`add ${s.metadata?.name}`);
      afterAdd?.();
    },
    onUpdate: (s) => seen.push(`update ${s.metadata?.name}`),
    onDelete: (s) => seen.push(`delete ${s.metadata?.name}`),
  });
  return { informer, seen };
}

/** A namespace holding ClusterIP Services of the given names. */
async function createNamespace(namespace: string, services: string[] = []): Promise<void> {
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  for (const name of services) await core.createNamespacedService({ namespace, body: service(name) });
}

/** List requests for Services the server answered with `code`. */
const serviceLists = (code: number) => server.counters.total({ verb: "list", resource: "services", code });

const names = (informer: Informer<V1Service>) =>
  informer
    .list()
    .map((s) => s.metadata?.name ?? "")
    .sort();

describe("Informer", () => {
  it("lists, then follows every write", async () => {
    await createNamespace("inf-a", ["one"]);
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

  it("lists a page at a time, with a turn of the event loop between pages", async () => {
    await createNamespace("inf-pages", ["p1", "p2", "p3", "p4", "p5"]);
    let addsWhenTheLoopTurned: number | undefined;
    const { informer, seen } = recordingInformer("inf-pages", {
      pageSize: 2,
      afterAdd: () => {
        if (seen.length === 1) setImmediate(() => (addsWhenTheLoopTurned = seen.length));
      },
    });
    const listsBefore = serviceLists(200);
    informer.start();
    await informer.synced;
    assert.equal(serviceLists(200) - listsBefore, 3, "five Services in pages of two: three requests");
    assert.equal(addsWhenTheLoopTurned, 2, "the loop turned after the first page, before the second");
    assert.deepEqual(seen, ["add p1", "add p2", "add p3", "add p4", "add p5"]);
    await informer.stop();
  });

  it("starts the list again from its first page when a continue token has expired", async () => {
    await createNamespace("inf-expired", ["e1", "e2", "e3", "e4", "e5"]);
    const { informer, seen } = recordingInformer("inf-expired", {
      pageSize: 2,
      // The first page is in: the server has compacted past its version by the second.
      afterAdd: () => {
        if (seen.length === 1)
          server.faults.failNext({ verb: "list", resource: "services", code: 410, count: 1 });
      },
    });
    const [listsBefore, expiredBefore] = [serviceLists(200), serviceLists(410)];
    informer.start();
    await informer.synced;
    assert.equal(serviceLists(410) - expiredBefore, 1, "the second page was refused");
    assert.equal(serviceLists(200) - listsBefore, 4, "one page, then the whole list again in three");
    assert.deepEqual(names(informer), ["e1", "e2", "e3", "e4", "e5"]);
    assert.deepEqual(
      seen,
      ["add e1", "add e2", "add e3", "add e4", "add e5"],
      "each once: listed again, unchanged",
    );
    assert.equal(informer.stats.errors, 0, "an expired token is no error");
    await informer.stop();
  });

  it("lists again when its watch is answered with 410, reporting what changed meanwhile", async () => {
    await createNamespace("inf-gone", ["changes", "goes", "stays"]);
    const { informer, seen } = recordingInformer("inf-gone");
    informer.start();
    await informer.synced;
    // Down for longer than the server keeps changes: the watch cannot resume where it stopped.
    await informer.stop();
    seen.length = 0;
    await core.deleteNamespacedService({ namespace: "inf-gone", name: "goes" });
    await core.patchNamespacedService(
      { namespace: "inf-gone", name: "changes", body: { metadata: { labels: { a: "b" } } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await core.createNamespacedService({ namespace: "inf-gone", body: service("new") });
    server.faults.failNext({ verb: "watch", resource: "services", code: 410, count: 1 });
    const listsBefore = serviceLists(200);
    informer.start();
    await eventually(() => seen.length === 3, "three changes");
    assert.deepEqual(seen, ["update changes", "add new", "delete goes"]);
    assert.equal(serviceLists(200) - listsBefore, 1, "listed again");
    assert.deepEqual(names(informer), ["changes", "new", "stays"]);
    assert.equal(informer.get("changes", "inf-gone")?.metadata?.labels?.a, "b");
    await informer.stop();
  });

  it("resumes after the server drops its watches, missing nothing and listing nothing again", async () => {
    await createNamespace("inf-b");
    const { informer, seen } = recordingInformer("inf-b");
    informer.start();
    await informer.synced;
    const listsBefore = serviceLists(200);
    // The watch request may still be on its way to the server: drop it once it is there.
    await eventually(() => server.faults.closeWatches() >= 1, "a watch to drop");
    await core.createNamespacedService({ namespace: "inf-b", body: service("after-drop") });
    await eventually(
      () => informer.get("after-drop", "inf-b") !== undefined,
      "the service created after the drop",
    );
    assert.deepEqual(seen, ["add after-drop"]);
    assert.equal(serviceLists(200), listsBefore, "the watch resumed from where it stopped");
    await informer.stop();
  });

  it("relists after 410 Gone and restarts after server errors", async () => {
    await createNamespace("inf-c", ["before"]);
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

  it("backs off from a server that ends every watch at once, as client-go's reflector does", async () => {
    await createNamespace("inf-e");
    const { informer } = recordingInformer("inf-e");
    informer.start();
    await informer.synced;
    const watches = () => server.counters.total({ verb: "watch", resource: "services" });
    const before = watches();
    // For a second, every watch is ended the moment it is open (the informer's backoff starts at 20 ms).
    const end = Date.now() + 1000;
    while (Date.now() < end) {
      server.faults.closeWatches();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const opened = watches() - before;
    // Without the backoff: hundreds a second (627 measured); with it, a few doublings of 20 ms.
    assert.ok(opened <= 15, `${opened} watches opened in a second`);
    assert.ok(informer.stats.errors >= 2, "each watch that ended at once was an error");
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

// The watch's transport: lbipam's own reading of an answer line by line
// (before, client-node's Watch, which buffered a line of any length and
// swallowed whatever the event handler threw).
describe("RestClient.stream", () => {
  const watchPath = (namespace: string) =>
    `/api/v1/namespaces/${namespace}/services?watch=true&resourceVersion=0`;

  it("hands over each event of a watch as one line, and ends when aborted", async () => {
    await createNamespace("str-a", ["one", "two"]);
    const lines: string[] = [];
    const stream = await rest.stream(watchPath("str-a"), (line) => lines.push(line));
    await eventually(() => lines.length >= 2, "both Services' events");
    const events = lines.map((line) => JSON.parse(line) as { type: string; object: V1Service });
    assert.deepEqual(events.map((e) => `${e.type} ${e.object.metadata?.name}`).sort(), [
      "ADDED one",
      "ADDED two",
    ]);
    stream.abort();
    await stream.ended;
  });

  it("hands over no line after it is aborted, not even one already received", async () => {
    await createNamespace("str-e", ["one", "two", "three"]);
    const lines: string[] = [];
    const stream = await rest.stream(watchPath("str-e"), (line) => {
      lines.push(line);
      stream.abort();
    });
    await stream.ended;
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(lines.length, 1);
  });

  it("ends with an error on a line over the limit instead of buffering it", async () => {
    await createNamespace("str-b");
    const big = service("big");
    big.metadata = { name: "big", annotations: { note: "x".repeat(5000) } };
    await core.createNamespacedService({ namespace: "str-b", body: big });
    const lines: string[] = [];
    const stream = await rest.stream(watchPath("str-b"), (line) => lines.push(line), 1000);
    await assert.rejects(stream.ended, /a line of the answer is over 1000 characters/);
    assert.deepEqual(lines, [], "no part of the long line was handed over");
  });

  it("ends with the error its line handler threw", async () => {
    await createNamespace("str-c", ["one"]);
    const stream = await rest.stream(watchPath("str-c"), () => {
      throw new Error("handler failed");
    });
    await assert.rejects(stream.ended, /handler failed/);
  });

  it("rejects a refused watch with the status and the server's message", async () => {
    const stream = await rest.stream("/api/v1/namespaces/str-d/nosuchkind?watch=true", () => {});
    await assert.rejects(stream.ended, (error: unknown) => {
      assert.ok(error instanceof StreamRefused);
      assert.equal(error.status, 404);
      assert.match(error.body, /"kind":"Status"/);
      return true;
    });
  });
});
