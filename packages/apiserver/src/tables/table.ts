// meta.k8s.io/v1 Table responses: column definitions, rows and the embedded objects.
import type { KubeObject } from "../types.js";

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  /** 0 for default columns; kubectl shows priority > 0 only with -o wide. */
  priority: number;
}

/** A kind's table: its columns and how one object fills them at a given time. */
export interface TableSpec {
  columns: TableColumnDefinition[];
  cells(object: KubeObject, now: Date): unknown[];
}

export type IncludeObject = "None" | "Metadata" | "Object";

/** Reads `includeObject` (Metadata when absent); throws with kube's 400 message for other values. */
export function parseIncludeObject(value: string | null | undefined): IncludeObject {
  if (value === null || value === undefined || value === "") return "Metadata";
  if (value === "None" || value === "Metadata" || value === "Object") return value;
  throw new Error(`unrecognized includeObject value: ${JSON.stringify(value)}`);
}

export interface TableRowInput {
  cells: unknown[];
  object: KubeObject;
}

export interface BuildTableOptions {
  columns: TableColumnDefinition[];
  rows: TableRowInput[];
  includeObject: IncludeObject;
  /** With `noHeaders` (TableOptions, as kubectl asks on watch events after the first) columns are left out. */
  noHeaders?: boolean;
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

function embedded(object: KubeObject, include: IncludeObject): unknown {
  if (include === "Object") return object;
  if (include === "Metadata") {
    return { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: object.metadata ?? {} };
  }
  return undefined;
}

/** A complete Table object from column definitions and rows of cells. */
export function buildTable(options: BuildTableOptions): Record<string, unknown> {
  const metadata: Record<string, unknown> = {};
  if (options.resourceVersion) metadata.resourceVersion = options.resourceVersion;
  if (options.continue) metadata.continue = options.continue;
  if (options.remainingItemCount !== undefined) metadata.remainingItemCount = options.remainingItemCount;
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata,
    columnDefinitions: options.noHeaders ? null : options.columns,
    rows: options.rows.map(({ cells, object }) => {
      const row: Record<string, unknown> = { cells };
      const obj = embedded(object, options.includeObject);
      if (obj !== undefined) row.object = obj;
      return row;
    }),
  };
}

/** Builds a Table for objects of one kind. */
export function tableOf(
  spec: TableSpec,
  objects: KubeObject[],
  now: Date,
  options: Omit<BuildTableOptions, "columns" | "rows">,
) {
  return buildTable({
    ...options,
    columns: spec.columns,
    rows: objects.map((object) => ({ cells: spec.cells(object, now), object })),
  });
}
