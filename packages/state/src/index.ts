export * from "./calico-records.js";
export * from "./carry-out.js";
export * from "./foreign.js";
export * from "./ledger.js";
export * from "./pool-registry.js";
export * from "./rebuild.js";
