// Aggregated discovery (apidiscovery.k8s.io v2 and v2beta1): every group, version and resource
// in one answer, which kubectl asks for first.
import type { IncomingMessage } from "node:http";
import type { Registry } from "../registry/registry.js";
import type { ResourceType } from "../registry/resource-type.js";
import { resourceVerbs, statusVerbs } from "./verbs.js";

export type AggregatedVersion = "v2" | "v2beta1";

/** The aggregated discovery version the client accepts, if any (v2 preferred). */
export function acceptedAggregatedVersion(req: IncomingMessage): AggregatedVersion | undefined {
  const parts = (req.headers.accept ?? "").split(",");
  const offers = parts.filter((p) => /as=APIGroupDiscoveryList/.test(p) && /g=apidiscovery\.k8s\.io/.test(p));
  if (offers.some((p) => /;\s*v=v2(\s*;|\s*$)/.test(p))) return "v2";
  if (offers.some((p) => /;\s*v=v2beta1(\s*;|\s*$)/.test(p))) return "v2beta1";
  return undefined;
}

export function aggregatedContentType(version: AggregatedVersion): string {
  return `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
}

function resourceEntry(type: ResourceType) {
  const responseKind = { group: type.group, version: type.version, kind: type.kind };
  return {
    resource: type.resource,
    responseKind,
    scope: type.namespaced ? "Namespaced" : "Cluster",
    singularResource: type.singular,
    verbs: resourceVerbs(type),
    ...(type.shortNames.length > 0 ? { shortNames: type.shortNames } : {}),
    ...(type.categories.length > 0 ? { categories: type.categories } : {}),
    ...(type.hasStatus
      ? { subresources: [{ subresource: "status", responseKind, verbs: statusVerbs }] }
      : {}),
  };
}

/** `core` true answers /api (the core group), false answers /apis (every named group). */
export function aggregatedDiscovery(registry: Registry, version: AggregatedVersion, core: boolean) {
  const items = [...registry.groups()]
    .filter(([group]) => (group === "") === core)
    .map(([group, versions]) => ({
      metadata: { name: group },
      versions: versions.map((v) => ({
        version: v,
        resources: registry.inGroupVersion(group, v).map(resourceEntry),
        freshness: "Current",
      })),
    }));
  return { kind: "APIGroupDiscoveryList", apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}
