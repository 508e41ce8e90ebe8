// ResourceTypes for the served versions of a compiled CRD. Every version reads and writes the
// same stored objects (conversion strategy None: only apiVersion changes).
import {
  type CompiledCrd,
  type CompiledCrdVersion,
  openApiV3Document,
  printerColumnCells,
} from "../crd/index.js";
import { customResourceFieldSelectorTable } from "../selectors/index.js";
import { NAME_COLUMN, type TableSpec } from "../tables/index.js";
import type { KubeObject } from "../types.js";
import { defineType } from "./define.js";
import type { ResourceType } from "./resource-type.js";

/** Name, then the version's printer columns (the CRD engine formats the cells, dates as ages). */
function printerTable(version: CompiledCrdVersion): TableSpec {
  return {
    columns: [
      NAME_COLUMN,
      ...version.printerColumns.map((c) => ({
        name: c.name,
        type: c.type,
        format: c.format ?? "",
        description: c.description ?? "",
        priority: c.priority,
      })),
    ],
    cells: (object, now) => [
      object.metadata?.name ?? "",
      ...printerColumnCells(version, object, now.getTime()),
    ],
  };
}

/** One ResourceType per served version; `selectableFields` maps a version to its JSON paths. */
export function customTypes(
  crd: CompiledCrd,
  selectableFields: (version: string) => string[],
): ResourceType[] {
  const namespaced = crd.scope === "Namespaced";
  return crd.versions
    .filter((v) => v.served)
    .map((version) => {
      const apiVersion = `${crd.group}/${version.name}`;
      const served = (object: KubeObject): KubeObject => ({ ...object, apiVersion, kind: crd.names.kind });
      return defineType(
        {
          group: crd.group,
          version: version.name,
          resource: crd.names.plural,
          kind: crd.names.kind,
          listKind: crd.names.listKind,
          singular: crd.names.singular,
          shortNames: crd.names.shortNames,
          categories: crd.names.categories,
          namespaced,
        },
        {
          custom: true,
          strategicSchema: undefined,
          hasStatus: version.hasStatusSubresource,
          tracksGeneration: true,
          allowUnconditionalUpdate: false,
          toStored: (object) => ({ ...object, apiVersion: `${crd.group}/${crd.storageVersion}` }),
          fromStored: (object) => served(version.applyDefaults(object)),
          admit: (request) => {
            const result = version.admit(request);
            return { ...result, unknownFields: result.unknownFields.map((p) => p.replace(/^\./, "")) };
          },
          table: printerTable(version),
          fieldSelectors: customResourceFieldSelectorTable(namespaced, selectableFields(version.name)),
          openApiDocument: () => openApiV3Document(crd, version.name),
        },
      );
    });
}
