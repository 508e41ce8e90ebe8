export * from "./errors.js";
export { isObject, type JsonObject } from "./json.js";
export * from "./json-patch.js";
export * from "./merge-patch.js";
export * from "./strategic-merge-patch.js";
export * from "./strategic-schemas.js";
