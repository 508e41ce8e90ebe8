// JSON merge patch (RFC 7386), as kube-apiserver applies `application/merge-patch+json`.
import { PatchError } from "./errors.js";
import { deepCopy, isObject, type JsonObject } from "./json.js";

/** Removes null-valued keys from objects, recursing into objects and arrays; nulls inside arrays stay. */
function pruneNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === null ? v : pruneNulls(v)));
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = pruneNulls(v);
  return out;
}

function mergeInto(doc: JsonObject, patch: JsonObject): void {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete doc[key];
      continue;
    }
    const current = doc[key];
    if (current === undefined || current === null || !isObject(current)) {
      doc[key] = pruneNulls(value);
    } else if (isObject(value)) {
      mergeInto(current, value);
    } else {
      doc[key] = value;
    }
  }
}

/**
 * Applies a merge patch to an object and returns the result; `target` is not modified.
 * A patch that is not a JSON object is refused as kube does (400 `Invalid JSON Patch`).
 */
export function applyMergePatch(target: JsonObject, patch: unknown): JsonObject {
  if (!isObject(patch)) throw new PatchError("Invalid JSON Patch", 400, "BadRequest");
  const doc = deepCopy(target);
  mergeInto(doc, deepCopy(patch));
  return doc;
}
