// Strategic merge patch, following apimachinery's strategicpatch (MergeParallelList and
// IgnoreUnmatchedNulls on, as the server applies patches): merge keys and patch strategies come
// from a schema mirroring the Go types' `patchStrategy` / `patchMergeKey` tags.
import { PatchError } from "./errors.js";
import { deepCopy, goFormat, goJsonType, isObject, type JsonObject } from "./json.js";

/** Patch metadata of one field, as the Go struct tags declare it. */
export interface StrategicSchema {
  /** Fields of a struct. A field without metadata behaves as untagged: maps merge, lists are replaced. */
  fields?: Readonly<Record<string, StrategicSchema>>;
  /** The schema of a list's items or of a map's values. */
  items?: StrategicSchema;
  /** The `patchStrategy` tag; "replace" is the default for lists. */
  strategy?: "merge" | "replace" | "retainKeys" | "merge,retainKeys";
  /** The `patchMergeKey` tag of a merging list of objects. */
  mergeKey?: string;
}

const DIRECTIVE = "$patch";
const RETAIN_KEYS = "$retainKeys";
const SET_ELEMENT_ORDER = "$setElementOrder/";
const DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList/";

function childSchema(schema: StrategicSchema | undefined, key: string): StrategicSchema | undefined {
  return schema?.fields?.[key] ?? schema?.items;
}

function listStrategy(schema: StrategicSchema | undefined): "merge" | "replace" {
  return schema?.strategy?.split(",").includes("merge") ? "merge" : "replace";
}

/** Most strategicpatch errors reach the client as plain errors: 500 with reason Unknown. */
function invalid(message: string, status: 400 | 500 = 500): never {
  throw new PatchError(message, status, status === 400 ? "BadRequest" : "Unknown");
}

/** Drops null-valued keys from a value added wholesale (IgnoreUnmatchedNulls). */
function discardNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(discardNulls);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = discardNulls(v);
  return out;
}

/** A value added where the original had nothing must not keep patch directives. */
function removeDirectives(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.filter((v) => !(isObject(v) && v[DIRECTIVE] === "delete")).map(removeDirectives);
  }
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    if (
      k === DIRECTIVE ||
      k === RETAIN_KEYS ||
      k.startsWith(SET_ELEMENT_ORDER) ||
      k.startsWith(DELETE_FROM_PRIMITIVE_LIST)
    ) {
      continue;
    }
    out[k] = removeDirectives(v);
  }
  return out;
}

function sameItem(a: unknown, b: unknown, mergeKey: string | undefined): boolean {
  if (mergeKey !== undefined && isObject(a) && isObject(b))
    return JSON.stringify(a[mergeKey]) === JSON.stringify(b[mergeKey]);
  return JSON.stringify(a) === JSON.stringify(b);
}

function indexIn(list: readonly unknown[], item: unknown, mergeKey: string | undefined): number {
  return list.findIndex((candidate) => sameItem(candidate, item, mergeKey));
}

function requireMergeKey(item: unknown, mergeKey: string): JsonObject {
  if (!isObject(item) || !Object.hasOwn(item, mergeKey)) {
    invalid(`map: ${goFormat(item)} does not contain declared merge key: ${mergeKey}`);
  }
  return item;
}

/** Stable sort by position in `order`; items `order` lacks keep their place relative to each other. */
function sortByOrder(items: unknown[], order: readonly unknown[], mergeKey: string | undefined): unknown[] {
  const deleted = order.filter((o) => isObject(o) && o[DIRECTIVE] === "delete");
  const rank = (item: unknown) =>
    deleted.some((d) => sameItem(d, item, mergeKey)) ? -1 : indexIn(order, item, mergeKey);
  return [...items].sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    return ra >= 0 && rb >= 0 ? ra - rb : 0;
  });
}

/**
 * Interleaves server-only items into the patch-ordered items: a server-only item goes before
 * a patch item only when the live list had it before that item.
 */
function mergeSorted(
  serverOnly: unknown[],
  patchItems: unknown[],
  serverOrder: readonly unknown[],
  mergeKey?: string,
) {
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < patchItems.length) {
    if (i >= serverOnly.length) out.push(patchItems[j++]);
    else if (j >= patchItems.length) out.push(serverOnly[i++]);
    else {
      const li = indexIn(serverOrder, serverOnly[i], mergeKey);
      const ri = indexIn(serverOrder, patchItems[j], mergeKey);
      if (li >= 0 && ri >= 0 && li < ri) out.push(serverOnly[i++]);
      else out.push(patchItems[j++]);
    }
  }
  return out;
}

/** Puts a merged list in order: the patch's (or $setElementOrder's) order first, the live order for the rest. */
function enforceOrder(
  merged: unknown[],
  order: readonly unknown[],
  original: readonly unknown[],
  mergeKey?: string,
) {
  const key = merged.some(isObject) ? mergeKey : undefined;
  const inPatch = merged.filter((item) => indexIn(order, item, key) >= 0);
  const serverOnly = merged.filter((item) => indexIn(order, item, key) < 0);
  return mergeSorted(sortByOrder(serverOnly, original, key), sortByOrder(inPatch, order, key), original, key);
}

function dedupe(values: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const v of values) if (indexIn(out, v, undefined) < 0) out.push(v);
  return out;
}

function mergeList(
  original: unknown[],
  patch: unknown[],
  schema: StrategicSchema | undefined,
  deleteList: boolean,
  field: string,
): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const mergeKey = schema?.mergeKey;
  const ofMaps = [...original, ...patch].some(isObject);
  if (!ofMaps) {
    if (deleteList) return original.filter((v) => indexIn(patch, v, undefined) < 0);
    return enforceOrder(dedupe([...original, ...patch]), patch, original);
  }
  if (!mergeKey) invalid(`cannot merge lists without merge key for ${field}`);
  let base = original;
  let replace = false;
  const plain: JsonObject[] = [];
  for (const raw of patch) {
    const item = isObject(raw)
      ? raw
      : invalid(`map: ${goFormat(raw)} does not contain declared merge key: ${mergeKey}`);
    const directive = item[DIRECTIVE];
    if (directive === undefined) plain.push(item);
    else if (directive === "delete") {
      const key = requireMergeKey(item, mergeKey)[mergeKey];
      base = base.filter((o) => !(isObject(o) && JSON.stringify(o[mergeKey]) === JSON.stringify(key)));
    } else if (directive === "replace") replace = true;
    else if (directive === "merge") invalid("merging lists cannot yet be specified in the patch");
    else invalid(`unknown patch type: ${goFormat(directive)} in map: ${goFormat(item)}`);
  }
  if (replace) return plain.map(removeDirectives);
  const merged = [...base];
  for (const item of plain) {
    requireMergeKey(item, mergeKey);
    const at = merged.findIndex(
      (o) => isObject(o) && JSON.stringify(o[mergeKey]) === JSON.stringify(item[mergeKey]),
    );
    if (at >= 0) merged[at] = mergeMap(merged[at] as JsonObject, item, schema?.items);
    else merged.push(removeDirectives(discardNulls(item)));
  }
  return enforceOrder(merged, plain, base, mergeKey);
}

function mergeField(
  original: unknown,
  patch: unknown,
  schema: StrategicSchema | undefined,
  deleteList: boolean,
  field: string,
): unknown {
  if (Array.isArray(original) && Array.isArray(patch)) {
    if (deleteList || listStrategy(schema) === "merge")
      return mergeList(original, patch, schema, deleteList, field);
    return removeDirectives(patch);
  }
  if (isObject(original) && isObject(patch)) {
    return schema?.strategy === "replace" ? removeDirectives(patch) : mergeMap(original, patch, schema);
  }
  return removeDirectives(discardNulls(patch));
}

/** Lists named by `$setElementOrder/<field>` are merged here and then put in the given order. */
function mergeOrderedLists(
  original: JsonObject,
  patch: JsonObject,
  schema: StrategicSchema | undefined,
): void {
  for (const [directiveKey, order] of Object.entries(patch)) {
    if (!directiveKey.startsWith(SET_ELEMENT_ORDER)) continue;
    delete patch[directiveKey];
    const key = directiveKey.slice(SET_ELEMENT_ORDER.length);
    if (!Array.isArray(order)) invalid("invalid patch format of setElementOrder list", 400);
    const fieldSchema = childSchema(schema, key);
    const live = original[key];
    const patchList = patch[key];
    if (live === undefined && patchList === undefined) continue;
    if (
      (live !== undefined && !Array.isArray(live)) ||
      (patchList !== undefined && !Array.isArray(patchList))
    ) {
      invalid("invalid patch format of setElementOrder list", 400);
    }
    let merged: unknown[];
    if (patchList === undefined) merged = live as unknown[];
    else if (live === undefined) merged = removeDirectives(patchList) as unknown[];
    else merged = mergeField(live, patchList, fieldSchema, false, key) as unknown[];
    delete patch[key];
    original[key] = enforceOrder(merged, order, Array.isArray(live) ? live : [], fieldSchema?.mergeKey);
  }
}

function mergeMap(original: JsonObject, patch: JsonObject, schema: StrategicSchema | undefined): JsonObject {
  const directive = patch[DIRECTIVE];
  if (directive !== undefined) {
    if (directive === "replace") return removeDirectives(patch) as JsonObject;
    if (directive === "delete") return {};
    invalid(`unknown patch type: ${goFormat(directive)} in map: ${goFormat(patch)}`);
  }
  const result = deepCopy(original);
  const remaining = { ...patch };
  const retain = remaining[RETAIN_KEYS];
  if (retain !== undefined) {
    delete remaining[RETAIN_KEYS];
    if (!Array.isArray(retain)) invalid("invalid patch format of retainKeys", 400);
    for (const key of Object.keys(result)) if (!retain.includes(key)) delete result[key];
  }
  mergeOrderedLists(result, remaining, schema);
  for (const [rawKey, value] of Object.entries(remaining)) {
    const deleteList = rawKey.startsWith(DELETE_FROM_PRIMITIVE_LIST);
    const key = deleteList ? rawKey.slice(DELETE_FROM_PRIMITIVE_LIST.length) : rawKey;
    if (value === null) {
      delete result[key];
      continue;
    }
    if (!Object.hasOwn(result, key)) {
      if (!deleteList) result[key] = removeDirectives(discardNulls(value));
      continue;
    }
    const current = result[key];
    const sameShape =
      Array.isArray(current) === Array.isArray(value) && isObject(current) === isObject(value);
    if (!sameShape) {
      if (!deleteList) result[key] = removeDirectives(discardNulls(value));
      continue;
    }
    result[key] = mergeField(current, value, childSchema(schema, key), deleteList, key);
  }
  return result;
}

/**
 * Applies a strategic merge patch to an object and returns the result; `target` is not modified.
 * Throws PatchError with the status kube-apiserver answers for the failure.
 */
export function applyStrategicMergePatch(
  target: JsonObject,
  patch: unknown,
  schema: StrategicSchema,
): JsonObject {
  // The body is decoded into a map first: null decodes to an empty patch, other non-objects fail.
  if (patch === null) return deepCopy(target);
  if (!isObject(patch)) {
    invalid(`json: cannot unmarshal ${goJsonType(patch)} into Go value of type map[string]interface {}`, 400);
  }
  return mergeMap(target, deepCopy(patch), schema);
}
