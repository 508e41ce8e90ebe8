// Records every change the API server stores for a few resources, through
// watches that resume where they stopped, so a test can replay the writes in
// resourceVersion order (the server numbers every kind from one counter).
// checkAddressHistory replays Service statuses: at no point may an address be
// shown by two Services, and no Service may drop an address its request still
// allows.
import { type KubernetesObject, type V1Service, Watch } from "@kubernetes/client-node";
import type { TestCluster } from "./cluster.js";
import { ipsOf } from "./status-watch.js";

export interface StoredChange {
  /** The resourceVersion the server gave the change. */
  rv: number;
  /** The label of the watched collection it came from. */
  source: string;
  type: "ADDED" | "MODIFIED" | "DELETED";
  object: KubernetesObject & { status?: unknown };
}

export interface WriteHistory {
  /** Every change so far, in resourceVersion order. */
  ordered(): StoredChange[];
  /** Watch errors: any of them means changes may be missing. */
  readonly problems: string[];
  /** Calls `listener` with each change as it arrives (each collection's changes in order). */
  listen(listener: (change: StoredChange) => void): void;
  stop(): void;
}

/** The server's current resourceVersion (a list answers with it). */
export async function currentResourceVersion(cluster: TestCluster): Promise<number> {
  const list = await cluster.core.listNamespace({ limit: 1 });
  return Number(list.metadata?.resourceVersion);
}

/**
 * Watches each collection (label → API path) from the current resourceVersion on.
 * A watch that ends is resumed from the last resourceVersion it delivered, so nothing is
 * missed; the server's change window refusing that (410) is recorded as a problem.
 */
export async function recordWrites(
  cluster: TestCluster,
  collections: Record<string, string>,
): Promise<WriteHistory> {
  const changes: StoredChange[] = [];
  const problems: string[] = [];
  const listeners: ((change: StoredChange) => void)[] = [];
  const aborts = new Map<string, AbortController>();
  const watcher = new Watch(cluster.kubeconfig);
  let stopped = false;
  const from = await currentResourceVersion(cluster);

  const follow = async (label: string, path: string, since: number): Promise<void> => {
    let last = since;
    let failed = false;
    const onEvent = (phase: string, object: KubernetesObject) => {
      if (phase === "ERROR") {
        failed = true;
        problems.push(`${label}: watch error ${JSON.stringify(object)}`);
        return;
      }
      const rv = Number(object?.metadata?.resourceVersion);
      if (!Number.isFinite(rv)) {
        problems.push(`${label}: ${phase} without a resourceVersion`);
        return;
      }
      last = Math.max(last, rv);
      if (phase === "BOOKMARK") return;
      const change: StoredChange = {
        rv,
        source: label,
        type: phase as StoredChange["type"],
        object: object as StoredChange["object"],
      };
      changes.push(change);
      for (const listener of listeners) listener(change);
    };
    const onDone = () => {
      if (stopped || failed) return;
      setTimeout(() => void follow(label, path, last), 10);
    };
    try {
      const abort = await watcher.watch(
        path,
        { resourceVersion: String(last), allowWatchBookmarks: true },
        onEvent,
        onDone,
      );
      if (stopped) abort.abort();
      else aborts.set(label, abort);
    } catch (error) {
      if (!stopped) problems.push(`${label}: cannot watch ${path}: ${String(error)}`);
    }
  };

  await Promise.all(Object.entries(collections).map(([label, path]) => follow(label, path, from)));
  return {
    ordered: () => [...changes].sort((a, b) => a.rv - b.rv),
    problems,
    listen: (listener) => listeners.push(listener),
    stop: () => {
      stopped = true;
      for (const abort of aborts.values()) abort.abort();
    },
  };
}

const keyOf = (object: KubernetesObject) => `${object.metadata?.namespace}/${object.metadata?.name}`;

/**
 * The Service changes that altered `status` (only the controller writes it), in the order
 * given. Creations are not counted: a client cannot set status when it creates a Service.
 */
export function statusWrites(serviceChanges: StoredChange[]): StoredChange[] {
  const last = new Map<string, string>();
  const writes: StoredChange[] = [];
  for (const change of serviceChanges) {
    const key = keyOf(change.object);
    const status = JSON.stringify(change.object.status ?? {});
    if (change.type === "MODIFIED" && last.has(key) && last.get(key) !== status) writes.push(change);
    if (change.type === "DELETED") last.delete(key);
    else last.set(key, status);
  }
  return writes;
}

/**
 * Replays Service changes (in resourceVersion order) and returns every moment an address is
 * shown by two Services (or twice by one), and every write that took an address away from a
 * Service while `mayRelease` says its request did not allow that.
 */
export function checkAddressHistory(
  serviceChanges: StoredChange[],
  mayRelease: (service: V1Service, ip: string) => boolean = () => false,
): string[] {
  const violations: string[] = [];
  const shown = new Map<string, string[]>();
  const holders = new Map<string, Set<string>>();
  for (const change of serviceChanges) {
    const service = change.object as V1Service;
    const key = keyOf(service);
    const before = shown.get(key) ?? [];
    const after = change.type === "DELETED" ? [] : ipsOf(service);
    if (change.type !== "DELETED") {
      for (const ip of before) {
        if (!after.includes(ip) && !mayRelease(service, ip)) {
          violations.push(`rv ${change.rv}: ${key} dropped ${ip} (now ${JSON.stringify(after)})`);
        }
      }
    }
    if (new Set(after).size !== after.length) {
      violations.push(`rv ${change.rv}: ${key} shows one address twice: ${JSON.stringify(after)}`);
    }
    for (const ip of before) holders.get(ip)?.delete(key);
    for (const ip of after) {
      const set = holders.get(ip) ?? new Set<string>();
      set.add(key);
      holders.set(ip, set);
      if (set.size > 1) violations.push(`rv ${change.rv}: ${ip} shown by ${[...set].join(" and ")} at once`);
    }
    if (change.type === "DELETED") shown.delete(key);
    else shown.set(key, after);
  }
  return violations;
}
