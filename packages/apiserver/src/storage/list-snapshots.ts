// Sorted copies of a resource's objects at one resourceVersion, so the pages of a paginated
// list are cut from one sort instead of rebuilding and sorting the whole resource per page.
// A snapshot never changes: the objects it holds are the stored ones, which are never mutated,
// and what the store held at a resourceVersion stays what it held.
import type { KubeObject } from "../types.js";

/** The order of list results: namespace, then name, compared as the string `namespace/name`. */
export function listOrderKey(object: KubeObject): string {
  return `${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`;
}

/** Stored objects sorted by listOrderKey; the sort keys are built once per object. */
export function sortForList(objects: readonly KubeObject[]): KubeObject[] {
  const keyed = objects.map((object) => ({ key: listOrderKey(object), object }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map((entry) => entry.object);
}

/** Which objects of a resource a snapshot keeps: all of them, or those a named predicate picks. */
export interface SnapshotView {
  /** Names the predicate: snapshots of equal ids are taken to hold the same objects. */
  id: string;
  matches(stored: KubeObject): boolean;
}

export interface ListSnapshot {
  readonly key: string;
  readonly rv: number;
  /** Stored objects in list order (listOrderKey); shared, never to be modified. */
  readonly objects: readonly KubeObject[];
}

export function snapshotKey(resourceKey: string, namespace: string, rv: number, view?: SnapshotView): string {
  return `${resourceKey}\u0000${namespace}\u0000${rv}\u0000${view?.id ?? ""}`;
}

/** The position of the first object whose listOrderKey is greater than `after` ("" means 0). */
export function firstAfter(objects: readonly KubeObject[], after: string): number {
  if (!after) return 0;
  let lo = 0;
  let hi = objects.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (listOrderKey(objects[mid]!) <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The few most recently used snapshots; the least recently used one goes first. */
export class ListSnapshots {
  private readonly entries = new Map<string, ListSnapshot>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  find(key: string): ListSnapshot | undefined {
    const snapshot = this.entries.get(key);
    if (snapshot) {
      this.entries.delete(key);
      this.entries.set(key, snapshot);
    }
    return snapshot;
  }

  keep(snapshot: ListSnapshot): void {
    this.entries.delete(snapshot.key);
    this.entries.set(snapshot.key, snapshot);
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.capacity) break;
      this.entries.delete(key);
    }
  }

  /** Drops the snapshots at resourceVersions that `gone` says can no longer be served. */
  prune(gone: (rv: number) => boolean): void {
    for (const [key, snapshot] of this.entries) if (gone(snapshot.rv)) this.entries.delete(key);
  }
}
