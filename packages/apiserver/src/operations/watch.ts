// watch: a chunked stream of JSON events, one per line, as kube-apiserver writes them.
import type { ServerResponse } from "node:http";
import { BadRequestError, GoneError } from "../errors.js";
import { stringifyJson } from "../http/json.js";
import { queryFlag, queryInteger } from "../http/request-info.js";

/** The longest delay Node's setTimeout keeps (a longer one fires after 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

import { groupVersion } from "../registry/resource-type.js";
import { parseFieldSelector } from "../selectors/index.js";
import type { Change } from "../storage/changelog.js";
import { FRESHNESS_TIMEOUT_MS, tooLargeResourceVersion } from "../storage/store.js";
import type { KubeObject } from "../types.js";
import type { OperationContext } from "./context.js";
import { matchEverything, type ObjectFilter, selectionFilter } from "./selection.js";
import { includeObjectParam, toTable, wantsTable } from "./table.js";

type EventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

const initialEventsEndAnnotation = "k8s.io/initial-events-end";

function eventLine(eventType: EventType, object: unknown): string {
  return `${stringifyJson({ type: eventType, object })}\n`;
}

const lineCache = new WeakMap<Change, Map<string, string>>();

function cachedLine(change: Change, key: string, make: () => string): string {
  let lines = lineCache.get(change);
  if (!lines) {
    lines = new Map();
    lineCache.set(change, lines);
  }
  let line = lines.get(key);
  if (line === undefined) {
    line = make();
    lines.set(key, line);
  }
  return line;
}

/** Initial events go out in writes of about this many characters. */
export const INITIAL_CHUNK_BYTES = 64 * 1024;

/** Resolves when the response takes more data again (at once, after other I/O, when it does), or has gone away. */
function drained(res: ServerResponse): Promise<void> {
  if (!res.writableNeedDrain) return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => {
    const done = (): void => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/**
 * What a watch selects. A watch of one object (/watch/.../NAME) selects metadata.name=NAME, and a
 * field selector of its own must ask for exactly that name (handlers/get.go ListResource, with
 * fields.Selector RequiresExactMatch).
 */
function watchFilter(ctx: OperationContext): ObjectFilter {
  const selected = selectionFilter(ctx.type, ctx.query);
  const name = ctx.request.name;
  if (name === "") return selected;
  const fieldSelector = ctx.query.get("fieldSelector") ?? "";
  if (fieldSelector !== "") {
    const exactName = parseFieldSelector(fieldSelector).find(
      (r) => r.field === "metadata.name" && r.operator !== "!=",
    );
    if (exactName?.value !== name)
      throw new BadRequestError("fieldSelector metadata.name doesn't match requested name");
  }
  return (object: KubeObject) => object.metadata?.name === name && selected(object);
}

/** Streams events until the client goes away, the timeout passes or a fault closes it. */
export function watchObjects(ctx: OperationContext, res: ServerResponse): void {
  const { type, request, state, query } = ctx;
  const namespace = type.namespaced ? request.namespace : "";
  const filter = watchFilter(ctx);
  const rvParam = query.get("resourceVersion") ?? "";
  if (rvParam && !/^\d+$/.test(rvParam))
    throw new BadRequestError(`resourceVersion: Invalid value: "${rvParam}": must be a non-negative integer`);
  const bookmarks = queryFlag(query, "allowWatchBookmarks");
  const sendInitialEvents = queryFlag(query, "sendInitialEvents");
  const startAtCurrent = !rvParam || rvParam === "0" || sendInitialEvents;
  const timeoutSeconds = queryInteger(query, "timeoutSeconds") ?? 0;
  const table = wantsTable(ctx.req);
  const include = table ? includeObjectParam(query) : "Object";
  let sentColumns = false;

  res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-cache, private" });
  res.flushHeaders();

  // Events of one tick go out in one write: fewer TLS records when changes come in bursts.
  let pending: string[] = [];
  const flush = (): void => {
    const lines = pending;
    pending = [];
    if (!res.writableEnded) res.write(lines.join(""));
  };
  const writeLine = (line: string): void => {
    if (pending.length === 0) setImmediate(flush);
    pending.push(line);
  };
  const lineFor = (eventType: EventType, object: unknown): string => {
    let payload = object;
    if (table && (eventType === "ADDED" || eventType === "MODIFIED" || eventType === "DELETED")) {
      const rv = (object as KubeObject).metadata?.resourceVersion ?? "";
      payload = toTable(type, [object as KubeObject], { resourceVersion: rv }, include, !sentColumns);
      sentColumns = true;
    }
    return eventLine(eventType, payload);
  };
  const write = (eventType: EventType, object: unknown): void => writeLine(lineFor(eventType, object));
  /** Writes a change's event; without tables the line is shared by every watcher of the resource. */
  const writeChange = (eventType: EventType, change: Change, object: () => KubeObject): void => {
    if (table) write(eventType, object());
    else
      writeLine(
        cachedLine(change, `${groupVersion(type)} ${eventType}`, () => eventLine(eventType, object())),
      );
  };
  const bookmark = (rv: number, annotations?: Record<string, string>): void => {
    const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
    if (annotations) metadata.annotations = annotations;
    write("BOOKMARK", { kind: type.kind, apiVersion: groupVersion(type), metadata });
  };

  const timers: NodeJS.Timeout[] = [];
  let unsubscribe = (): void => {};
  let untrack = (): void => {};
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    for (const timer of timers) clearTimeout(timer);
    unsubscribe();
    untrack();
    flush();
    res.end();
  };

  // Only changes after this version are sent: after the initial objects, or after the version
  // asked for, even one the store has not reached yet, which the watch cache simply waits for
  // (storage/cacher/watch_cache.go getAllEventsSinceLocked, cache_watcher.go processInterval).
  const from = rvParam && !startAtCurrent ? Number(rvParam) : undefined;
  let after = from ?? state.store.resourceVersion;

  const deliver = (change: Change): void => {
    if (change.resourceKey !== type.storeKey || (namespace && change.namespace !== namespace)) return;
    if (change.rv <= after) return;
    const served = () => type.fromStored(change.object);
    if (filter === matchEverything) {
      writeChange(change.type, change, served);
      return;
    }
    const now = change.type === "DELETED" ? undefined : served();
    const before = change.previous ? type.fromStored(change.previous) : undefined;
    const nowMatches = now !== undefined && filter(now);
    const beforeMatches = before !== undefined && filter(before);
    if (change.type === "DELETED") {
      if (beforeMatches) writeChange("DELETED", change, served);
    } else if (nowMatches) writeChange(beforeMatches ? "MODIFIED" : "ADDED", change, served);
    else if (beforeMatches) writeChange("DELETED", change, served);
  };

  const injected = state.faults.take(
    "watch",
    request.resource,
    request.subresource,
    request.name,
    request.group,
  );
  if (injected) {
    write("ERROR", injected.toStatus());
    close();
    return;
  }
  const startBookmarks = (): void => {
    if (!bookmarks || closed) return;
    // A watch from a version still to come gets no bookmark older than that version.
    const periodic = () => {
      if (state.store.resourceVersion >= after) bookmark(state.store.resourceVersion);
    };
    timers.push(setInterval(periodic, state.bookmarkIntervalMs));
  };

  /**
   * Writes the objects' ADDED events a chunk at a time, each once the socket has taken the last,
   * so a watch holds about one chunk of its initial events, not all of them serialized at once.
   * False when the watch closed meanwhile.
   */
  const streamInitialEvents = async (objects: readonly KubeObject[]): Promise<boolean> => {
    let chunk = "";
    for (const stored of objects) {
      if (closed) return false;
      const object = type.fromStored(stored);
      if (!filter(object)) continue;
      chunk += lineFor("ADDED", object);
      if (chunk.length < INITIAL_CHUNK_BYTES) continue;
      res.write(chunk);
      chunk = "";
      await drained(res);
    }
    if (closed) return false;
    if (chunk) res.write(chunk);
    return true;
  };

  /**
   * The current objects as ADDED events, then changes. With sendInitialEvents the objects are
   * those at the version asked for or later: one still to come is waited for, and if it does
   * not come the watch gets the 504 as an ERROR event (cacher.go
   * waitUntilWatchCacheFreshAndForceAllEvents, then newErrWatcher).
   */
  const startWithInitialEvents = async (): Promise<void> => {
    const requested = rvParam ? Number(rvParam) : 0;
    if (sendInitialEvents && requested > state.store.resourceVersion) {
      const fresh = await state.store.waitForResourceVersion(requested, FRESHNESS_TIMEOUT_MS);
      if (closed) return;
      if (!fresh) {
        write("ERROR", tooLargeResourceVersion(requested, state.store.resourceVersion).toStatus());
        close();
        return;
      }
    }
    after = state.store.resourceVersion;
    if (!(await streamInitialEvents(state.store.list(type.storeKey, namespace)))) return;
    // The changes made while the initial events went out come from the change log; a client
    // too slow for its window is dropped, as the watch cache stops a watcher that cannot keep
    // up (storage/cacher/cache_watcher.go), and resumes or relists as after any ended watch.
    if (state.store.changes.isExpired(after)) {
      close();
      return;
    }
    if (sendInitialEvents && bookmarks) bookmark(after, { [initialEventsEndAnnotation]: "true" });
    for (const change of state.store.changes.since(after)) deliver(change);
    unsubscribe = state.store.onChange(deliver);
    startBookmarks();
  };

  if (from !== undefined && from <= state.store.resourceVersion && state.store.isExpired(from)) {
    const gone = new GoneError(
      `too old resource version: ${from} (${state.store.changes.oldestResumableRv})`,
    );
    write("ERROR", gone.toStatus());
    close();
    return;
  }
  untrack = state.faults.trackWatch(close);
  ctx.req.on("close", close);
  res.on("close", close);
  // A negative timeout has passed already: kube-apiserver's watch context and timer expire at
  // once (handlers/get.go ListResource takes any timeoutSeconds, handlers/watch.go serveWatch).
  if (timeoutSeconds < 0) {
    close();
    return;
  }
  // Node fires a timer of more than 2^31 - 1 ms at once: a longer timeout ends then instead (24.8 days).
  if (timeoutSeconds > 0) timers.push(setTimeout(close, Math.min(timeoutSeconds * 1000, MAX_TIMER_MS)));
  if (from === undefined) {
    void startWithInitialEvents();
    return;
  }
  for (const change of state.store.changes.since(from)) deliver(change);
  unsubscribe = state.store.onChange(deliver);
  startBookmarks();
}
