// Narrowing helpers for JSON values, shared by the patch implementations.

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function deepCopy<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}

/** Go's %v rendering of decoded JSON, used in strategic merge patch errors (`map[a:1 b:[x y]]`). */
export function goFormat(value: unknown): string {
  if (value === null || value === undefined) return "<nil>";
  if (Array.isArray(value)) return `[${value.map(goFormat).join(" ")}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).sort();
    return `map[${keys.map((k) => `${k}:${goFormat(value[k])}`).join(" ")}]`;
  }
  return String(value);
}

/** The JSON type name Go's decoder uses in "cannot unmarshal X into ..." errors. */
export function goJsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "boolean") return "bool";
  return typeof value;
}
