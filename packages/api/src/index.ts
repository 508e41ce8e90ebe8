export * from "./annotations.js";
