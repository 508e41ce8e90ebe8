export * from "./errors.js";
export * from "./field-tables.js";
export * from "./fields.js";
export * from "./labels.js";
