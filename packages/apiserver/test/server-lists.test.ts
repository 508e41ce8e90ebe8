// List and watch semantics: resourceVersion, paging, selectors, bookmarks, 410 Gone, timeouts,
// and fault injection and counters.
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { after, before, test } from "node:test";
import { type ApiServer, startApiServer } from "../src/index.js";
import { ApiClient } from "./helpers/api-client.js";
import { lease } from "./helpers/lease.js";

let server: ApiServer;
let api: ApiClient;
const leases = "/apis/coordination.k8s.io/v1/namespaces/default/leases";
const changeWindow = 20;

function names(body: Record<string, unknown>): string[] {
  return (body.items as { metadata: { name: string } }[]).map((i) => i.metadata.name);
}

function rvOf(body: Record<string, unknown>): string {
  return (body.metadata as { resourceVersion: string }).resourceVersion;
}

before(async () => {
  server = await startApiServer({ changeWindow, bookmarkIntervalMs: 50 });
  api = new ApiClient(server);
});

after(async () => {
  api.close();
  await server.stop();
});

test("list pages with limit and continue, in name order", async () => {
  for (const n of ["page-c", "page-a", "page-b"])
    assert.equal((await api.post(leases, lease(n, { group: "paging" }))).status, 201);
  const first = await api.get(`${leases}?labelSelector=group%3Dpaging&limit=2`);
  assert.deepEqual(names(first.body), ["page-a", "page-b"]);
  const token = (first.body.metadata as { continue?: string }).continue;
  assert.ok(token);
  const second = await api.get(`${leases}?labelSelector=group%3Dpaging&limit=2&continue=${token}`);
  assert.deepEqual(names(second.body), ["page-c"]);
  assert.equal((second.body.metadata as { continue?: string }).continue, undefined);
});

test("label and field selectors filter lists; bad selectors are 400", async () => {
  await api.post(leases, lease("sel-1", { tier: "a" }));
  await api.post(leases, lease("sel-2", { tier: "b" }));
  assert.deepEqual(names((await api.get(`${leases}?labelSelector=tier%20in%20(a)`)).body), ["sel-1"]);
  assert.deepEqual(names((await api.get(`${leases}?fieldSelector=metadata.name%3Dsel-2`)).body), ["sel-2"]);
  const bad = await api.get(`${leases}?fieldSelector=spec.holderIdentity%3Dx`);
  assert.equal(bad.status, 400);
  assert.equal(bad.body.reason, "BadRequest");
});

test("list at an exact resourceVersion shows the past; a version out of the window is 410", async () => {
  const created = await api.post(leases, lease("history"));
  const rv = (created.body.metadata as { resourceVersion: string }).resourceVersion;
  await api.patch(`${leases}/history`, { spec: { holderIdentity: "changed" } });
  const past = await api.get(
    `${leases}?fieldSelector=metadata.name%3Dhistory&resourceVersion=${rv}&resourceVersionMatch=Exact`,
  );
  assert.equal(past.status, 200, past.text);
  assert.equal(rvOf(past.body), rv);
  assert.deepEqual((past.body.items as { spec: unknown }[])[0]?.spec, { holderIdentity: "history" });
  for (let i = 0; i <= changeWindow; i++)
    await api.patch(`${leases}/history`, { spec: { holderIdentity: `n${i}` } });
  const gone = await api.get(`${leases}?resourceVersion=${rv}&resourceVersionMatch=Exact`);
  assert.equal(gone.status, 410);
  assert.equal(gone.body.reason, "Expired");
  assert.match(String(gone.body.message), /^too old resource version: \d+ \(\d+\)$/);
});

test("watch from a resourceVersion replays later changes, then follows live ones", {
  timeout: 10_000,
}, async () => {
  const created = await api.post(leases, lease("watched"));
  const rv = (created.body.metadata as { resourceVersion: string }).resourceVersion;
  await api.patch(`${leases}/watched`, { spec: { holderIdentity: "second" } });
  const stream = await api.watch(
    `${leases}?watch=true&resourceVersion=${rv}&fieldSelector=metadata.name%3Dwatched`,
  );
  const replayed = await stream.next();
  assert.equal(replayed.type, "MODIFIED");
  assert.deepEqual(replayed.object.spec, { holderIdentity: "second" });
  await api.delete(`${leases}/watched`);
  const deleted = await stream.next();
  assert.equal(deleted.type, "DELETED");
  assert.ok(Number((deleted.object.metadata as { resourceVersion: string }).resourceVersion) > Number(rv));
  stream.close();
});

test("watch without a resourceVersion starts with ADDED for every object", { timeout: 10_000 }, async () => {
  await api.post(leases, lease("initial-1", { initial: "yes" }));
  const stream = await api.watch(`${leases}?watch=1&labelSelector=initial%3Dyes`);
  const first = await stream.next();
  assert.equal(first.type, "ADDED");
  assert.equal((first.object.metadata as { name: string }).name, "initial-1");
  stream.close();
});

test("an object leaving the selector is DELETED for the watcher, entering it is ADDED", {
  timeout: 10_000,
}, async () => {
  await api.post(leases, lease("mover", { colour: "red" }));
  const start = await api.get(`${leases}?labelSelector=colour%3Dred`);
  const stream = await api.watch(
    `${leases}?watch=true&labelSelector=colour%3Dred&resourceVersion=${rvOf(start.body)}`,
  );
  await api.patch(`${leases}/mover`, { metadata: { labels: { colour: "blue" } } });
  assert.equal((await stream.next()).type, "DELETED");
  await api.patch(`${leases}/mover`, { metadata: { labels: { colour: "red" } } });
  assert.equal((await stream.next()).type, "ADDED");
  stream.close();
});

test("watch from an expired resourceVersion gets an ERROR 410 event and the stream ends", {
  timeout: 10_000,
}, async () => {
  await api.post(leases, lease("churn"));
  for (let i = 0; i <= changeWindow; i++)
    await api.patch(`${leases}/churn`, { spec: { holderIdentity: `c${i}` } });
  const stream = await api.watch(`${leases}?watch=true&resourceVersion=1`);
  const event = await stream.next();
  assert.equal(event.type, "ERROR");
  assert.equal(event.object.code, 410);
  assert.equal(event.object.reason, "Expired");
  await stream.ended;
});

test("bookmarks arrive when allowed; sendInitialEvents ends the initial set with a marked bookmark", {
  timeout: 10_000,
}, async () => {
  await api.post(leases, lease("bookmarked", { bm: "yes" }));
  const stream = await api.watch(
    `${leases}?watch=true&labelSelector=bm%3Dyes&allowWatchBookmarks=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan`,
  );
  assert.equal((await stream.next()).type, "ADDED");
  const end = await stream.next();
  assert.equal(end.type, "BOOKMARK");
  assert.deepEqual((end.object.metadata as { annotations: unknown }).annotations, {
    "k8s.io/initial-events-end": "true",
  });
  const periodic = await stream.next();
  assert.equal(periodic.type, "BOOKMARK");
  assert.match((periodic.object.metadata as { resourceVersion: string }).resourceVersion, /^\d+$/);
  stream.close();
});

test("timeoutSeconds ends the stream", { timeout: 10_000 }, async () => {
  const stream = await api.watch(`${leases}?watch=true&timeoutSeconds=1&fieldSelector=metadata.name%3Dnone`);
  await stream.ended;
});

test("faults: every watch can be closed; the next N requests fail with the given code", {
  timeout: 10_000,
}, async () => {
  const stream = await api.watch(`${leases}?watch=true&fieldSelector=metadata.name%3Dnone`);
  assert.ok(server.faults.closeWatches() >= 1);
  await stream.ended;
  server.faults.failNext({ verb: "get", resource: "leases", code: 500, count: 2 });
  assert.equal((await api.get(`${leases}/sel-1`)).status, 500);
  assert.equal((await api.get(`${leases}/sel-1`)).status, 500);
  assert.equal((await api.get(`${leases}/sel-1`)).status, 200);
  const admin = await api.post("/_lbipam/faults", {
    failNext: { verb: "list", resource: "leases", code: 429, count: 1 },
  });
  assert.equal(admin.status, 200);
  const limited = await api.get(leases);
  assert.equal(limited.status, 429);
  assert.equal(limited.headers["retry-after"], "1");
  assert.equal((await api.get(leases)).status, 200);
});

test("added latency delays every request until cleared", async () => {
  server.faults.setLatency(60);
  const started = performance.now();
  assert.equal((await api.get(leases)).status, 200);
  assert.ok(performance.now() - started >= 60);
  server.faults.clear();
  assert.deepEqual(server.faults.state(), { latencyMs: 0, failures: [] });
});

test("counters count requests by verb, resource, subresource and code", async () => {
  server.counters.reset();
  await api.post(leases, lease("counted"));
  await api.patch(`${leases}/counted`, { spec: { holderIdentity: "x" } });
  await api.patch(`${leases}/counted`, { spec: { holderIdentity: "y" } });
  await api.get(`${leases}/missing`);
  assert.equal(server.counters.total({ verb: "create", resource: "leases", code: 201 }), 1);
  assert.equal(server.counters.total({ verb: "patch", resource: "leases", subresource: "" }), 2);
  assert.equal(server.counters.total({ verb: "get", code: 404 }), 1);
  const viaHttp = await api.get("/_lbipam/counters");
  const rows = viaHttp.body.rows as { verb: string; count: number }[];
  assert.equal(rows.find((r) => r.verb === "patch")?.count, 2);
});
