// JSON patch (RFC 6902) with the behaviour and messages of gopkg.in/evanphx/json-patch.v4, which
// kube-apiserver uses for `application/json-patch+json`, quirks included (e.g. replace of a
// missing object key adds it; paths are split on "/" without requiring a leading slash).
import { stringifyJson } from "../http/json.js";
import { JSON_PATCH_REJECTED_MESSAGE, PatchError } from "./errors.js";
import { deepCopy, goJsonType, isObject, type JsonObject } from "./json.js";

const MISSING = "missing value";
const INVALID_INDEX = "invalid index referenced";
const TEST_FAILED = "test failed";

/** Failures inside a container; `message` already carries the library's wrapped text. */
class ApplyError extends Error {}

function fail(message: string): never {
  throw new ApplyError(message);
}

function decodeKey(key: string): string {
  return key.replaceAll("~1", "/").replaceAll("~0", "~");
}

/** Go's strconv.Atoi: optional sign and decimal digits. */
function atoi(key: string): number {
  if (!/^[+-]?\d+$/.test(key)) fail(`strconv.Atoi: parsing ${JSON.stringify(key)}: invalid syntax`);
  return Number(key);
}

function invalidIndex(idx: number): never {
  fail(`Unable to access invalid index: ${idx}: ${INVALID_INDEX}`);
}

interface Container {
  get(key: string): unknown;
  add(key: string, value: unknown): void;
  set(key: string, value: unknown): void;
  remove(key: string): void;
}

function objectContainer(obj: JsonObject): Container {
  return {
    get: (key) => (Object.hasOwn(obj, key) ? obj[key] : undefined),
    add: (key, value) => {
      obj[key] = value;
    },
    set: (key, value) => {
      obj[key] = value;
    },
    remove: (key) => {
      if (!Object.hasOwn(obj, key)) fail(`Unable to remove nonexistent key: ${key}: ${MISSING}`);
      delete obj[key];
    },
  };
}

function arrayContainer(arr: unknown[]): Container {
  const existingIndex = (key: string): number => {
    let idx = atoi(key);
    if (idx >= arr.length || idx < -arr.length) invalidIndex(idx);
    if (idx < 0) idx += arr.length;
    return idx;
  };
  return {
    get: (key) => arr[existingIndex(key)],
    set: (key, value) => {
      arr[existingIndex(key)] = value;
    },
    add: (key, value) => {
      if (key === "-") {
        arr.push(value);
        return;
      }
      let idx: number;
      try {
        idx = atoi(key);
      } catch (err) {
        fail(`value was not a proper array index: '${key}': ${(err as Error).message}`);
      }
      const size = arr.length + 1;
      if (idx >= size || idx < -size) invalidIndex(idx);
      if (idx < 0) idx += size;
      arr.splice(idx, 0, value);
    },
    remove: (key) => {
      arr.splice(existingIndex(key), 1);
    },
  };
}

function containerOf(value: unknown): Container | undefined {
  if (Array.isArray(value)) return arrayContainer(value);
  if (isObject(value)) return objectContainer(value);
  return undefined;
}

/** The container holding the last path segment, and that segment; undefined if the parent is missing. */
function findObject(doc: JsonObject, path: string): [Container, string] | undefined {
  const split = path.split("/");
  if (split.length < 2) return undefined;
  let container: Container = objectContainer(doc);
  for (const part of split.slice(1, -1)) {
    let next: unknown;
    try {
      next = container.get(decodeKey(part));
    } catch {
      return undefined;
    }
    const inner = next === null || next === undefined ? undefined : containerOf(next);
    if (!inner) return undefined;
    container = inner;
  }
  return [container, decodeKey(split[split.length - 1]!)];
}

/** Structural equality as the library checks it: object keys of `actual` must match in `expected`. */
function equalLikeLibrary(actual: unknown, expected: unknown): boolean {
  if (isObject(actual)) {
    if (!isObject(expected)) return false;
    return Object.entries(actual).every(
      ([k, v]) =>
        Object.hasOwn(expected, k) &&
        ((v === null && expected[k] === null) || equalLikeLibrary(v, expected[k])),
    );
  }
  if (Array.isArray(actual)) {
    return (
      Array.isArray(expected) &&
      actual.length === expected.length &&
      actual.every((v, i) => equalLikeLibrary(v, expected[i]))
    );
  }
  return stringifyJson(actual) === stringifyJson(expected);
}

function stringField(op: JsonObject, name: "path" | "from"): string | undefined {
  const value = op[name];
  return typeof value === "string" ? value : undefined;
}

function applyOperation(doc: JsonObject, op: JsonObject): void {
  const kind = typeof op.op === "string" ? op.op : "unknown";
  const path = stringField(op, "path");
  const from = stringField(op, "from");
  const value = op.value === undefined ? null : deepCopy(op.value);
  const missingPath = "operation missing path field: missing value";
  const missingFrom = "operation, missing from field: missing value";
  switch (kind) {
    case "add": {
      if (path === undefined) fail(`add operation failed to decode path: ${MISSING}`);
      const found =
        findObject(doc, path) ??
        fail(`add operation does not apply: doc is missing path: "${path}": ${MISSING}`);
      wrap(`error in add for path: '${path}'`, () => found[0].add(found[1], value));
      return;
    }
    case "remove": {
      if (path === undefined) fail(`remove operation failed to decode path: ${MISSING}`);
      const found =
        findObject(doc, path) ??
        fail(`remove operation does not apply: doc is missing path: "${path}": ${MISSING}`);
      wrap(`error in remove for path: '${path}'`, () => found[0].remove(found[1]));
      return;
    }
    case "replace": {
      if (path === undefined) fail(`replace operation failed to decode path: ${missingPath}`);
      const found =
        findObject(doc, path) ??
        fail(`replace operation does not apply: doc is missing path: ${path}: ${MISSING}`);
      wrap(
        "",
        () => found[0].get(found[1]),
        `replace operation does not apply: doc is missing key: ${path}: ${MISSING}`,
      );
      found[0].set(found[1], value);
      return;
    }
    case "move": {
      if (from === undefined) fail(`move operation failed to decode from: ${missingFrom}`);
      const source =
        findObject(doc, from) ??
        fail(`move operation does not apply: doc is missing from path: ${from}: ${MISSING}`);
      const moved = wrap(`error in move for path: '${source[1]}'`, () => source[0].get(source[1]));
      wrap(`error in move for path: '${source[1]}'`, () => source[0].remove(source[1]));
      if (path === undefined) fail(`move operation failed to decode path: ${missingPath}`);
      const target =
        findObject(doc, path) ??
        fail(`move operation does not apply: doc is missing destination path: ${path}: ${MISSING}`);
      wrap(`error in move for path: '${path}'`, () => target[0].add(target[1], moved ?? null));
      return;
    }
    case "test": {
      if (path === undefined) fail(`test operation failed to decode path: ${missingPath}`);
      const found =
        findObject(doc, path) ?? fail(`test operation does not apply: is missing path: ${path}: ${MISSING}`);
      const actual = wrap(`error in test for path: '${path}'`, () => found[0].get(found[1]));
      const failed = `testing value ${path} failed: ${TEST_FAILED}`;
      if (actual === undefined || actual === null) {
        if (value !== null) fail(failed);
        return;
      }
      if (!equalLikeLibrary(actual, value)) fail(failed);
      return;
    }
    case "copy": {
      if (from === undefined) fail(`copy operation failed to decode from: ${missingFrom}`);
      const source =
        findObject(doc, from) ??
        fail(`copy operation does not apply: doc is missing from path: ${from}: ${MISSING}`);
      const copied = wrap(`error in copy for from: '${from}'`, () => source[0].get(source[1]));
      if (path === undefined) fail(`copy operation failed to decode path: ${MISSING}`);
      const target =
        findObject(doc, path) ??
        fail(`copy operation does not apply: doc is missing destination path: ${path}: ${MISSING}`);
      wrap("error while adding value during copy", () => target[0].add(target[1], deepCopy(copied ?? null)));
      return;
    }
    default:
      fail(`Unexpected kind: ${kind}`);
  }
}

/** Runs `step`, prefixing a failure with `context` (or replacing it with `replacement`). */
function wrap<T>(context: string, step: () => T, replacement?: string): T {
  try {
    return step();
  } catch (err) {
    if (!(err instanceof ApplyError)) throw err;
    fail(replacement ?? `${context}: ${err.message}`);
  }
}

/** What kube-apiserver accepts as a JSON patch document; anything else is a 400 decode error. */
function decodeOperations(operations: unknown): JsonObject[] {
  if (!Array.isArray(operations)) {
    throw new PatchError(
      `json: cannot unmarshal ${goJsonType(operations)} into Go value of type jsonpatch.Patch`,
      400,
      "BadRequest",
    );
  }
  return operations.map((op) => {
    if (!isObject(op)) {
      throw new PatchError(
        `json: cannot unmarshal ${goJsonType(op)} into Go value of type jsonpatch.Operation`,
        400,
        "BadRequest",
      );
    }
    return op;
  });
}

/**
 * Applies a JSON patch and returns the result; `target` is not modified.
 * Throws PatchError: 400 when the operations do not decode, 422 with kube's generic message when
 * one does not apply (the library's reason is in `detail`).
 */
export function applyJsonPatch(target: JsonObject, operations: unknown): JsonObject {
  const ops = decodeOperations(operations);
  const doc = deepCopy(target);
  for (const op of ops) {
    try {
      applyOperation(doc, op);
    } catch (err) {
      if (err instanceof ApplyError)
        throw new PatchError(JSON_PATCH_REJECTED_MESSAGE, 422, "Invalid", err.message);
      throw err;
    }
  }
  return doc;
}
