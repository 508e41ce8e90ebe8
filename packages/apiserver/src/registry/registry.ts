// The set of served resources. Custom resources come and go at runtime as CRDs are created
// and deleted; discovery and routing read this registry on every request.
import type { ResourceType } from "./resource-type.js";
import { groupVersion } from "./resource-type.js";

export class Registry {
  private readonly byPath = new Map<string, ResourceType>();

  add(type: ResourceType): void {
    this.byPath.set(`${groupVersion(type)}/${type.resource}`, type);
  }

  remove(group: string, resource: string): void {
    for (const [key, type] of this.byPath) {
      if (type.group === group && type.resource === resource) this.byPath.delete(key);
    }
  }

  find(group: string, version: string, resource: string): ResourceType | undefined {
    return this.byPath.get(`${group ? `${group}/` : ""}${version}/${resource}`);
  }

  all(): ResourceType[] {
    return [...this.byPath.values()];
  }

  /** Groups with their versions, in registration order; the core group is "". */
  groups(): Map<string, string[]> {
    const groups = new Map<string, string[]>();
    for (const type of this.byPath.values()) {
      const versions = groups.get(type.group) ?? [];
      if (!versions.includes(type.version)) versions.push(type.version);
      groups.set(type.group, versions);
    }
    return groups;
  }

  inGroupVersion(group: string, version: string): ResourceType[] {
    return this.all().filter((t) => t.group === group && t.version === version);
  }
}
