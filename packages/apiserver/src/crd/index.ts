// The CRD engine: pure functions the API server core calls to register custom resources,
// admit their objects, build their OpenAPI documents and print their tables.

export { compileCrd } from "./compile.js";
export { InvalidCrdError } from "./errors.js";
export { definitionName, openApiV3Document } from "./openapi.js";
export { humanDuration, printerColumnCells } from "./printer.js";
export type {
  AdmitInput,
  AdmitResult,
  CompiledCrd,
  CompiledCrdVersion,
  JsonSchema,
  PrinterColumn,
  ValidationRule,
} from "./types.js";
