export * from "./field.js";
export * from "./metadata.js";
export * from "./names.js";
