// The one in-memory store of every object, with a single resourceVersion counter shared by all
// resources, as etcd gives kube-apiserver. Objects handed out are never mutated afterwards:
// every write stores a new object.
import { GoneError, StatusError } from "../errors.js";
import type { KubeObject } from "../types.js";
import { type Change, ChangeLog, type ChangeType } from "./changelog.js";
import {
  type ListSnapshot,
  ListSnapshots,
  type SnapshotView,
  snapshotKey,
  sortForList,
} from "./list-snapshots.js";

export type ChangeListener = (change: Change) => void;

function objectKey(namespace: string, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

function withResourceVersion(object: KubeObject, rv: number): KubeObject {
  return { ...object, metadata: { ...object.metadata, resourceVersion: String(rv) } };
}

/** How long a read waits for a resourceVersion still to come (cacher/watch_cache.go blockTimeout). */
export const FRESHNESS_TIMEOUT_MS = 3000;

/**
 * 504 for a resourceVersion the store has not reached: storage.NewTooLargeResourceVersionError
 * (apiserver/pkg/storage/errors.go), a Timeout Status with a ResourceVersionTooLarge cause.
 */
export function tooLargeResourceVersion(requested: number, current: number): StatusError {
  return new StatusError(
    504,
    "Timeout",
    `Timeout: Too large resource version: ${requested}, current: ${current}`,
    {
      causes: [{ reason: "ResourceVersionTooLarge", message: "Too large resource version" }],
      retryAfterSeconds: 1,
    },
  );
}

export class Store {
  private rv: number;
  private readonly buckets = new Map<string, Map<string, KubeObject>>();
  private readonly log: ChangeLog;
  private readonly listeners = new Set<ChangeListener>();
  private readonly snapshots: ListSnapshots;

  constructor(options: { changeWindow: number; firstResourceVersion?: number; listSnapshots?: number }) {
    this.rv = options.firstResourceVersion ?? 1;
    this.log = new ChangeLog(options.changeWindow, this.rv);
    this.snapshots = new ListSnapshots(options.listSnapshots ?? 8);
  }

  /**
   * Whether changes after `rv` can no longer be replayed: older than the window, or newer than
   * anything this store has (a version from another server instance; watches answer it with
   * 410 so clients list again, where kube would wait and then time out).
   */
  isExpired(rv: number): boolean {
    return this.log.isExpired(rv) || rv > this.rv;
  }

  get resourceVersion(): number {
    return this.rv;
  }

  get changes(): ChangeLog {
    return this.log;
  }

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get(resourceKey: string, namespace: string, name: string): KubeObject | undefined {
    return this.buckets.get(resourceKey)?.get(objectKey(namespace, name));
  }

  /** Current objects of a resource, in one namespace or (namespace "") in all. */
  list(resourceKey: string, namespace: string): KubeObject[] {
    const bucket = this.buckets.get(resourceKey);
    if (!bucket) return [];
    const items = [...bucket.values()];
    return namespace ? items.filter((o) => o.metadata?.namespace === namespace) : items;
  }

  /** The objects as they were at resourceVersion `at`, rebuilt by undoing later changes. */
  listAt(resourceKey: string, namespace: string, at: number): KubeObject[] {
    this.checkListable(at);
    if (at === this.rv) return this.list(resourceKey, namespace);
    const state = new Map<string, KubeObject>();
    for (const o of this.list(resourceKey, namespace)) {
      state.set(objectKey(o.metadata?.namespace ?? "", o.metadata?.name ?? ""), o);
    }
    const later = this.log
      .since(at)
      .filter((c) => c.resourceKey === resourceKey && (!namespace || c.namespace === namespace));
    for (let i = later.length - 1; i >= 0; i--) {
      const change = later[i]!;
      const key = objectKey(change.namespace, change.name);
      if (change.previous) state.set(key, change.previous);
      else state.delete(key);
    }
    return [...state.values()];
  }

  /**
   * The objects at resourceVersion `at` (those `view` matches, when given) in list order, as
   * listAt would give them and with its errors. Served from the kept snapshots when one
   * matches; a new one is kept only when the caller passes it to keepSnapshot.
   */
  sortedListAt(resourceKey: string, namespace: string, at: number, view?: SnapshotView): ListSnapshot {
    this.checkListable(at);
    this.snapshots.prune((rv) => rv !== this.rv && this.isExpired(rv));
    const key = snapshotKey(resourceKey, namespace, at, view);
    const kept = this.snapshots.find(key);
    if (kept) return kept;
    let objects = this.listAt(resourceKey, namespace, at);
    if (view) objects = objects.filter((o) => view.matches(o));
    return { key, rv: at, objects: sortForList(objects) };
  }

  /** Keeps a snapshot for later pages of the same list (the least recently used ones are dropped). */
  keepSnapshot(snapshot: ListSnapshot): void {
    this.snapshots.keep(snapshot);
  }

  /** How many list snapshots are kept (for tests). */
  get keptSnapshots(): number {
    return this.snapshots.size;
  }

  /**
   * Resolves true once this store has reached resourceVersion `rv`, false when `timeoutMs`
   * passes first: the watch cache's waitUntilFreshAndBlock (apiserver/pkg/storage/cacher/watch_cache.go).
   */
  waitForResourceVersion(rv: number, timeoutMs: number): Promise<boolean> {
    if (rv <= this.rv) return Promise.resolve(true);
    return new Promise((resolve) => {
      const finish = (fresh: boolean): void => {
        clearTimeout(timer);
        stop();
        resolve(fresh);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      const stop = this.onChange(() => {
        if (this.rv >= rv) finish(true);
      });
    });
  }

  /** Throws what a list at resourceVersion `at` answers when the store cannot serve it. */
  private checkListable(at: number): void {
    if (at === this.rv) return;
    if (at > this.rv) throw tooLargeResourceVersion(at, this.rv);
    if (this.isExpired(at))
      throw new GoneError(`too old resource version: ${at} (${this.log.oldestResumableRv})`);
  }

  /** Stores a new or changed object under a fresh resourceVersion and returns what was stored. */
  put(resourceKey: string, object: KubeObject): KubeObject {
    const namespace = object.metadata?.namespace ?? "";
    const name = object.metadata?.name ?? "";
    let bucket = this.buckets.get(resourceKey);
    if (!bucket) {
      bucket = new Map();
      this.buckets.set(resourceKey, bucket);
    }
    const key = objectKey(namespace, name);
    const previous = bucket.get(key);
    const stored = withResourceVersion(object, ++this.rv);
    bucket.set(key, stored);
    this.record(previous ? "MODIFIED" : "ADDED", resourceKey, namespace, name, stored, previous);
    return stored;
  }

  /** Removes an object; the DELETED change carries the deletion's resourceVersion. */
  remove(
    resourceKey: string,
    namespace: string,
    name: string,
    lastState?: KubeObject,
  ): KubeObject | undefined {
    const bucket = this.buckets.get(resourceKey);
    const key = objectKey(namespace, name);
    const previous = bucket?.get(key);
    if (!bucket || !previous) return undefined;
    bucket.delete(key);
    const deleted = withResourceVersion(lastState ?? previous, ++this.rv);
    this.record("DELETED", resourceKey, namespace, name, deleted, previous);
    return deleted;
  }

  /** Drops every object of a resource (a CRD was deleted), emitting DELETED for each. */
  removeAll(resourceKey: string): void {
    for (const o of this.list(resourceKey, ""))
      this.remove(resourceKey, o.metadata?.namespace ?? "", o.metadata?.name ?? "");
    this.buckets.delete(resourceKey);
  }

  private record(
    type: ChangeType,
    resourceKey: string,
    namespace: string,
    name: string,
    object: KubeObject,
    previous: KubeObject | undefined,
  ): void {
    const change: Change = { rv: this.rv, type, resourceKey, namespace, name, object, previous };
    this.log.append(change);
    for (const listener of this.listeners) listener(change);
  }
}
