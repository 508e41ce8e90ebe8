// Field errors worded as k8s.io/apimachinery's field.Error prints them (the text after the path),
// so a cause reads exactly like a real kube-apiserver's.

import type { FieldCause } from "../types.js";

/** Field paths as field.Path prints them: `spec.blockSize`, `spec.uses[1]`, `spec.labels[app]`. */
export function childPath(parent: string, name: string): string {
  return parent === "" ? name : `${parent}.${name}`;
}

export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

export function keyPath(parent: string, key: string): string {
  return `${parent}[${key}]`;
}

/** Go's strconv.Quote for the strings we meet: JSON quoting, with Go's spelling of control bytes. */
export function goQuote(text: string): string {
  return JSON.stringify(text).replace(/\\u00([0-7][0-9a-f])/g, "\\x$1");
}

/** How field.Error prints a bad value: %v for numbers and booleans, %q for strings, %#v otherwise. */
export function goValue(value: unknown): string {
  if (value === null || value === undefined) return '"null"';
  if (typeof value === "string") return goQuote(value);
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean")
    return String(value);
  return goSyntax(value);
}

/** Go's %#v of a decoded JSON value (map[string]interface {}, []interface {}). */
function goSyntax(value: unknown): string {
  if (Array.isArray(value)) return `[]interface {}{${value.map(goElement).join(", ")}}`;
  if (value !== null && typeof value === "object") {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${goQuote(key)}:${goElement((value as Record<string, unknown>)[key])}`);
    return `map[string]interface {}{${entries.join(", ")}}`;
  }
  return String(value);
}

function goElement(value: unknown): string {
  if (value === null || value === undefined) return "interface {}(nil)";
  if (typeof value === "string") return goQuote(value);
  if (typeof value === "number") return String(value);
  return goSyntax(value);
}

export function requiredValue(field: string, detail = ""): FieldCause {
  return { reason: "FieldValueRequired", field, message: withDetail("Required value", detail) };
}

export function invalidValue(field: string, value: unknown, detail: string): FieldCause {
  return {
    reason: "FieldValueInvalid",
    field,
    message: withDetail(`Invalid value: ${goValue(value)}`, detail),
  };
}

export function typeInvalid(field: string, value: unknown, detail: string): FieldCause {
  return {
    reason: "FieldValueTypeInvalid",
    field,
    message: withDetail(`Invalid value: ${goValue(value)}`, detail),
  };
}

export function notSupported(field: string, value: unknown, supported: string[]): FieldCause {
  const detail = supported.length > 0 ? `supported values: ${supported.map(goQuote).join(", ")}` : "";
  return {
    reason: "FieldValueNotSupported",
    field,
    message: withDetail(`Unsupported value: ${goValue(value)}`, detail),
  };
}

export function forbidden(field: string, detail: string): FieldCause {
  return { reason: "FieldValueForbidden", field, message: withDetail("Forbidden", detail) };
}

export function duplicate(field: string, value: unknown): FieldCause {
  return { reason: "FieldValueDuplicate", field, message: `Duplicate value: ${goValue(value)}` };
}

/** Worded as since Kubernetes 1.32 (before: "may not be longer than N"); the value is never shown. */
export function tooLong(field: string, maxLength: number): FieldCause {
  const unit = maxLength === 1 ? "byte" : "bytes";
  return {
    reason: "FieldValueTooLong",
    field,
    message: `Too long: may not be more than ${maxLength} ${unit}`,
  };
}

export function tooMany(field: string, actual: number, max: number): FieldCause {
  return {
    reason: "FieldValueTooMany",
    field,
    message: `Too many: ${actual}: must have at most ${max} ${max === 1 ? "item" : "items"}`,
  };
}

function withDetail(head: string, detail: string): string {
  return detail === "" ? head : `${head}: ${detail}`;
}
