// get and list.
import { BadRequestError, GoneError, NotFoundError } from "../errors.js";
import { groupVersion } from "../registry/resource-type.js";
import type { KubeObject } from "../types.js";
import type { OperationContext, OperationResult } from "./context.js";
import { selectionFilter } from "./selection.js";
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

function sortKey(object: KubeObject): string {
  return `${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`;
}

function parseRv(value: string, parameter: string): number {
  if (!/^\d+$/.test(value))
    throw new BadRequestError(`${parameter}: Invalid value: "${value}": must be a non-negative integer`);
  return Number(value);
}

export function listObjects(ctx: OperationContext): OperationResult {
  const { type, request, state, query } = ctx;
  const namespace = type.namespaced ? request.namespace : "";
  const rvParam = query.get("resourceVersion") ?? "";
  const rvMatch = query.get("resourceVersionMatch") ?? "";
  const limitParam = query.get("limit");
  const limit = limitParam ? Number(limitParam) : 0;
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
  let stored: KubeObject[];
  try {
    stored = state.store.listAt(type.storeKey, namespace, at);
  } catch (error) {
    if (error instanceof GoneError && continueParam) {
      throw new GoneError(
        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.",
      );
    }
    throw error;
  }
  let items = stored.map((o) => type.fromStored(o)).filter(filter);
  items.sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
  if (start) items = items.filter((o) => sortKey(o) > start);
  const listMeta: TableListMeta = { resourceVersion: String(at) };
  if (limit > 0 && items.length > limit) {
    const last = items[limit - 1]!;
    listMeta.continue = encodeContinue({ rv: at, start: sortKey(last) });
    listMeta.remainingItemCount = items.length - limit;
    items = items.slice(0, limit);
  }
  if (wantsTable(ctx.req))
    return { status: 200, body: toTable(type, items, listMeta, includeObjectParam(query)) };
  return {
    status: 200,
    body: { kind: type.listKind, apiVersion: groupVersion(type), metadata: listMeta, items },
  };
}
