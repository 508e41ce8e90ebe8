// Small helpers for decoded JSON values.

export type JsonObject = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

export function deepCopy<T>(value: T): T {
  return structuredClone(value);
}

/** JSON equality (key order ignored), as Go's reflect.DeepEqual compares decoded JSON. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (isJsonObject(a) && isJsonObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length && keys.every((key) => key in b && jsonEqual(a[key], b[key]))
    );
  }
  return false;
}

/** A string field of decoded JSON, or "" when absent or not a string. */
export function textOf(value: unknown): string {
  return typeof value === "string" ? value : "";
}
