// get and list.
import { posix } from "node:path";
import { BadRequestError, GoneError, InvalidError, NotFoundError } from "../errors.js";
import { isPlainObject } from "../http/body.js";
import { queryInteger } from "../http/request-info.js";
import { groupVersion, type ResourceType } from "../registry/resource-type.js";
import { firstAfter, type ListSnapshot, listOrderKey, type SnapshotView } from "../storage/list-snapshots.js";
import { FRESHNESS_TIMEOUT_MS, tooLargeResourceVersion } from "../storage/store.js";
import type { FieldCause, KubeObject } from "../types.js";
import { forbidden } from "../validation/field.js";
import type { OperationContext, OperationResult } from "./context.js";
import { matchEverything, type ObjectFilter, selectionFilter } from "./selection.js";
import { includeObjectParam, type TableListMeta, toTable, wantsTable } from "./table.js";

export function getObject(ctx: OperationContext): OperationResult {
  const { type, request, state } = ctx;
  const stored = state.store.get(type.storeKey, type.namespaced ? request.namespace : "", request.name);
  if (!stored) throw new NotFoundError({ resource: type.resource, group: type.group, name: request.name });
  const object = type.fromStored(stored);
  if (wantsTable(ctx.req)) {
    const rv = object.metadata?.resourceVersion ?? "";
    return {
      status: 200,
      body: toTable(type, [object], { resourceVersion: rv }, includeObjectParam(ctx.query)),
    };
  }
  return { status: 200, body: object };
}

/** The version continue tokens carry (apiserver/pkg/storage/continue.go continueToken). */
const CONTINUE_VERSION = "meta.k8s.io/v1";

/** A continue token as continue.go EncodeContinue writes it: JSON {v, rv, start}, base64url unpadded. */
function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: CONTINUE_VERSION, rv, start })).toString("base64url");
}

/** etcd3 GetList's 400 for a token DecodeContinue refuses: "continue key is not valid", then why. */
function invalidContinue(why: string): BadRequestError {
  return new BadRequestError(`invalid continue token: continue key is not valid${why}`);
}

/** The type name Go's encoding/json gives a JSON value in "cannot unmarshal" errors. */
function goJsonKind(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (value === null) return "null";
  if (typeof value === "boolean") return "bool";
  return typeof value === "object" ? "object" : typeof value;
}

/** json.Unmarshal's refusal of a token field of the wrong type. */
function wrongFieldType(key: string, value: unknown, goType: string): BadRequestError {
  const kind = typeof value === "number" ? `number ${value}` : goJsonKind(value);
  return invalidContinue(
    `: json: cannot unmarshal ${kind} into Go struct field continueToken.${key} of type ${goType}`,
  );
}

/** A string field of the token as json.Unmarshal fills it: absent or null is "". */
function tokenString(token: Record<string, unknown>, key: string): string {
  const value = token[key] ?? "";
  if (typeof value !== "string") throw wrongFieldType(key, value, "string");
  return value;
}

/** An int64 field of the token as json.Unmarshal fills it: absent or null is 0. */
function tokenInteger(token: Record<string, unknown>, key: string): number {
  const value = token[key] ?? 0;
  if (typeof value !== "number" || !Number.isSafeInteger(value)) throw wrongFieldType(key, value, "int64");
  return value;
}

/** Raw (unpadded) base64url, as base64.RawURLEncoding reads it: Node's decoder skips bad characters. */
function decodeRawBase64Url(value: string): string {
  const bad = value.search(/[^A-Za-z0-9_-]/);
  const at = bad >= 0 ? bad : value.length % 4 === 1 ? value.length - 1 : -1;
  if (at >= 0) throw invalidContinue(`: illegal base64 data at input byte ${at}`);
  return Buffer.from(value, "base64url").toString("utf8");
}

/**
 * Reads a continue token as storage.DecodeContinue does (apiserver/pkg/storage/continue.go):
 * version meta.k8s.io/v1, a non-zero rv, a non-empty start key that path.Clean leaves as it is.
 * A negative rv asks for the latest version (etcd3/store.go GetList). JSON syntax errors carry
 * Node's wording after kube's prefix.
 */
function decodeContinue(value: string): { rv: number | undefined; start: string } {
  let token: unknown;
  try {
    token = JSON.parse(decodeRawBase64Url(value));
  } catch (error) {
    if (error instanceof BadRequestError) throw error;
    throw invalidContinue(`: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (token !== null && !isPlainObject(token))
    throw invalidContinue(
      `: json: cannot unmarshal ${goJsonKind(token)} into Go value of type storage.continueToken`,
    );
  const fields = (token ?? {}) as Record<string, unknown>;
  const version = tokenString(fields, "v");
  const rv = tokenInteger(fields, "rv");
  const start = tokenString(fields, "start");
  if (version !== CONTINUE_VERSION)
    throw invalidContinue(`: server does not recognize this encoded version ${version}`);
  if (rv === 0) throw invalidContinue(": incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
  if (start === "") throw invalidContinue(": encoded start key empty (version meta.k8s.io/v1)");
  const rooted = start.startsWith("/") ? start : `/${start}`;
  if (rooted !== posix.normalize(rooted) || (rooted.length > 1 && rooted.endsWith("/")))
    throw invalidContinue(`: ${start}`);
  return { rv: rv > 0 ? rv : undefined, start };
}

/**
 * ListOptions that ValidateListOptions refuses, as one 422 Invalid listing them all
 * (apimachinery/pkg/apis/meta/internalversion/validation/validation.go, called by handlers/get.go ListResource).
 */
function validateListOptions(rvParam: string, rvMatch: string, continueParam: string): void {
  if (!rvMatch) return;
  const causes: FieldCause[] = [];
  if (!rvParam)
    causes.push(
      forbidden(
        "resourceVersionMatch",
        "resourceVersionMatch is forbidden unless resourceVersion is provided",
      ),
    );
  if (continueParam)
    causes.push(
      forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"),
    );
  if (causes.length > 0) throw new InvalidError("ListOptions", "meta.k8s.io", "", causes);
}

function parseRv(value: string, parameter: string): number {
  if (!/^\d+$/.test(value))
    throw new BadRequestError(`${parameter}: Invalid value: "${value}": must be a non-negative integer`);
  return Number(value);
}

// Ids that tell resource types apart in snapshot views: two served versions of a CRD share the
// stored objects but may default them differently, so a selector may pick different ones.
const typeIds = new WeakMap<ResourceType, number>();
let nextTypeId = 0;

function typeId(type: ResourceType): number {
  let id = typeIds.get(type);
  if (id === undefined) {
    id = ++nextTypeId;
    typeIds.set(type, id);
  }
  return id;
}

/**
 * The stored objects a list request covers, sorted, at resourceVersion `at`. Without selectors
 * that is every object, so no object is converted before it is cut into the page; with them
 * the snapshot holds only the matching objects (selectors see the served form).
 */
function snapshotFor(
  ctx: OperationContext,
  namespace: string,
  at: number,
  filter: ObjectFilter,
): ListSnapshot {
  const { type, state, query } = ctx;
  let view: SnapshotView | undefined;
  if (filter !== matchEverything) {
    view = {
      id: `${typeId(type)}\u0000${query.get("labelSelector") ?? ""}\u0000${query.get("fieldSelector") ?? ""}`,
      matches: (stored) => filter(type.fromStored(stored)),
    };
  }
  return state.store.sortedListAt(type.storeKey, namespace, at, view);
}

/**
 * A list "not older than" a resourceVersion this store has not reached waits for it, and is
 * 504 Too large resource version if it does not come (storage/cacher/cacher.go GetList, then
 * watch_cache.go waitUntilFreshAndBlock). An Exact list, or one with a continue token, is
 * answered at once (cacher.go shouldDelegateList hands those to etcd3 storage).
 */
export async function listObjectsWhenFresh(ctx: OperationContext): Promise<OperationResult> {
  const { query, state } = ctx;
  const rvParam = query.get("resourceVersion") ?? "";
  const waits =
    /^\d+$/.test(rvParam) && query.get("resourceVersionMatch") !== "Exact" && !query.get("continue");
  const requested = waits ? Number(rvParam) : 0;
  if (requested > state.store.resourceVersion) {
    const fresh = await state.store.waitForResourceVersion(requested, FRESHNESS_TIMEOUT_MS);
    if (!fresh) throw tooLargeResourceVersion(requested, state.store.resourceVersion);
  }
  return listObjects(ctx);
}

export function listObjects(ctx: OperationContext): OperationResult {
  const { type, request, state, query } = ctx;
  const namespace = type.namespaced ? request.namespace : "";
  const rvParam = query.get("resourceVersion") ?? "";
  const rvMatch = query.get("resourceVersionMatch") ?? "";
  const limit = queryInteger(query, "limit") ?? 0;
  // A list has no use for timeoutSeconds, but a value that is not an integer is refused all the same.
  queryInteger(query, "timeoutSeconds");
  const continueParam = query.get("continue") ?? "";
  const filter = selectionFilter(type, query);
  let at = state.store.resourceVersion;
  let start = "";
  validateListOptions(rvParam, rvMatch, continueParam);
  if (continueParam) {
    // etcd3/store.go GetList: a continued list takes its version from the token only.
    if (rvParam && rvParam !== "0")
      throw new BadRequestError("specifying resource version is not allowed when using continue");
    const token = decodeContinue(continueParam);
    at = token.rv ?? at;
    start = token.start;
  } else if (rvMatch === "Exact") {
    at = parseRv(rvParam, "resourceVersion");
  } else if (rvParam) {
    parseRv(rvParam, "resourceVersion");
  }
  let snapshot: ListSnapshot;
  try {
    snapshot = snapshotFor(ctx, namespace, at, filter);
  } catch (error) {
    if (error instanceof GoneError && continueParam) {
      throw new GoneError(
        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.",
      );
    }
    throw error;
  }
  const from = firstAfter(snapshot.objects, start);
  const remaining = snapshot.objects.length - from;
  const paged = limit > 0 && remaining > limit;
  const end = paged ? from + limit : snapshot.objects.length;
  const items: KubeObject[] = [];
  for (let i = from; i < end; i++) items.push(type.fromStored(snapshot.objects[i]!));
  const listMeta: TableListMeta = { resourceVersion: String(at) };
  if (paged) {
    // Later pages of this list are cut from the same snapshot.
    state.store.keepSnapshot(snapshot);
    listMeta.continue = encodeContinue(at, listOrderKey(items[items.length - 1]!));
    listMeta.remainingItemCount = remaining - limit;
  }
  if (wantsTable(ctx.req))
    return { status: 200, body: toTable(type, items, listMeta, includeObjectParam(query)) };
  return {
    status: 200,
    body: { kind: type.listKind, apiVersion: groupVersion(type), metadata: listMeta, items },
  };
}
