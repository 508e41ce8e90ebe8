// Defaulting of custom resources, as kube-apiserver applies it on write and on read.

import { deepCopy, isJsonObject } from "./json.js";
import type { JsonSchema } from "./types.js";

/** Drops, in place, nulls of fields that are neither nullable nor defaulted, as kube-apiserver does. */
export function dropNullsWithoutDefaults(value: unknown, schema: JsonSchema): void {
  if (Array.isArray(value)) {
    if (schema.items) for (const item of value) dropNullsWithoutDefaults(item, schema.items);
    return;
  }
  if (!isJsonObject(value)) return;
  for (const key of Object.keys(value)) {
    const property = propertySchema(schema, key);
    if (!property) continue;
    if (value[key] === null && property.nullable !== true && property.default === undefined)
      delete value[key];
    else dropNullsWithoutDefaults(value[key], property);
  }
}

/** Sets, in place, every absent (or non-nullable null) field that has a default, then recurses. */
export function applyDefaults(value: unknown, schema: JsonSchema): void {
  if (Array.isArray(value)) {
    const items = schema.items;
    if (!items) return;
    value.forEach((item, i) => {
      if (item === null && items.default !== undefined && items.nullable !== true)
        value[i] = deepCopy(items.default);
      applyDefaults(value[i], items);
    });
    return;
  }
  if (!isJsonObject(value)) return;
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    if (property.default === undefined) continue;
    const current = value[key];
    if (current === undefined || (current === null && property.nullable !== true)) {
      value[key] = deepCopy(property.default);
    }
  }
  for (const key of Object.keys(value)) {
    const property = propertySchema(schema, key);
    if (property) applyDefaults(value[key], property);
  }
}

function propertySchema(schema: JsonSchema, key: string): JsonSchema | undefined {
  const property = schema.properties?.[key];
  if (property) return property;
  return typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined;
}
