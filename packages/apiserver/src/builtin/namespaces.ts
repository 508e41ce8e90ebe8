// Core v1 Namespaces: phase, the `kubernetes` finalizer and the name label (from kinds/). A
// DELETE only marks a namespace Terminating; lifecycle/namespaces.ts empties and removes it.
import {
  markNamespaceTerminating,
  type Namespace,
  prepareNamespaceCreate,
  prepareNamespaceStatusUpdate,
  prepareNamespaceUpdate,
  validateNamespace,
  validateNamespaceStatusUpdate,
  validateNamespaceUpdate,
} from "../kinds/index.js";
import { defineType } from "../registry/define.js";
import type { AdmitRequest, AdmitResult, ResourceType } from "../registry/resource-type.js";
import { NAMESPACE_TABLE } from "../tables/index.js";
import { nameIsDnsLabel } from "../validation/index.js";
import { withKnownFields } from "./fields/admit.js";
import { namespaceFields } from "./fields/kinds.js";

function admitNamespace({ object, oldObject, subresource }: AdmitRequest): AdmitResult {
  const input = object as Namespace;
  if (!oldObject) {
    const prepared = prepareNamespaceCreate(input);
    return { object: prepared, causes: validateNamespace(prepared), unknownFields: [] };
  }
  const stored = oldObject as Namespace;
  if (subresource === "status") {
    const prepared = prepareNamespaceStatusUpdate(input, stored);
    return { object: prepared, causes: validateNamespaceStatusUpdate(prepared, stored), unknownFields: [] };
  }
  const prepared = prepareNamespaceUpdate(input, stored);
  return { object: prepared, causes: validateNamespaceUpdate(prepared, stored), unknownFields: [] };
}

export function namespaceType(): ResourceType {
  return defineType(
    {
      group: "",
      version: "v1",
      resource: "namespaces",
      kind: "Namespace",
      listKind: "NamespaceList",
      singular: "namespace",
      shortNames: ["ns"],
      categories: [],
      namespaced: false,
    },
    {
      hasStatus: true,
      validatesMetadata: true,
      nameValidator: nameIsDnsLabel,
      admit: withKnownFields(namespaceFields, admitNamespace),
      beginDeletion: (stored) => markNamespaceTerminating(stored as Namespace, new Date()),
      table: NAMESPACE_TABLE,
    },
  );
}
