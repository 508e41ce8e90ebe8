// Builds a ResourceType from the few things that differ between kinds; the rest is kube's
// default behaviour (no defaulting, identity storage form, metadata-only field selectors).
import { strategicSchemaFor } from "../patch/index.js";
import { builtinFieldSelectorTable, customResourceFieldSelectorTable } from "../selectors/index.js";
import { DEFAULT_TABLE } from "../tables/index.js";
import type { KubeObject } from "../types.js";
import { nameIsDnsSubdomain } from "../validation/index.js";
import { groupVersion, type ResourceNames, type ResourceType, resourceKey } from "./resource-type.js";

export function defineType(names: ResourceNames, overrides: Partial<ResourceType> = {}): ResourceType {
  const apiVersion = groupVersion(names);
  const served = (object: KubeObject): KubeObject => ({ ...object, apiVersion, kind: names.kind });
  return {
    ...names,
    storeKey: resourceKey(names),
    toStored: served,
    fromStored: served,
    hasStatus: false,
    custom: false,
    tracksGeneration: false,
    allowCreateOnUpdate: false,
    allowUnconditionalUpdate: true,
    validatesMetadata: false,
    nameValidator: nameIsDnsSubdomain,
    admit: ({ object }) => ({ object, causes: [], unknownFields: [] }),
    strategicSchema: strategicSchemaFor(names.group, names.version, names.kind),
    table: DEFAULT_TABLE,
    fieldSelectors:
      builtinFieldSelectorTable(names.group, names.version, names.kind) ??
      customResourceFieldSelectorTable(names.namespaced),
    openApiDocument: undefined,
    released: () => {},
    ...overrides,
  };
}
