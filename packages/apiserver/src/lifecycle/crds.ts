// CustomResourceDefinitions take effect as soon as they are stored: their versions are served
// (discovery, routing, openapi) and their status reports NamesAccepted and Established.
import { compileCrd, InvalidCrdError } from "../crd/index.js";
import type { ServerState } from "../operations/context.js";
import { customTypes } from "../registry/custom-type.js";
import type { AdmitRequest, AdmitResult, ResourceType } from "../registry/resource-type.js";
import { resourceKey } from "../registry/resource-type.js";
import type { KubeObject } from "../types.js";

/** Admission of a CRD: kube-apiserver's CRD validation, via the CRD engine. */
export function admitCrd({ object }: AdmitRequest): AdmitResult {
  try {
    compileCrd(object);
    return { object, causes: [], unknownFields: [] };
  } catch (error) {
    if (error instanceof InvalidCrdError) return { object, causes: error.causes, unknownFields: [] };
    throw error;
  }
}

function selectableFieldsOf(crd: KubeObject): (version: string) => string[] {
  const spec = (crd.spec ?? {}) as {
    versions?: { name?: string; selectableFields?: { jsonPath?: string }[] }[];
  };
  return (version) =>
    (spec.versions ?? [])
      .find((v) => v.name === version)
      ?.selectableFields?.map((f) => f.jsonPath ?? "")
      .filter((p) => p.length > 0) ?? [];
}

function condition(type: string, reason: string, message: string, now: string) {
  return { type, status: "True", lastTransitionTime: now, reason, message };
}

function establishedStatus(crd: KubeObject, storageVersion: string): Record<string, unknown> {
  const spec = (crd.spec ?? {}) as { names?: unknown };
  const previous = (crd.status ?? {}) as {
    conditions?: { lastTransitionTime?: string }[];
    storedVersions?: string[];
  };
  const now = previous.conditions?.[0]?.lastTransitionTime ?? crd.metadata?.creationTimestamp ?? "";
  const stored = previous.storedVersions ?? [];
  return {
    conditions: [
      condition("NamesAccepted", "NoConflicts", "no conflicts found", now),
      condition("Established", "InitialNamesAccepted", "the initial names have been accepted", now),
    ],
    acceptedNames: spec.names,
    storedVersions: stored.includes(storageVersion) ? stored : [...stored, storageVersion],
  };
}

/** Serves (or stops serving) the custom resources of a CRD after it was stored or deleted. */
export function crdWritten(
  state: ServerState,
  crdType: ResourceType,
  crd: KubeObject,
  deleted: boolean,
): void {
  const compiled = compileCrd(crd);
  state.registry.remove(compiled.group, compiled.names.plural);
  if (deleted) {
    state.store.removeAll(resourceKey({ group: compiled.group, resource: compiled.names.plural }));
    return;
  }
  for (const type of customTypes(compiled, selectableFieldsOf(crd))) state.registry.add(type);
  const status = establishedStatus(crd, compiled.storageVersion);
  if (JSON.stringify(status) !== JSON.stringify(crd.status))
    state.store.put(crdType.storeKey, { ...crd, status });
}
