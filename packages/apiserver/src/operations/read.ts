// get and list.
import { BadRequestError, GoneError, NotFoundError } from "../errors.js";
import { queryInteger } from "../http/request-info.js";
import { groupVersion, type ResourceType } from "../registry/resource-type.js";
import { firstAfter, type ListSnapshot, listOrderKey, type SnapshotView } from "../storage/list-snapshots.js";
import { FRESHNESS_TIMEOUT_MS, tooLargeResourceVersion } from "../storage/store.js";
import type { KubeObject } from "../types.js";
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

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify(token)).toString("base64url");
}

function decodeContinue(value: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(value, "base64url").toString("utf8")) as Partial<ContinueToken>;
    if (typeof parsed.rv === "number" && typeof parsed.start === "string")
      return { rv: parsed.rv, start: parsed.start };
  } catch {
    // Falls through to the error below.
  }
  throw new BadRequestError(
    "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)",
  );
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
  if (continueParam) {
    const token = decodeContinue(continueParam);
    at = token.rv;
    start = token.start;
  } else if (rvMatch === "Exact") {
    if (!rvParam)
      throw new BadRequestError(
        "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided",
      );
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
    listMeta.continue = encodeContinue({ rv: at, start: listOrderKey(items[items.length - 1]!) });
    listMeta.remainingItemCount = remaining - limit;
  }
  if (wantsTable(ctx.req))
    return { status: 200, body: toTable(type, items, listMeta, includeObjectParam(query)) };
  return {
    status: 200,
    body: { kind: type.listKind, apiVersion: groupVersion(type), metadata: listMeta, items },
  };
}
