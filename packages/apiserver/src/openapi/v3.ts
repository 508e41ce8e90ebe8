// /openapi/v3: the index of group-versions and one document per group-version. kubectl reads
// it to learn that the server validates fields itself (the fieldValidation parameter on PATCH),
// and to find each kind's schema.
import { createHash } from "node:crypto";
import type { Registry } from "../registry/registry.js";
import type { ResourceType } from "../registry/resource-type.js";

/** The key under /openapi/v3/ of a group-version: `api/v1` or `apis/<group>/<version>`. */
export function openApiPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/** Definition names of built-in kinds as kube-apiserver spells them. */
function schemaName(type: ResourceType): string {
  if (type.group === "apiextensions.k8s.io")
    return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${type.version}.${type.kind}`;
  const groupPart = type.group === "" ? "core" : type.group.split(".")[0];
  return `io.k8s.api.${groupPart}.${type.version}.${type.kind}`;
}

function gvk(type: ResourceType) {
  return { group: type.group, version: type.version, kind: type.kind };
}

const queryParam = (name: string) => ({ name, in: "query", schema: { type: "string", uniqueItems: true } });

function jsonResponse(ref: string) {
  return { "200": { description: "OK", content: { "application/json": { schema: { $ref: ref } } } } };
}

function operations(type: ResourceType, ref: string) {
  const ext = { "x-kubernetes-group-version-kind": gvk(type) };
  const body = { content: { "application/json": { schema: { $ref: ref } } } };
  const writeParams = [queryParam("dryRun"), queryParam("fieldManager"), queryParam("fieldValidation")];
  // Strategic merge is left out on purpose: kubectl would then compute apply patches from these
  // (minimal) schemas; without it, kubectl uses its compiled-in types for built-in kinds.
  const patchTypes = [
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/apply-patch+yaml",
  ];
  const patchBody = {
    content: Object.fromEntries(patchTypes.map((t) => [t, { schema: { type: "object" } }])),
  };
  return {
    item: {
      get: { ...ext, "x-kubernetes-action": "get", responses: jsonResponse(ref) },
      put: {
        ...ext,
        "x-kubernetes-action": "put",
        parameters: writeParams,
        requestBody: body,
        responses: jsonResponse(ref),
      },
      patch: {
        ...ext,
        "x-kubernetes-action": "patch",
        parameters: [...writeParams, queryParam("force")],
        requestBody: patchBody,
        responses: jsonResponse(ref),
      },
      delete: { ...ext, "x-kubernetes-action": "delete", responses: jsonResponse(ref) },
    },
    collection: {
      get: { ...ext, "x-kubernetes-action": "list", responses: { "200": { description: "OK" } } },
      post: {
        ...ext,
        "x-kubernetes-action": "post",
        parameters: writeParams,
        requestBody: body,
        responses: jsonResponse(ref),
      },
    },
  };
}

function paths(type: ResourceType, ref: string): Record<string, unknown> {
  const base = `/${openApiPath(type.group, type.version)}${type.namespaced ? "/namespaces/{namespace}" : ""}/${type.resource}`;
  const ops = operations(type, ref);
  const result: Record<string, unknown> = { [base]: ops.collection, [`${base}/{name}`]: ops.item };
  if (type.hasStatus) result[`${base}/{name}/status`] = ops.item;
  return result;
}

export function openApiDocument(registry: Registry, group: string, version: string, serverVersion: string) {
  const types = registry.inGroupVersion(group, version);
  if (types.length === 0) return undefined;
  const schemas: Record<string, unknown> = {};
  let allPaths: Record<string, unknown> = {};
  for (const type of types) {
    const own = type.openApiDocument?.();
    if (own) {
      allPaths = { ...allPaths, ...(own.paths as Record<string, unknown>) };
      Object.assign(schemas, (own.components as { schemas: Record<string, unknown> }).schemas);
      continue;
    }
    const name = schemaName(type);
    schemas[name] = {
      type: "object",
      "x-kubernetes-preserve-unknown-fields": true,
      "x-kubernetes-group-version-kind": [gvk(type)],
    };
    allPaths = { ...allPaths, ...paths(type, `#/components/schemas/${name}`) };
  }
  return {
    openapi: "3.0.0",
    info: { title: "Kubernetes", version: serverVersion },
    paths: allPaths,
    components: { schemas },
  };
}

export function openApiIndex(registry: Registry, serverVersion: string) {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [group, versions] of registry.groups()) {
    for (const version of versions) {
      const key = openApiPath(group, version);
      const hash = createHash("sha256")
        .update(JSON.stringify(openApiDocument(registry, group, version, serverVersion)))
        .digest("hex")
        .toUpperCase();
      paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
    }
  }
  return { paths };
}
