// Constructors for field errors, rendered the way apimachinery's field.Error renders its body.
import type { FieldCause } from "../types.js";

/** Renders a bad value as kube-apiserver does: strings quoted, numbers and booleans bare, the rest as JSON. */
export function formatValue(value: unknown): string {
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value ?? null);
}

function withDetail(head: string, detail: string): string {
  return detail.length > 0 ? `${head}: ${detail}` : head;
}

export function invalid(field: string, value: unknown, detail: string): FieldCause {
  return {
    reason: "FieldValueInvalid",
    field,
    message: withDetail(`Invalid value: ${formatValue(value)}`, detail),
  };
}

export function required(field: string, detail = ""): FieldCause {
  return { reason: "FieldValueRequired", field, message: withDetail("Required value", detail) };
}

export function forbidden(field: string, detail: string): FieldCause {
  return { reason: "FieldValueForbidden", field, message: withDetail("Forbidden", detail) };
}

export function duplicate(field: string, value: unknown): FieldCause {
  return { reason: "FieldValueDuplicate", field, message: `Duplicate value: ${formatValue(value)}` };
}

export function notSupported(field: string, value: unknown, supported: readonly string[]): FieldCause {
  const detail =
    supported.length > 0 ? `supported values: ${supported.map((v) => JSON.stringify(v)).join(", ")}` : "";
  return {
    reason: "FieldValueNotSupported",
    field,
    message: withDetail(`Unsupported value: ${formatValue(value)}`, detail),
  };
}

export function tooLong(field: string, maxBytes: number): FieldCause {
  const unit = maxBytes === 1 ? "byte" : "bytes";
  return {
    reason: "FieldValueTooLong",
    field,
    message: `Too long: may not be more than ${maxBytes} ${unit}`,
  };
}

/** The full text of a cause, as it appears inside a Status message. */
export function causeText(cause: FieldCause): string {
  return `${cause.field}: ${cause.message}`;
}

/** One Invalid cause per message of a format check. */
export function invalidEach(field: string, value: unknown, messages: readonly string[]): FieldCause[] {
  return messages.map((m) => invalid(field, value, m));
}
