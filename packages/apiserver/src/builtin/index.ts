// The built-in resources the server serves besides custom resources.
import type { ServiceAllocators } from "../kinds/index.js";
import { admitCrd } from "../lifecycle/crds.js";
import { defineType } from "../registry/define.js";
import type { ResourceType } from "../registry/resource-type.js";
import { nameIsDnsLabel } from "../validation/index.js";
import { serviceType } from "./services.js";

export function builtinTypes(allocators: ServiceAllocators): ResourceType[] {
  const services = serviceType(allocators);
  const namespaces = defineType(
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
    { hasStatus: true, nameValidator: nameIsDnsLabel },
  );
  const coreEvents = defineType(
    {
      group: "",
      version: "v1",
      resource: "events",
      kind: "Event",
      listKind: "EventList",
      singular: "event",
      shortNames: ["ev"],
      categories: [],
      namespaced: true,
    },
    { allowCreateOnUpdate: true },
  );
  const events = defineType(
    {
      group: "events.k8s.io",
      version: "v1",
      resource: "events",
      kind: "Event",
      listKind: "EventList",
      singular: "event",
      shortNames: ["ev"],
      categories: [],
      namespaced: true,
    },
    { allowCreateOnUpdate: true, storeKey: coreEvents.storeKey },
  );
  const leases = defineType({
    group: "coordination.k8s.io",
    version: "v1",
    resource: "leases",
    kind: "Lease",
    listKind: "LeaseList",
    singular: "lease",
    shortNames: [],
    categories: [],
    namespaced: true,
  });
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
    { hasStatus: true, tracksGeneration: true, admit: admitCrd },
  );
  return [services, namespaces, coreEvents, events, leases, crds];
}
