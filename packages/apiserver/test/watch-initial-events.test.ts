// A watch's initial events against clients that read slowly: what the server holds per watch
// stays about one chunk, changes made meanwhile follow the initial events, and a client too slow
// for the change window is dropped instead of having its backlog kept.
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Writable } from "node:stream";
import { test } from "node:test";
import { leaseType } from "../src/builtin/leases.js";
import { Faults } from "../src/faults.js";
import type { OperationContext, ServerState } from "../src/operations/context.js";
import { INITIAL_CHUNK_BYTES, watchObjects } from "../src/operations/watch.js";
import { Registry } from "../src/registry/registry.js";
import { Store } from "../src/storage/store.js";

const HIGH_WATER_MARK = 16 * 1024;

/** A response whose client reads nothing until told to: what it was handed stays buffered. */
class StalledResponse extends Writable {
  text = "";
  private reading = false;
  private readonly waiting: (() => void)[] = [];
  constructor() {
    super({ highWaterMark: HIGH_WATER_MARK, decodeStrings: false });
  }
  writeHead(): this {
    return this;
  }
  flushHeaders(): void {}
  override _write(chunk: string, _encoding: string, done: () => void): void {
    this.text += chunk;
    if (this.reading) done();
    else this.waiting.push(done);
  }
  read(): void {
    this.reading = true;
    for (const done of this.waiting.splice(0)) done();
  }
  /** Characters handed over but not yet read, and queued behind them. */
  get held(): number {
    return this.writableLength;
  }
  events(): { type: string; object: { metadata: { name: string } } }[] {
    return this.text
      .trim()
      .split("\n")
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line));
  }
}

const type = leaseType();
const padding = "x".repeat(500);

function leaseNamed(name: string) {
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name, namespace: "default", annotations: { padding } },
    spec: { holderIdentity: name },
  };
}

function serverState(leases: number, changeWindow: number): ServerState {
  const store = new Store({ changeWindow });
  for (let i = 0; i < leases; i++) store.put(type.storeKey, leaseNamed(`l-${String(i).padStart(4, "0")}`));
  return {
    store,
    registry: new Registry(),
    faults: new Faults(),
    bookmarkIntervalMs: 60_000,
    afterWrite: () => {},
  };
}

function startWatch(state: ServerState): StalledResponse {
  const res = new StalledResponse();
  const req = Object.assign(new EventEmitter(), { headers: { accept: "application/json" } });
  const ctx: OperationContext = {
    state,
    type,
    request: {
      group: type.group,
      version: type.version,
      namespace: "default",
      resource: type.resource,
      name: "",
      subresource: "",
      verb: "watch",
    },
    query: new URLSearchParams("watch=1"),
    req: req as unknown as IncomingMessage,
  };
  watchObjects(ctx, res as unknown as ServerResponse);
  return res;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

test("initial watch events are written a chunk at a time as the client reads, and changes made meanwhile come after them", {
  timeout: 60_000,
}, async () => {
  const count = 2000;
  const state = serverState(count, 100);
  const watches = Array.from({ length: 10 }, () => startWatch(state));
  await settle();
  state.store.put(type.storeKey, leaseNamed("late"));
  await settle();
  for (const res of watches) {
    assert.ok(
      res.held <= INITIAL_CHUNK_BYTES + HIGH_WATER_MARK,
      `held ${res.held} characters of a ${count * padding.length}-character list`,
    );
  }
  for (const res of watches) res.read();
  while (watches.some((res) => res.events().length < count + 1)) await settle();
  for (const res of watches) {
    const events = res.events();
    assert.equal(events.length, count + 1);
    assert.ok(events.slice(0, count).every((e) => e.type === "ADDED"));
    assert.deepEqual([events[count]!.type, events[count]!.object.metadata.name], ["ADDED", "late"]);
    res.destroy();
  }
});

test("a watch whose client stalls on its initial events for longer than the change window is ended, not buffered (storage/cacher/cache_watcher.go stops a watcher that cannot keep up)", {
  timeout: 60_000,
}, async () => {
  const count = 500;
  const state = serverState(count, 10);
  const res = startWatch(state);
  await settle();
  for (let i = 0; i < 20; i++) state.store.put(type.storeKey, leaseNamed(`late-${i}`));
  res.read();
  await new Promise((resolve) => res.on("finish", resolve));
  const events = res.events();
  assert.equal(events.length, count, "the initial events, then the end of the stream");
  assert.ok(events.every((e) => !e.object.metadata.name.startsWith("late-")));
});
