// The Piscina worker entry: one plain function over plain data. Pools travel
// as SharedPool (a definition and its SharedArrayBuffer), so the worker and
// the main thread claim in the same memory; nothing is kept between tasks.
import { parseAddress } from "./address.js";
import type { ConsistencyReport } from "./dense-pool.js";
import { AllocatorError } from "./errors.js";
import { AddressPool, type SharedPool } from "./pool.js";

/**
 * Automatic allocation for many requests, grouped: each group is `count`
 * requests that share one preference list (indexes into `pools`, in order).
 * Results come back one per request, groups in order.
 */
export interface AllocateTask {
  kind: "allocate";
  pools: SharedPool[];
  groups: AllocateGroup[];
  /** Where the results go (see AllocationResults): shared, so nothing is copied back. */
  results: SharedArrayBuffer;
}

export interface AllocateGroup {
  preferences: number[];
  count: number;
}

export interface AllocateResult {
  kind: "allocate";
  /** Requests served; the addresses are in the task's `results`. */
  served: number;
}

/** Results of an allocate task, one entry per request, groups in order. */
export interface AllocationResults {
  buffer: SharedArrayBuffer;
  /** Index into the task's `pools` of the pool that served the request, or -1 when none had a free address. */
  pool: Int32Array;
  /** The address as a handle of that pool (AddressPool.valueOfHandle). */
  handle: Float64Array;
}

/** Views over a results buffer of `count` requests (8 bytes of handle, then 4 of pool index, per request). */
export function allocationResults(buffer: SharedArrayBuffer, count: number): AllocationResults {
  return {
    buffer,
    handle: new Float64Array(buffer, 0, count),
    pool: new Int32Array(buffer, count * 8, count),
  };
}

export function createAllocationResults(count: number): AllocationResults {
  return allocationResults(new SharedArrayBuffer(count * 12), count);
}

/** Rebuilds a pool's allocations from addresses found in use (e.g. Services' status at start). */
export interface RebuildTask {
  kind: "rebuild";
  pool: SharedPool;
  addresses: string[];
}

export interface RebuildResult {
  kind: "rebuild";
  claimed: number;
  /** Addresses listed twice or already allocated, in input order. */
  duplicates: string[];
  /** Addresses that do not parse or lie outside the pool, with the reason. */
  invalid: { address: string; reason: string }[];
}

/** Recounts a pool and checks its hints; `repair` rewrites what disagrees. */
export interface ScanTask {
  kind: "scan";
  pool: SharedPool;
  repair: boolean;
}

export interface ScanResult extends ConsistencyReport {
  kind: "scan";
}

export type AllocatorTask = AllocateTask | RebuildTask | ScanTask;
export type AllocatorResult = AllocateResult | RebuildResult | ScanResult;

function allocate(task: AllocateTask): AllocateResult {
  const pools = task.pools.map((shared) => AddressPool.attach(shared));
  const total = task.groups.reduce((sum, group) => sum + group.count, 0);
  return {
    kind: "allocate",
    served: allocateGroups(pools, task.groups, allocationResults(task.results, total)),
  };
}

/**
 * An allocate task's work on pools at hand: a worker runs it on the pools it
 * attached, the main thread on its own (attaching each batch's pools again,
 * checking their definitions, cost more than small batches' allocations).
 * Returns how many requests were served.
 */
export function allocateGroups(
  pools: readonly AddressPool[],
  groups: readonly AllocateGroup[],
  results: AllocationResults,
): number {
  const { pool, handle } = results;
  pool.fill(-1);
  let at = 0;
  let served = 0;
  for (const group of groups) {
    let done = 0;
    for (const index of group.preferences) {
      const candidate = pools[index];
      if (!candidate || done === group.count) continue;
      const got = candidate.allocateHandles(group.count - done, handle, at + done);
      pool.fill(index, at + done, at + done + got);
      done += got;
    }
    served += done;
    at += group.count;
  }
  return served;
}

function rebuild(task: RebuildTask): RebuildResult {
  const pool = AddressPool.attach(task.pool);
  const result: RebuildResult = { kind: "rebuild", claimed: 0, duplicates: [], invalid: [] };
  for (const text of task.addresses) {
    let value: bigint;
    try {
      const address = parseAddress(text);
      if (address.family !== pool.spec.family || !pool.contains(address.value)) {
        result.invalid.push({ address: text, reason: `not in pool ${pool.name} (${pool.spec.cidrText})` });
        continue;
      }
      value = address.value;
    } catch (error) {
      if (!(error instanceof AllocatorError)) throw error;
      result.invalid.push({ address: text, reason: error.message });
      continue;
    }
    if (pool.claim(value)) result.claimed++;
    else result.duplicates.push(text);
  }
  return result;
}

export function runAllocatorTask(task: AllocatorTask): AllocatorResult {
  switch (task.kind) {
    case "allocate":
      return allocate(task);
    case "rebuild":
      return rebuild(task);
    case "scan":
      return { kind: "scan", ...AddressPool.attach(task.pool).scan(task.repair) };
  }
}

export default runAllocatorTask;
