// Paginated lists (limit and continue): every page shows the list's resourceVersion whatever
// is written between pages, selectors and namespaces narrow the pages, remainingItemCount
// counts what is left, and a list whose version left the change window ends in 410 Gone.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type ApiServer, startApiServer } from "../src/index.js";
import { ApiClient } from "./helpers/api-client.js";
import { lease } from "./helpers/lease.js";

interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

interface Item {
  metadata: { name: string; namespace: string; resourceVersion: string; labels?: Record<string, string> };
  spec: { holderIdentity: string };
}

let server: ApiServer;
let api: ApiClient;
const allLeases = "/apis/coordination.k8s.io/v1/leases";
const leasesIn = (namespace: string) => `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`;
const goneMessage =
  "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.";

const metaOf = (body: Record<string, unknown>) => body.metadata as ListMeta;
const itemsOf = (body: Record<string, unknown>) => body.items as Item[];
const names = (items: Item[]) => items.map((i) => i.metadata.name);

async function createNamespace(client: ApiClient, name: string): Promise<void> {
  assert.equal((await client.post("/api/v1/namespaces", { metadata: { name } })).status, 201);
}

async function createLeases(
  client: ApiClient,
  namespace: string,
  count: number,
  labels: (i: number) => Record<string, string> = () => ({}),
): Promise<void> {
  for (let i = 0; i < count; i++) {
    const name = `l-${String(i).padStart(2, "0")}`;
    const created = await client.post(leasesIn(namespace), lease(name, labels(i)));
    assert.equal(created.status, 201, created.text);
  }
}

function withParams(path: string, params: Record<string, string>): string {
  const query = new URLSearchParams(params).toString();
  return query ? `${path}?${query}` : path;
}

/** Follows continue tokens from `first` to the end; `between` runs after each page. */
async function restOfList(
  path: string,
  params: Record<string, string>,
  first: Record<string, unknown>,
  between: (page: number) => Promise<void> = async () => {},
): Promise<Record<string, unknown>[]> {
  const pages = [first];
  let token = metaOf(first).continue;
  while (token) {
    await between(pages.length);
    const next = await api.get(withParams(path, { ...params, continue: token }));
    assert.equal(next.status, 200, next.text);
    pages.push(next.body);
    token = metaOf(next.body).continue;
  }
  return pages;
}

async function walk(path: string, params: Record<string, string>): Promise<Record<string, unknown>[]> {
  const first = await api.get(withParams(path, params));
  assert.equal(first.status, 200, first.text);
  return restOfList(path, params, first.body);
}

/** The whole list at one resourceVersion, unpaginated. */
async function listAt(path: string, rv: string, params: Record<string, string> = {}): Promise<Item[]> {
  const all = await api.get(
    withParams(path, { ...params, resourceVersion: rv, resourceVersionMatch: "Exact" }),
  );
  assert.equal(all.status, 200, all.text);
  return itemsOf(all.body);
}

before(async () => {
  server = await startApiServer({ changeWindow: 1000 });
  api = new ApiClient(server);
});

after(async () => {
  api.close();
  await server.stop();
});

test("every page shows the first page's resourceVersion, whatever is written between pages", async () => {
  await createNamespace(api, "pg-writes");
  await createLeases(api, "pg-writes", 10);
  const path = leasesIn("pg-writes");
  const first = await api.get(`${path}?limit=3`);
  const rv = metaOf(first.body).resourceVersion!;
  const pages = await restOfList(path, { limit: "3" }, first.body, async (page) => {
    if (page !== 1) return;
    // After the first page: a create that sorts into a later page, one at the end, a change
    // and a delete of objects on later pages, and a change of one already listed.
    assert.equal((await api.post(path, lease("l-045"))).status, 201);
    assert.equal((await api.post(path, lease("l-99"))).status, 201);
    assert.equal((await api.patch(`${path}/l-07`, { spec: { holderIdentity: "changed" } })).status, 200);
    assert.equal((await api.delete(`${path}/l-05`)).status, 200);
    assert.equal((await api.patch(`${path}/l-01`, { spec: { holderIdentity: "changed" } })).status, 200);
  });
  assert.deepEqual(
    pages.map((p) => names(itemsOf(p))),
    [["l-00", "l-01", "l-02"], ["l-03", "l-04", "l-05"], ["l-06", "l-07", "l-08"], ["l-09"]],
  );
  assert.deepEqual(
    pages.map((p) => metaOf(p).resourceVersion),
    [rv, rv, rv, rv],
  );
  assert.deepEqual(
    pages.map((p) => metaOf(p).remainingItemCount),
    [7, 4, 1, undefined],
  );
  const items = pages.flatMap(itemsOf);
  assert.ok(items.every((i) => i.spec.holderIdentity === i.metadata.name));
  assert.ok(items.every((i) => Number(i.metadata.resourceVersion) <= Number(rv)));
  // The pages put together are the whole list at that version.
  assert.deepEqual(items, await listAt(path, rv));
  // A new list sees the writes.
  const fresh = await walk(path, { limit: "4" });
  assert.deepEqual(names(fresh.flatMap(itemsOf)), [
    "l-00",
    "l-01",
    "l-02",
    "l-03",
    "l-04",
    "l-045",
    "l-06",
    "l-07",
    "l-08",
    "l-09",
    "l-99",
  ]);
  assert.ok(Number(metaOf(fresh[0]!).resourceVersion) > Number(rv));
});

test("continue tokens carry the list's resourceVersion and the last key; the last page has none", async () => {
  await createNamespace(api, "pg-token");
  await createLeases(api, "pg-token", 3);
  const first = await api.get(`${leasesIn("pg-token")}?limit=2`);
  const meta = metaOf(first.body);
  const token = JSON.parse(Buffer.from(meta.continue!, "base64url").toString("utf8"));
  assert.deepEqual(token, { v: "meta.k8s.io/v1", rv: Number(meta.resourceVersion), start: "pg-token/l-01" });
  const exact = await api.get(`${leasesIn("pg-token")}?limit=3`);
  assert.deepEqual(names(itemsOf(exact.body)), ["l-00", "l-01", "l-02"]);
  assert.equal(metaOf(exact.body).continue, undefined);
  assert.equal(metaOf(exact.body).remainingItemCount, undefined);
  const bad = await api.get(`${leasesIn("pg-token")}?limit=2&continue=not-a-token`);
  assert.equal(bad.status, 400);
  assert.match(String(bad.body.message), /^invalid continue token: continue key is not valid/);
  const future = Buffer.from(
    JSON.stringify({ v: "meta.k8s.io/v1", rv: Number(meta.resourceVersion) + 1000, start: "pg-token/l-01" }),
  ).toString("base64url");
  const tooNew = await api.get(`${leasesIn("pg-token")}?limit=2&continue=${future}`);
  assert.equal(tooNew.status, 504);
});

test("label and field selectors page through the matching objects only, scanning past the limit", async () => {
  await createNamespace(api, "pg-select");
  // Every fifth lease matches, so a page of 2 skips many objects to fill up.
  await createLeases(api, "pg-select", 30, (i) => ({ pick: i % 5 === 0 ? "yes" : "no" }));
  const path = leasesIn("pg-select");
  const params = { labelSelector: "pick=yes", limit: "2" };
  const first = await api.get(withParams(path, params));
  const rv = metaOf(first.body).resourceVersion!;
  const pages = await restOfList(path, params, first.body, async (page) => {
    if (page !== 1) return;
    // l-10 stops matching and l-11 starts to, after the first page.
    await api.patch(`${path}/l-10`, { metadata: { labels: { pick: "no" } } });
    await api.patch(`${path}/l-11`, { metadata: { labels: { pick: "yes" } } });
    await api.delete(`${path}/l-20`);
  });
  assert.deepEqual(
    pages.map((p) => names(itemsOf(p))),
    [
      ["l-00", "l-05"],
      ["l-10", "l-15"],
      ["l-20", "l-25"],
    ],
  );
  assert.deepEqual(
    pages.map((p) => metaOf(p).remainingItemCount),
    [4, 2, undefined],
  );
  assert.ok(pages.every((p) => metaOf(p).resourceVersion === rv));
  assert.deepEqual(pages.flatMap(itemsOf), await listAt(path, rv, { labelSelector: "pick=yes" }));

  const fieldParams = { fieldSelector: "metadata.name!=l-00,metadata.name!=l-01", limit: "10" };
  const byField = await walk(path, fieldParams);
  assert.deepEqual(
    byField.map((p) => itemsOf(p).length),
    [10, 10, 7],
  );
  assert.deepEqual(
    byField.map((p) => metaOf(p).remainingItemCount),
    [17, 7, undefined],
  );
  assert.ok(!names(byField.flatMap(itemsOf)).includes("l-00"));
  assert.ok(!names(byField.flatMap(itemsOf)).includes("l-01"));

  const both = await walk(path, {
    labelSelector: "pick=yes",
    fieldSelector: "metadata.name!=l-05",
    limit: "1",
  });
  assert.deepEqual(
    both.map((p) => names(itemsOf(p))),
    [["l-00"], ["l-11"], ["l-15"], ["l-25"]],
  );
  const none = await api.get(`${path}?labelSelector=pick%3Dnever&limit=2`);
  assert.deepEqual(itemsOf(none.body), []);
  assert.equal(metaOf(none.body).continue, undefined);
});

test("a namespaced list pages through its namespace; a cluster-wide one through all, by namespace/name", async () => {
  // "pg-ns-a-b/…" sorts before "pg-ns-a/…": lists are ordered by the string namespace/name.
  for (const ns of ["pg-ns-a", "pg-ns-a-b", "pg-ns-b"]) {
    await createNamespace(api, ns);
    await createLeases(api, ns, 3);
  }
  const namespaced = await walk(leasesIn("pg-ns-a"), { limit: "2" });
  assert.deepEqual(
    namespaced.map((p) => names(itemsOf(p))),
    [["l-00", "l-01"], ["l-02"]],
  );
  assert.ok(namespaced.flatMap(itemsOf).every((i) => i.metadata.namespace === "pg-ns-a"));
  assert.equal(metaOf(namespaced[0]!).remainingItemCount, 1);

  const everywhere = await walk(allLeases, { labelSelector: "", limit: "4" });
  const items = everywhere.flatMap(itemsOf);
  const keys = items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`);
  assert.deepEqual(
    keys.filter((k) => k.startsWith("pg-ns-")),
    [
      "pg-ns-a-b/l-00",
      "pg-ns-a-b/l-01",
      "pg-ns-a-b/l-02",
      "pg-ns-a/l-00",
      "pg-ns-a/l-01",
      "pg-ns-a/l-02",
      "pg-ns-b/l-00",
      "pg-ns-b/l-01",
      "pg-ns-b/l-02",
    ],
  );
  assert.deepEqual(keys, [...keys].sort());
  assert.equal(new Set(keys).size, keys.length);
  const rv = metaOf(everywhere[0]!).resourceVersion!;
  assert.deepEqual(items, await listAt(allLeases, rv));
  const counts = everywhere.map((p) => metaOf(p).remainingItemCount);
  assert.deepEqual(
    counts,
    everywhere.map((_, i) => (i === everywhere.length - 1 ? undefined : items.length - 4 * (i + 1))),
  );
});

test("Table answers page like lists", async () => {
  await createNamespace(api, "pg-table");
  await createLeases(api, "pg-table", 3);
  const accept = "application/json;as=Table;v=v1;g=meta.k8s.io";
  const first = await api.get(`${leasesIn("pg-table")}?limit=2`, { accept });
  assert.equal(first.body.kind, "Table");
  const rows = (body: Record<string, unknown>) =>
    (body.rows as { cells: unknown[] }[]).map((r) => r.cells[0]);
  assert.deepEqual(rows(first.body), ["l-00", "l-01"]);
  assert.equal(metaOf(first.body).remainingItemCount, 1);
  const token = metaOf(first.body).continue!;
  const second = await api.get(`${leasesIn("pg-table")}?limit=2&continue=${token}`, { accept });
  assert.deepEqual(rows(second.body), ["l-02"]);
  assert.equal(metaOf(second.body).continue, undefined);
  assert.equal(metaOf(second.body).resourceVersion, metaOf(first.body).resourceVersion);
});

test("many lists between two pages of another do not change its pages", async () => {
  await createNamespace(api, "pg-many");
  await createLeases(api, "pg-many", 12, (i) => ({ n: String(i % 6) }));
  const path = leasesIn("pg-many");
  const first = await api.get(`${path}?limit=5`);
  const rv = metaOf(first.body).resourceVersion!;
  const pages = await restOfList(path, { limit: "5" }, first.body, async () => {
    // Other paginated lists, each at a version of its own, more than the server keeps.
    for (let i = 0; i < 12; i++) {
      await api.patch(`${path}/l-${String(i).padStart(2, "0")}`, { spec: { holderIdentity: `other-${i}` } });
      const other = await api.get(`${path}?labelSelector=n%3D${i % 6}&limit=1`);
      assert.equal(itemsOf(other.body).length, 1);
      assert.equal(metaOf(other.body).remainingItemCount, 1);
    }
  });
  assert.deepEqual(
    pages.map((p) => names(itemsOf(p)).length),
    [5, 5, 2],
  );
  assert.ok(pages.flatMap(itemsOf).every((i) => i.spec.holderIdentity === i.metadata.name));
  assert.deepEqual(pages.flatMap(itemsOf), await listAt(path, rv));
});

test("continuing a list whose resourceVersion left the change window is 410 Gone", async () => {
  const small = await startApiServer({ changeWindow: 5 });
  const client = new ApiClient(small);
  try {
    await createLeases(client, "default", 6);
    const path = leasesIn("default");
    const first = await client.get(`${path}?limit=2`);
    const token = metaOf(first.body).continue!;
    const second = await client.get(`${path}?limit=2&continue=${token}`);
    assert.equal(second.status, 200);
    // Within the window the list goes on; after enough writes its version is gone.
    for (let i = 0; i < 6; i++) await client.patch(`${path}/l-00`, { spec: { holderIdentity: `w${i}` } });
    for (const continued of [token, metaOf(second.body).continue!]) {
      const gone = await client.get(`${path}?limit=2&continue=${continued}`);
      assert.equal(gone.status, 410);
      assert.equal(gone.body.reason, "Expired");
      assert.equal(gone.body.message, goneMessage);
    }
    // A new list works.
    const again = await client.get(`${path}?limit=2`);
    assert.equal(again.status, 200);
    assert.deepEqual(names(itemsOf(again.body)), ["l-00", "l-01"]);
  } finally {
    client.close();
    await small.stop();
  }
});
