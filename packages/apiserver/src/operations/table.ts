// `Table` answers for kubectl get (Accept: application/json;as=Table;g=meta.k8s.io;v=v1).
import type { IncomingMessage } from "node:http";
import { BadRequestError } from "../errors.js";
import type { ResourceType } from "../registry/resource-type.js";
import type { KubeObject } from "../types.js";

export type IncludeObject = "None" | "Metadata" | "Object";

export function wantsTable(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? "";
  return accept.split(",").some((part) => /;\s*as=Table/.test(part) && /;\s*g=meta\.k8s\.io/.test(part));
}

export function includeObjectParam(query: URLSearchParams): IncludeObject {
  const value = query.get("includeObject") ?? "Metadata";
  if (value === "None" || value === "Metadata" || value === "Object") return value;
  throw new BadRequestError(`includeObject: unsupported value "${value}"`);
}

function rowObject(object: KubeObject, include: IncludeObject): unknown {
  if (include === "None") return undefined;
  if (include === "Object") return object;
  return { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: object.metadata };
}

export function toTable(
  type: ResourceType,
  objects: KubeObject[],
  listMeta: Record<string, unknown>,
  include: IncludeObject,
  withColumns = true,
): Record<string, unknown> {
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: listMeta,
    columnDefinitions: withColumns ? type.table.columns : [],
    rows: objects.map((object) => {
      const row: Record<string, unknown> = { cells: type.table.cells(object) };
      const embedded = rowObject(object, include);
      if (embedded !== undefined) row.object = embedded;
      return row;
    }),
  };
}
