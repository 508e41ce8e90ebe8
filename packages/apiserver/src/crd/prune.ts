// Pruning of unknown fields, as kube-apiserver does before it stores a custom resource.

import { isJsonObject, type JsonObject } from "./json.js";
import type { JsonSchema } from "./types.js";

/** Fields every object (and embedded resource) keeps whatever its schema says. */
const TYPE_META_FIELDS = new Set(["apiVersion", "kind", "metadata"]);

/**
 * Removes, in place, the fields the schema does not know, and returns their paths
 * (`.spec.foo`, `.spec.items[0].bar`) in the order met.
 */
export function pruneUnknownFields(root: JsonObject, schema: JsonSchema): string[] {
  const pruned: string[] = [];
  pruneObject(root, schema, "", true, pruned);
  return pruned;
}

function prune(value: unknown, schema: JsonSchema, path: string, pruned: string[]): void {
  if (Array.isArray(value)) {
    const items = schema.items;
    if (items)
      value.forEach((item, i) => {
        prune(item, items, `${path}[${i}]`, pruned);
      });
    return;
  }
  if (isJsonObject(value))
    pruneObject(value, schema, path, schema["x-kubernetes-embedded-resource"] === true, pruned);
}

function pruneObject(
  object: JsonObject,
  schema: JsonSchema,
  path: string,
  keepTypeMeta: boolean,
  pruned: string[],
) {
  const preserve = schema["x-kubernetes-preserve-unknown-fields"] === true;
  const additional =
    typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined;
  for (const key of Object.keys(object)) {
    const childPath = `${path}.${key}`;
    const property = schema.properties?.[key];
    if (keepTypeMeta && TYPE_META_FIELDS.has(key) && !property) continue;
    if (property) {
      // ObjectMeta is pruned by its own decoder, not by the CRD schema.
      if (!(keepTypeMeta && key === "metadata")) prune(object[key], property, childPath, pruned);
    } else if (additional) {
      prune(object[key], additional, childPath, pruned);
    } else if (!preserve && schema.additionalProperties !== true) {
      delete object[key];
      pruned.push(childPath);
    }
  }
}
