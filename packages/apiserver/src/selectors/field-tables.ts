// Which fields each kind lets a client select on, and their values for one object:
// the field label conversion funcs and GetAttrs of kube-apiserver's registries.
import type { KubeObject } from "../types.js";
import { SelectorError } from "./errors.js";
import type { FieldRequirement } from "./fields.js";

export interface FieldSelectorTable {
  /** The field-set key a requested label stands for; throws SelectorError when the kind does not offer it. */
  convert(label: string): string;
  /** The selectable fields of a stored object. */
  fieldsOf(obj: KubeObject): Record<string, string>;
}

type Json = Record<string, unknown>;

function record(value: unknown): Json {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function metaFields(obj: KubeObject, namespaced: boolean): Record<string, string> {
  const fields: Record<string, string> = { "metadata.name": obj.metadata?.name ?? "" };
  if (namespaced) fields["metadata.namespace"] = obj.metadata?.namespace ?? "";
  return fields;
}

function unsupported(label: string): never {
  throw new SelectorError(`field label not supported: ${label}`);
}

/** runtime.DefaultMetaV1FieldSelectorConversion: kinds that register no conversion of their own. */
function defaultTable(namespaced: boolean): FieldSelectorTable {
  return {
    convert(label) {
      if (label === "metadata.name" || label === "metadata.namespace") return label;
      throw new SelectorError(
        `${JSON.stringify(label)} is not a known field selector: only "metadata.name", "metadata.namespace"`,
      );
    },
    fieldsOf: (obj) => metaFields(obj, namespaced),
  };
}

function explicitTable(
  labels: Record<string, string>,
  fieldsOf: (obj: KubeObject) => Record<string, string>,
) {
  return {
    convert: (label: string) => (Object.hasOwn(labels, label) ? labels[label]! : unsupported(label)),
    fieldsOf,
  } satisfies FieldSelectorTable;
}

function identity(...labels: string[]): Record<string, string> {
  return Object.fromEntries(labels.map((l) => [l, l]));
}

const serviceTable = explicitTable(
  identity("metadata.namespace", "metadata.name", "spec.clusterIP", "spec.type"),
  (obj) => {
    const spec = record(obj.spec);
    return { ...metaFields(obj, true), "spec.clusterIP": text(spec.clusterIP), "spec.type": text(spec.type) };
  },
);

const namespaceTable = explicitTable(identity("status.phase", "metadata.name"), (obj) => ({
  ...metaFields(obj, false),
  "status.phase": text(record(obj.status).phase),
}));

/** Event fields, read from either API's shape (the store may keep either). */
function eventFields(obj: KubeObject): Record<string, string> {
  const modern = obj.apiVersion === "events.k8s.io/v1";
  const involved = record(modern ? obj.regarding : obj.involvedObject);
  const source = record(modern ? obj.deprecatedSource : obj.source);
  const reportingController = text(modern ? obj.reportingController : obj.reportingComponent);
  return {
    ...metaFields(obj, true),
    "involvedObject.kind": text(involved.kind),
    "involvedObject.namespace": text(involved.namespace),
    "involvedObject.name": text(involved.name),
    "involvedObject.uid": text(involved.uid),
    "involvedObject.apiVersion": text(involved.apiVersion),
    "involvedObject.resourceVersion": text(involved.resourceVersion),
    "involvedObject.fieldPath": text(involved.fieldPath),
    reason: text(obj.reason),
    reportingComponent: reportingController,
    source: text(source.component) || reportingController,
    type: text(obj.type),
  };
}

const coreEventTable = explicitTable(
  identity(
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
    "metadata.namespace",
    "metadata.name",
  ),
  eventFields,
);

// events.k8s.io names its fields differently and maps them onto the core Event field set.
const eventsV1Table = explicitTable(
  {
    reason: "reason",
    "regarding.kind": "involvedObject.kind",
    "regarding.namespace": "involvedObject.namespace",
    "regarding.name": "involvedObject.name",
    "regarding.uid": "involvedObject.uid",
    "regarding.apiVersion": "involvedObject.apiVersion",
    "regarding.resourceVersion": "involvedObject.resourceVersion",
    "regarding.fieldPath": "involvedObject.fieldPath",
    reportingController: "reportingComponent",
    source: "source",
    type: "type",
    "metadata.namespace": "metadata.namespace",
    "metadata.name": "metadata.name",
  },
  eventFields,
);

/** The table of a built-in kind, by API group ("" for core), version and kind; undefined if not served here. */
export function builtinFieldSelectorTable(
  group: string,
  version: string,
  kind: string,
): FieldSelectorTable | undefined {
  switch (`${group}/${version}/${kind}`) {
    case "/v1/Service":
      return serviceTable;
    case "/v1/Namespace":
      return namespaceTable;
    case "/v1/Event":
      return coreEventTable;
    case "events.k8s.io/v1/Event":
      return eventsV1Table;
    case "coordination.k8s.io/v1/Lease":
      return defaultTable(true);
    case "apiextensions.k8s.io/v1/CustomResourceDefinition":
      return defaultTable(false);
    default:
      return undefined;
  }
}

function lookup(obj: unknown, path: string): unknown {
  let current: unknown = obj;
  for (const key of path.split(".")) current = record(current)[key];
  return current;
}

/**
 * Custom resources: metadata fields plus the CRD version's `selectableFields` (JSON paths such as
 * `.spec.color`, holding strings, booleans or integers).
 */
export function customResourceFieldSelectorTable(
  namespaced: boolean,
  selectableJsonPaths: readonly string[] = [],
): FieldSelectorTable {
  const extra = selectableJsonPaths.map((p) => p.replace(/^\./, ""));
  return explicitTable(identity("metadata.name", "metadata.namespace", ...extra), (obj) => {
    const fields = metaFields(obj, namespaced);
    for (const path of extra) {
      const value = lookup(obj, path);
      fields[path] =
        typeof value === "string" || typeof value === "number" || typeof value === "boolean"
          ? String(value)
          : "";
    }
    return fields;
  });
}

/** Checks every requirement against the kind's table and rewrites labels to field-set keys. */
export function convertFieldSelector(
  requirements: readonly FieldRequirement[],
  table: FieldSelectorTable,
): FieldRequirement[] {
  return requirements.map((r) => ({ ...r, field: table.convert(r.field) }));
}
