// Paginated lists against a plain model of list semantics: several lists walk their pages while
// objects are created, changed and deleted in between, with selectors, namespaces and a change
// window small enough that some lists expire. Each answer (page, resourceVersion, continue
// token, remainingItemCount, or the error) must be what the model gives.
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { test } from "node:test";
import { leaseType } from "../src/builtin/leases.js";
import { namespaceType } from "../src/builtin/namespaces.js";
import { GoneError, StatusError } from "../src/errors.js";
import type { OperationContext, ServerState } from "../src/operations/context.js";
import { listObjects } from "../src/operations/read.js";
import { selectionFilter } from "../src/operations/selection.js";
import { groupVersion, type ResourceType } from "../src/registry/resource-type.js";
import { Store } from "../src/storage/store.js";
import type { KubeObject } from "../src/types.js";

/** A small seeded generator (mulberry32), so a failure replays. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const leases = leaseType();
const namespaces = namespaceType();
const namespaceNames = ["ns-a", "ns-a-b", "ns-b", "x"];
const selectors: Record<string, string>[] = [
  {},
  { labelSelector: "tier=front" },
  { labelSelector: "tier!=front,!gone" },
  { labelSelector: "tier in (front,back)" },
  { fieldSelector: "metadata.name!=o-03" },
  { labelSelector: "tier=back", fieldSelector: "metadata.namespace=ns-a" },
  { labelSelector: "nothing=here" },
];

function context(state: ServerState, type: ResourceType, namespace: string, query: URLSearchParams) {
  const req = { headers: { accept: "application/json" } } as unknown as IncomingMessage;
  return {
    state,
    type,
    request: { namespace } as OperationContext["request"],
    query,
    req,
  } as OperationContext;
}

function keyOf(object: KubeObject): string {
  return `${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`;
}

/** List semantics in the plainest form: everything at the version, served, filtered, sorted, cut. */
function model(store: Store, type: ResourceType, namespace: string, query: URLSearchParams) {
  const token = query.get("continue");
  let at = store.resourceVersion;
  let start = "";
  if (token) ({ rv: at, start } = JSON.parse(Buffer.from(token, "base64url").toString("utf8")));
  let stored: KubeObject[];
  try {
    stored = store.listAt(type.storeKey, namespace, at);
  } catch (error) {
    if (error instanceof GoneError && token)
      return { error: { status: 410, message: /^The provided continue parameter is too old/ } };
    throw error;
  }
  const filter = selectionFilter(type, query);
  let items = stored
    .map((o) => type.fromStored(o))
    .filter(filter)
    .sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0))
    .filter((o) => !start || keyOf(o) > start);
  const limit = Number(query.get("limit") ?? 0);
  const metadata: Record<string, unknown> = { resourceVersion: String(at) };
  if (limit > 0 && items.length > limit) {
    metadata.continue = Buffer.from(
      JSON.stringify({ v: "meta.k8s.io/v1", rv: at, start: keyOf(items[limit - 1]!) }),
    ).toString("base64url");
    metadata.remainingItemCount = items.length - limit;
    items = items.slice(0, limit);
  }
  return { body: { kind: type.listKind, apiVersion: groupVersion(type), metadata, items } };
}

function randomWrite(store: Store, random: () => number): void {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
  const namespace = pick(namespaceNames);
  const name = `o-${String(Math.floor(random() * 40)).padStart(2, "0")}`;
  if (random() < 0.05) {
    store.put(namespaces.storeKey, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
    return;
  }
  if (random() < 0.25) {
    store.remove(leases.storeKey, namespace, name);
    return;
  }
  const labels: Record<string, string> = { tier: pick(["front", "back", "other"]) };
  if (random() < 0.2) labels.gone = "soon";
  store.put(leases.storeKey, {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name, namespace, labels },
    spec: { holderIdentity: `h${Math.floor(random() * 1000)}` },
  });
}

interface Cursor {
  type: ResourceType;
  namespace: string;
  params: Record<string, string>;
  token: string | undefined;
}

for (const seed of [1, 2, 3, 4]) {
  test(`paginated lists under concurrent writes answer as the model does (seed ${seed})`, () => {
    const random = seeded(seed);
    const store = new Store({ changeWindow: 150, listSnapshots: 3 });
    const state = { store } as unknown as ServerState;
    for (let i = 0; i < 200; i++) randomWrite(store, random);
    const cursors: Cursor[] = [];
    let pages = 0;
    let gone = 0;
    let finished = 0;
    for (let step = 0; step < 600; step++) {
      const writes = Math.floor(random() * 4);
      for (let i = 0; i < writes; i++) randomWrite(store, random);
      if (cursors.length < 5 && random() < 0.3) {
        const cluster = random() < 0.15;
        cursors.push({
          type: cluster ? namespaces : leases,
          namespace: cluster || random() < 0.4 ? "" : namespaceNames[Math.floor(random() * 4)]!,
          params: {
            ...(cluster ? {} : selectors[Math.floor(random() * selectors.length)]),
            limit: String(1 + Math.floor(random() * 12)),
          },
          token: undefined,
        });
        continue;
      }
      const cursor = cursors[Math.floor(random() * cursors.length)];
      if (!cursor) continue;
      const query = new URLSearchParams(cursor.params);
      if (cursor.token) query.set("continue", cursor.token);
      const expected = model(store, cursor.type, cursor.namespace, query);
      let answer: unknown;
      try {
        answer = listObjects(context(state, cursor.type, cursor.namespace, query)).body;
      } catch (error) {
        assert.ok(expected.error, `unexpected ${String(error)}`);
        assert.ok(error instanceof StatusError);
        assert.equal(error.httpStatus, expected.error.status);
        assert.match(error.message, expected.error.message);
        cursors.splice(cursors.indexOf(cursor), 1);
        gone++;
        continue;
      }
      assert.equal(expected.error, undefined, "expected an error");
      assert.deepEqual(answer, expected.body);
      pages++;
      cursor.token = (expected.body!.metadata as { continue?: string }).continue;
      if (!cursor.token) {
        cursors.splice(cursors.indexOf(cursor), 1);
        finished++;
      }
    }
    // The walk covered what it is meant to: many pages, finished lists and expired ones.
    assert.ok(pages > 100, `pages ${pages}`);
    assert.ok(finished > 10, `finished ${finished}`);
    assert.ok(gone > 0, `gone ${gone}`);
  });
}
