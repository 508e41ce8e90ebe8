// Offline, a namespace's labels come only from the Namespaces in the files: a
// Service whose Namespace was left out is judged as if its namespace had no
// labels. That changes the answer only when some LoadBalancer pool selects
// namespaces by label, so only then is it worth a warning.
import { type IPPool, toPoolView } from "@lbipam/api";
import type { ClusterObjects } from "./state.js";

export interface MissingNamespacesOptions {
  /** Pools deleted before reconciling: their selectors no longer matter. */
  deletePools?: string[];
  /** Services added by the simulation, and their namespace. */
  addServices?: number;
  addNamespace?: string;
}

/** A selector that reads labels: not blank (which selects everything) and not all(). */
function readsLabels(selector: unknown): boolean {
  if (typeof selector !== "string") return false;
  const text = selector.trim();
  return text !== "" && text !== "all()";
}

/** LoadBalancer pools whose valid namespaceSelector reads labels, by name. */
export function labelSelectingPools(pools: readonly IPPool[], deleted: readonly string[] = []): string[] {
  const gone = new Set(deleted);
  return pools
    .filter((pool) => !gone.has(pool.metadata.name ?? "") && readsLabels(pool.spec?.namespaceSelector))
    .map(toPoolView)
    .filter((view) => view.loadBalancer && view.namespaceMatcher !== undefined)
    .map((view) => view.name)
    .sort();
}

/** Namespaces of LoadBalancer Services (given or added) with no Namespace object in the files. */
export function missingNamespaces(objects: ClusterObjects, options: MissingNamespacesOptions = {}): string[] {
  const given = new Set(objects.namespaces.map((namespace) => namespace.metadata.name ?? ""));
  const used = objects.services
    .filter((service) => service.spec?.type === "LoadBalancer")
    .map((service) => service.metadata.namespace ?? "default");
  if ((options.addServices ?? 0) > 0) used.push(options.addNamespace ?? "default");
  return [...new Set(used)].filter((namespace) => !given.has(namespace)).sort();
}

/**
 * The warning for Services whose Namespace was not given, when a pool selects
 * namespaces by label; undefined when the answer does not depend on it.
 */
export function missingNamespacesProblem(
  objects: ClusterObjects,
  options: MissingNamespacesOptions = {},
): string | undefined {
  const pools = labelSelectingPools(objects.pools, options.deletePools);
  if (pools.length === 0) return undefined;
  const missing = missingNamespaces(objects, options);
  if (missing.length === 0) return undefined;
  const one = missing.length === 1;
  return (
    `no Namespace given for ${one ? "namespace" : "namespaces"} ${missing.join(", ")}, ` +
    `which ${one ? "has" : "have"} LoadBalancer Services: ` +
    `the namespaceSelector of ${pools.length === 1 ? "pool" : "pools"} ${pools.join(", ")} ` +
    `is matched as if ${one ? "it had" : "they had"} no labels, so ${one ? "its" : "their"} Services ` +
    "may show as moving or waiting when they would not; add the Namespaces to the files " +
    "(kubectl get services,namespaces -A -o yaml)"
  );
}
