// The built-in resources the server serves besides custom resources.
import type { ServiceAllocators } from "../kinds/index.js";
import { admitCrd } from "../lifecycle/crds.js";
import { defineType } from "../registry/define.js";
import type { ResourceType } from "../registry/resource-type.js";
import { CUSTOM_RESOURCE_DEFINITION_TABLE } from "../tables/index.js";
import { eventTypes } from "./events.js";
import { leaseType } from "./leases.js";
import { namespaceType } from "./namespaces.js";
import { serviceType } from "./services.js";

export function builtinTypes(allocators: ServiceAllocators): ResourceType[] {
  const crds = defineType(
    {
      group: "apiextensions.k8s.io",
      version: "v1",
      resource: "customresourcedefinitions",
      kind: "CustomResourceDefinition",
      listKind: "CustomResourceDefinitionList",
      singular: "customresourcedefinition",
      shortNames: ["crd", "crds"],
      categories: ["api-extensions"],
      namespaced: false,
    },
    { hasStatus: true, tracksGeneration: true, admit: admitCrd, table: CUSTOM_RESOURCE_DEFINITION_TABLE },
  );
  return [serviceType(allocators), namespaceType(), ...eventTypes(), leaseType(), crds];
}
