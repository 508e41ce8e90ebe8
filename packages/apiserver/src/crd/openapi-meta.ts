// The apimachinery schemas a CRD's OpenAPI v3 document refers to (ObjectMeta, ListMeta,
// Patch, Status, DeleteOptions), reduced to what kubectl reads: field names and types.

import type { JsonSchema } from "./types.js";

export const META_PREFIX = "io.k8s.apimachinery.pkg.apis.meta.v1.";

const text = (description: string): JsonSchema => ({ type: "string", description });
const int64 = (description: string): JsonSchema => ({ type: "integer", format: "int64", description });
const time = (description: string): JsonSchema => ({ type: "string", format: "date-time", description });
const stringMap = (description: string): JsonSchema => ({
  type: "object",
  additionalProperties: { type: "string", default: "" },
  description,
});
const stringList = (description: string): JsonSchema => ({
  type: "array",
  items: { type: "string", default: "" },
  "x-kubernetes-list-type": "set",
  description,
});

export const metaSchemas: Record<string, JsonSchema> = {
  ObjectMeta: {
    type: "object",
    description: "Metadata every persisted object has.",
    properties: {
      name: text("Unique name of the object within its namespace (or the cluster)."),
      generateName: text("Prefix from which the server generates a unique name when name is empty."),
      namespace: text("Namespace of a namespaced object; empty for cluster-scoped objects."),
      uid: text("Unique identifier set by the server; never reused."),
      resourceVersion: text("Opaque version of the object, for optimistic concurrency and watches."),
      generation: int64("Sequence number of the desired state; bumped when spec changes."),
      creationTimestamp: time("When the server created the object (RFC 3339, UTC)."),
      deletionTimestamp: time("When the object is to be deleted; set by the server on a delete request."),
      deletionGracePeriodSeconds: int64("Seconds allowed for graceful termination before deletion."),
      labels: stringMap("Key/value pairs used to select objects."),
      annotations: stringMap("Key/value pairs for tools and controllers; not used for selection."),
      finalizers: stringList("Entries that must be removed before the object is deleted."),
      ownerReferences: {
        type: "array",
        description: "Objects this object depends on.",
        items: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
      },
      managedFields: {
        type: "array",
        description: "Which managers own which fields (server-side apply).",
        items: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
      },
    },
  },
  ListMeta: {
    type: "object",
    description: "Metadata of a list.",
    properties: {
      resourceVersion: text("Version of the list, for watching from this point."),
      continue: text("Token to fetch the next page, when the list was limited."),
      remainingItemCount: int64("Number of items after this page, when known."),
    },
  },
  Patch: { type: "object", description: "A patch document; its type is given by the Content-Type header." },
  Status: {
    type: "object",
    description: "The result of an operation that does not return an object.",
    properties: {
      apiVersion: text("APIVersion of this object (v1)."),
      kind: text("Kind of this object (Status)."),
      status: text("Success or Failure."),
      message: text("Human-readable description of the status."),
      reason: text("Machine-readable reason of a failure."),
      code: { type: "integer", format: "int32", description: "HTTP status code." },
      details: {
        type: "object",
        "x-kubernetes-preserve-unknown-fields": true,
        description: "Extra details.",
      },
    },
  },
  DeleteOptions: {
    type: "object",
    description: "Options of a delete request.",
    properties: {
      apiVersion: text("APIVersion of this object."),
      kind: text("Kind of this object (DeleteOptions)."),
      gracePeriodSeconds: int64("Seconds before the object is deleted."),
      propagationPolicy: text("Orphan, Background or Foreground."),
      dryRun: { type: "array", items: { type: "string", default: "" }, description: "All: do not persist." },
      preconditions: {
        type: "object",
        properties: { uid: text("Expected uid."), resourceVersion: text("Expected resourceVersion.") },
      },
    },
  },
};
