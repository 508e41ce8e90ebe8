// `Table` answers for kubectl get (Accept: application/json;as=Table;g=meta.k8s.io;v=v1).
import type { IncomingMessage } from "node:http";
import { BadRequestError } from "../errors.js";
import type { ResourceType } from "../registry/resource-type.js";
import { type IncludeObject, parseIncludeObject, tableOf } from "../tables/index.js";
import type { KubeObject } from "../types.js";

export function wantsTable(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? "";
  return accept.split(",").some((part) => /;\s*as=Table/.test(part) && /;\s*g=meta\.k8s\.io/.test(part));
}

export function includeObjectParam(query: URLSearchParams): IncludeObject {
  try {
    return parseIncludeObject(query.get("includeObject"));
  } catch (error) {
    throw new BadRequestError(error instanceof Error ? error.message : String(error));
  }
}

export interface TableListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

/** A Table of objects of one resource; `withColumns` false leaves the column definitions out. */
export function toTable(
  type: ResourceType,
  objects: KubeObject[],
  listMeta: TableListMeta,
  include: IncludeObject,
  withColumns = true,
): Record<string, unknown> {
  return tableOf(type.table, objects, new Date(), {
    ...listMeta,
    includeObject: include,
    noHeaders: !withColumns,
  });
}
