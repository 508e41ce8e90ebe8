// Built-in kinds are Go structs in kube-apiserver: a field the struct does not have is dropped
// on decode and reported per fieldValidation, and times are parsed into time.Time. A FieldTree
// describes those structs' JSON fields.
import { normalizeTime, type TimeKind } from "../../operations/timestamp.js";

export interface FieldTree {
  /** An object with exactly these fields. */
  fields?: Record<string, FieldTree>;
  /** A list whose items follow this tree. */
  items?: FieldTree;
  /** A map whose values follow this tree. */
  values?: FieldTree;
  /** A metav1.Time or metav1.MicroTime: a string parsed and written again as Go does. */
  time?: TimeKind;
}

/** A leaf (string, number, boolean) or any value the struct keeps as raw JSON. */
export const scalar: FieldTree = {};
export const stringList: FieldTree = { items: scalar };
export const stringMap: FieldTree = { values: scalar };
export const time: FieldTree = { time: "Time" };
export const microTime: FieldTree = { time: "MicroTime" };

export const objectMeta: FieldTree = {
  fields: {
    name: scalar,
    generateName: scalar,
    namespace: scalar,
    selfLink: scalar,
    uid: scalar,
    resourceVersion: scalar,
    generation: scalar,
    creationTimestamp: time,
    deletionTimestamp: time,
    deletionGracePeriodSeconds: scalar,
    labels: stringMap,
    annotations: stringMap,
    ownerReferences: {
      items: {
        fields: {
          apiVersion: scalar,
          kind: scalar,
          name: scalar,
          uid: scalar,
          controller: scalar,
          blockOwnerDeletion: scalar,
        },
      },
    },
    finalizers: stringList,
    managedFields: { items: scalar },
  },
};

export const objectReference: FieldTree = {
  fields: {
    kind: scalar,
    namespace: scalar,
    name: scalar,
    uid: scalar,
    apiVersion: scalar,
    resourceVersion: scalar,
    fieldPath: scalar,
  },
};

export const condition: FieldTree = {
  fields: {
    type: scalar,
    status: scalar,
    observedGeneration: scalar,
    lastTransitionTime: time,
    reason: scalar,
    message: scalar,
  },
};

/** A top-level object: apiVersion, kind, metadata plus the kind's own fields. */
export function kindTree(own: Record<string, FieldTree>): FieldTree {
  return { fields: { apiVersion: scalar, kind: scalar, metadata: objectMeta, ...own } };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Reads `value` as the structs of `tree`: drops the fields `tree` does not know, returning the
 * pruned copy and the paths of what was dropped (`spec.foo`, `spec.ports[0].bar`) in the form
 * kube's strict decoder reports them, and writes each time as Go would after parsing it (throws
 * TimeParseError for one Go refuses).
 */
export function readAsStructs<T>(value: T, tree: FieldTree, path = ""): { value: T; unknown: string[] } {
  const unknown: string[] = [];
  const walk = (node: unknown, at: FieldTree, where: string): unknown => {
    if (at.time && typeof node === "string") return normalizeTime(node, at.time);
    if (at.fields && isObject(node)) {
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(node)) {
        const childTree = at.fields[key];
        const childPath = where ? `${where}.${key}` : key;
        if (childTree) out[key] = walk(child, childTree, childPath);
        else unknown.push(childPath);
      }
      return out;
    }
    if (at.items && Array.isArray(node))
      return node.map((item, i) => walk(item, at.items!, `${where}[${i}]`));
    if (at.values && isObject(node)) {
      return Object.fromEntries(
        Object.entries(node).map(([k, v]) => [k, walk(v, at.values!, `${where}.${k}`)]),
      );
    }
    return node;
  };
  const pruned = walk(value, tree, path) as T;
  return { value: pruned, unknown };
}
