// The resource, group and name an error message names.
import type { ObjectRef } from "../errors.js";
import type { ResourceType } from "../registry/resource-type.js";

export function objectRef(type: ResourceType, name: string): ObjectRef {
  return { resource: type.resource, group: type.group, name };
}
