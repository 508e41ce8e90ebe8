// additionalPrinterColumns of a CRD version.

import type { FieldCause } from "../types.js";
import { invalidValue, notSupported, requiredValue } from "./field-errors.js";
import { isJsonObject, textOf } from "./json.js";
import { parseJsonPath } from "./jsonpath.js";
import type { PrinterColumn } from "./types.js";

const COLUMN_TYPES = ["boolean", "date", "integer", "number", "string"];
const AGE = "The time since the object was created (metadata.creationTimestamp).";

/** The printer columns of a version, checked as kube-apiserver checks them; `path` names them in causes. */
export function compileColumns(raw: unknown, path: string, causes: FieldCause[]): PrinterColumn[] {
  const columns = Array.isArray(raw) ? raw.filter(isJsonObject) : [];
  if (columns.length === 0) {
    // kube-apiserver serves an Age column when a CRD declares none.
    return [
      { name: "Age", type: "date", priority: 0, jsonPath: ".metadata.creationTimestamp", description: AGE },
    ];
  }
  return columns.map((column, i) => {
    const columnPath = `${path}[${i}]`;
    const name = textOf(column.name);
    const type = textOf(column.type);
    const jsonPath = textOf(column.jsonPath);
    if (name === "") causes.push(requiredValue(`${columnPath}.name`));
    if (type === "") causes.push(requiredValue(`${columnPath}.type`));
    else if (!COLUMN_TYPES.includes(type))
      causes.push(notSupported(`${columnPath}.type`, type, COLUMN_TYPES));
    if (jsonPath === "") causes.push(requiredValue(`${columnPath}.jsonPath`));
    else {
      try {
        parseJsonPath(jsonPath);
      } catch {
        causes.push(invalidValue(`${columnPath}.jsonPath`, jsonPath, "must be a simple json path"));
      }
    }
    const description = textOf(column.description);
    return {
      name,
      type: type as PrinterColumn["type"],
      ...(typeof column.format === "string" ? { format: column.format } : {}),
      description: description || `Custom resource definition column (in JSONPath format): ${jsonPath}`,
      priority: typeof column.priority === "number" ? column.priority : 0,
      jsonPath,
    };
  });
}
