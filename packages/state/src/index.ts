export * from "./ledger.js";
export * from "./pool-registry.js";
export * from "./rebuild.js";
