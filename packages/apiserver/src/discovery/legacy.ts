// Legacy (unaggregated) discovery: /api, /apis, /api/v1, /apis/<group>, /apis/<group>/<version>.
import type { Registry } from "../registry/registry.js";
import type { ResourceType } from "../registry/resource-type.js";
import { resourceVerbs, statusVerbs } from "./verbs.js";

function groupEntry(name: string, versions: string[]) {
  const list = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions: list, preferredVersion: list[0] };
}

export function apiVersions(serverAddress: string) {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
  };
}

export function apiGroupList(registry: Registry) {
  const groups = [...registry.groups()].filter(([name]) => name !== "");
  return {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: groups.map(([name, versions]) => groupEntry(name, versions)),
  };
}

/** undefined when the group is not served. */
export function apiGroup(registry: Registry, group: string) {
  const versions = registry.groups().get(group);
  return versions ? { kind: "APIGroup", apiVersion: "v1", ...groupEntry(group, versions) } : undefined;
}

function resourceEntries(type: ResourceType) {
  const main = {
    name: type.resource,
    singularName: type.singular,
    namespaced: type.namespaced,
    kind: type.kind,
    verbs: resourceVerbs(type),
    ...(type.shortNames.length > 0 ? { shortNames: type.shortNames } : {}),
    ...(type.categories.length > 0 ? { categories: type.categories } : {}),
  };
  if (!type.hasStatus) return [main];
  const status = {
    name: `${type.resource}/status`,
    singularName: "",
    namespaced: type.namespaced,
    kind: type.kind,
    verbs: statusVerbs,
  };
  return [main, status];
}

/** undefined when the group/version is not served. */
export function apiResourceList(registry: Registry, group: string, version: string) {
  const types = registry.inGroupVersion(group, version);
  if (types.length === 0) return undefined;
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: group ? `${group}/${version}` : version,
    resources: types.flatMap(resourceEntries),
  };
}
