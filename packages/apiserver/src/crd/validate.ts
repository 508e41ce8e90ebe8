// OpenAPI value validation of a custom resource, worded as kube-openapi words it and
// converted to field errors as apiextensions-apiserver converts them.

import type { FieldCause } from "../types.js";
import {
  childPath,
  duplicate,
  goQuote,
  indexPath,
  invalidValue,
  notSupported,
  requiredValue,
  tooLong,
  tooMany,
  typeInvalid,
} from "./field-errors.js";
import { conformsToFormat } from "./formats.js";
import { isJsonObject, jsonEqual } from "./json.js";
import type { JsonSchema } from "./types.js";

/** Where kube-openapi says the value was found. */
const IN = "body";

/** Validates `value` against `schema`, appending causes; `path` is the field path of `value`. */
export function validateValue(value: unknown, schema: JsonSchema, path: string, causes: FieldCause[]): void {
  if (!checkType(value, schema, path, causes)) {
    // A wrong type still gets the enum check, as kube-openapi runs its validators independently.
    checkEnum(value, schema, path, causes);
    return;
  }
  if (typeof value === "string") checkString(value, schema, path, causes);
  if (typeof value === "number" || typeof value === "bigint")
    checkNumber(Number(value), schema, path, causes);
  if (Array.isArray(value)) checkArray(value, schema, path, causes);
  checkEnum(value, schema, path, causes);
  if (isJsonObject(value)) checkObject(value, schema, path, causes);
}

/** The JSON type of a decoded value, named as kube-openapi names it. */
export function jsonTypeOf(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  // An int64 past 2^53, kept exact by the body decoder (http/json.ts).
  if (typeof value === "bigint") return "integer";
  return typeof value;
}

function allowedTypes(schema: JsonSchema): string[] {
  if (schema["x-kubernetes-int-or-string"] === true) return ["integer", "string"];
  return schema.type ? [schema.type] : [];
}

function checkType(value: unknown, schema: JsonSchema, path: string, causes: FieldCause[]): boolean {
  const types = allowedTypes(schema);
  if (types.length === 0) return true;
  const actual = jsonTypeOf(value);
  if (actual === "null" && schema.nullable === true) return true;
  // An integral number is an integer, and an integer is a number.
  if (types.includes(actual) || (actual === "integer" && types.includes("number"))) return true;
  const name = types.join(",");
  causes.push(typeInvalid(path, actual, `${path} in ${IN} must be of type ${name}: "${actual}"`));
  return false;
}

function checkString(value: string, schema: JsonSchema, path: string, causes: FieldCause[]): void {
  if (schema.maxLength !== undefined && [...value].length > schema.maxLength) {
    causes.push(tooLong(path, schema.maxLength));
  }
  if (schema.minLength !== undefined && [...value].length < schema.minLength) {
    causes.push(
      invalidValue(path, value, `${path} in ${IN} should be at least ${schema.minLength} chars long`),
    );
  }
  if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) {
    causes.push(invalidValue(path, value, `${path} in ${IN} should match '${schema.pattern}'`));
  }
  if (schema.format !== undefined && !conformsToFormat(schema.format, value)) {
    causes.push(
      typeInvalid(path, value, `${path} in ${IN} must be of type ${schema.format}: ${goQuote(value)}`),
    );
  }
}

function checkNumber(value: number, schema: JsonSchema, path: string, causes: FieldCause[]): void {
  if (schema.maximum !== undefined) {
    const exclusive = schema.exclusiveMaximum === true;
    if (exclusive ? value >= schema.maximum : value > schema.maximum) {
      const relation = exclusive ? "less than" : "less than or equal to";
      causes.push(invalidValue(path, value, `${path} in ${IN} should be ${relation} ${schema.maximum}`));
    }
  }
  if (schema.minimum !== undefined) {
    const exclusive = schema.exclusiveMinimum === true;
    if (exclusive ? value <= schema.minimum : value < schema.minimum) {
      const relation = exclusive ? "greater than" : "greater than or equal to";
      causes.push(invalidValue(path, value, `${path} in ${IN} should be ${relation} ${schema.minimum}`));
    }
  }
}

function checkArray(value: unknown[], schema: JsonSchema, path: string, causes: FieldCause[]): void {
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    causes.push(
      invalidValue(path, value.length, `${path} in ${IN} should have at least ${schema.minItems} items`),
    );
  }
  if (schema.maxItems !== undefined && value.length > schema.maxItems) {
    causes.push(tooMany(path, value.length, schema.maxItems));
  }
  const items = schema.items;
  if (items)
    value.forEach((item, i) => {
      validateValue(item, items, indexPath(path, i), causes);
    });
}

function checkEnum(value: unknown, schema: JsonSchema, path: string, causes: FieldCause[]): void {
  if (!schema.enum || schema.enum.some((allowed) => jsonEqual(allowed, value))) return;
  const supported = schema.enum.map((allowed) =>
    typeof allowed === "string" ? allowed : JSON.stringify(allowed),
  );
  causes.push(notSupported(path, value, supported));
}

function checkObject(
  value: Record<string, unknown>,
  schema: JsonSchema,
  path: string,
  causes: FieldCause[],
): void {
  for (const key of schema.required ?? []) {
    if (value[key] === undefined) causes.push(requiredValue(childPath(path, key)));
  }
  for (const [key, property, item] of schemaOrderedFields(value, schema)) {
    validateValue(item, property, childPath(path, key), causes);
  }
}

/**
 * The fields of `value` that have a schema: declared properties in schema order, then
 * additionalProperties in data order, so errors come out in a stable order whatever the client sent.
 */
export function schemaOrderedFields(
  value: Record<string, unknown>,
  schema: JsonSchema,
): [string, JsonSchema, unknown][] {
  const declared = Object.entries(schema.properties ?? {})
    .filter(([key]) => value[key] !== undefined)
    .map(([key, property]): [string, JsonSchema, unknown] => [key, property, value[key]]);
  const additional =
    typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined;
  if (!additional) return declared;
  const rest = Object.keys(value)
    .filter((key) => !schema.properties?.[key])
    .map((key): [string, JsonSchema, unknown] => [key, additional, value[key]]);
  return [...declared, ...rest];
}

/** The invariants of `x-kubernetes-list-type: set` and `map`, checked after the schema. */
export function validateListTypes(
  value: unknown,
  schema: JsonSchema,
  path: string,
  causes: FieldCause[],
): void {
  if (Array.isArray(value)) {
    const listType = schema["x-kubernetes-list-type"];
    if (listType === "set") checkSetDuplicates(value, path, causes);
    if (listType === "map")
      checkMapDuplicates(value, schema["x-kubernetes-list-map-keys"] ?? [], path, causes);
    const items = schema.items;
    if (items)
      value.forEach((item, i) => {
        validateListTypes(item, items, indexPath(path, i), causes);
      });
    return;
  }
  if (!isJsonObject(value)) return;
  for (const [key, property, item] of schemaOrderedFields(value, schema)) {
    validateListTypes(item, property, childPath(path, key), causes);
  }
}

function checkSetDuplicates(list: unknown[], path: string, causes: FieldCause[]): void {
  list.forEach((item, i) => {
    if (list.slice(0, i).some((earlier) => jsonEqual(earlier, item)))
      causes.push(duplicate(indexPath(path, i), item));
  });
}

function checkMapDuplicates(list: unknown[], keys: string[], path: string, causes: FieldCause[]): void {
  const keyOf = (item: unknown) => {
    const record = isJsonObject(item) ? item : {};
    return Object.fromEntries(
      keys.filter((key) => record[key] !== undefined).map((key) => [key, record[key]]),
    );
  };
  list.forEach((item, i) => {
    const key = keyOf(item);
    if (list.slice(0, i).some((earlier) => jsonEqual(keyOf(earlier), key))) {
      causes.push(duplicate(indexPath(path, i), key));
    }
  });
}
