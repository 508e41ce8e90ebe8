export * from "./address.js";
export { type ConsistencyReport, DensePool, type PoolCounts } from "./dense-pool.js";
export * from "./errors.js";
export { DENSE_MAX_ADDRESSES } from "./layout.js";
export { AddressPool, type SharedPool } from "./pool.js";
export { PoolSet } from "./pool-set.js";
export * from "./pool-spec.js";
export { type OffsetRange, SparsePool } from "./sparse-pool.js";
export { WORKER_MIN_BATCH } from "./thresholds.js";
export type * from "./worker.js";
export { allocateGroups, allocationResults, createAllocationResults, runAllocatorTask } from "./worker.js";

/** The Piscina worker file of this package (its default export runs one AllocatorTask). */
export const ALLOCATOR_WORKER_URL = new URL("./worker.js", import.meta.url).href;
