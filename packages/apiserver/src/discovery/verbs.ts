// The verbs discovery advertises for a resource and its status subresource.
import type { ResourceType } from "../registry/resource-type.js";

const allVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
// kube-apiserver offers no deletecollection on namespaces.
const namespaceVerbs = ["create", "delete", "get", "list", "patch", "update", "watch"];
export const statusVerbs = ["get", "patch", "update"];

export function resourceVerbs(type: ResourceType): string[] {
  if (type.review) return ["create"];
  return type.group === "" && type.resource === "namespaces" ? namespaceVerbs : allVerbs;
}
