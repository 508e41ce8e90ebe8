export * from "./address.js";
export { type ConsistencyReport, DensePool, type PoolCounts } from "./dense-pool.js";
export * from "./errors.js";
export * from "./pool-spec.js";
