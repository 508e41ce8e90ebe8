export * from "./builtin.js";
export * from "./columns.js";
export * from "./duration.js";
export * from "./table.js";
