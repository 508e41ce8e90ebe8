// Conversion of decoded JSON into CEL values typed by the schema, as Kubernetes types them:
// `integer` is CEL int, `number` is double, objects are maps, and the root's metadata shows
// only name and generateName.

import type { CelInput } from "@bufbuild/cel";
import { isJsonObject } from "./json.js";
import type { JsonSchema } from "./types.js";

export function toCelValue(value: unknown, schema: JsonSchema | undefined): CelInput {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return toCelNumber(value, schema);
  // An int64 past 2^53, kept exact (http/json.ts): a CEL int, or a double where the schema says number.
  if (typeof value === "bigint") return schema?.type === "number" ? Number(value) : value;
  if (Array.isArray(value)) return value.map((item) => toCelValue(item, schema?.items));
  if (isJsonObject(value)) {
    const additional =
      typeof schema?.additionalProperties === "object" ? schema.additionalProperties : undefined;
    const entries = new Map<string, CelInput>();
    for (const [key, item] of Object.entries(value)) {
      entries.set(key, toCelValue(item, schema?.properties?.[key] ?? additional));
    }
    return entries;
  }
  return null;
}

/** The root object as `self` sees it: metadata reduced to name and generateName. */
export function toCelRoot(value: Record<string, unknown>, schema: JsonSchema): CelInput {
  const root = toCelValue(value, schema) as Map<string, CelInput>;
  const metadata = isJsonObject(value.metadata) ? value.metadata : {};
  const visible = new Map<string, CelInput>();
  for (const key of ["name", "generateName"]) {
    if (typeof metadata[key] === "string") visible.set(key, metadata[key]);
  }
  root.set("metadata", visible);
  return root;
}

function toCelNumber(value: number, schema: JsonSchema | undefined): CelInput {
  if (schema?.type === "number") return value;
  // integer, int-or-string and untyped (preserved) numbers: whole numbers are ints, as in Kubernetes.
  return Number.isInteger(value) ? BigInt(value) : value;
}
