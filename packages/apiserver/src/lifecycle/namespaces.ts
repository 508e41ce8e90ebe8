// What the namespace controller does in a cluster: a Terminating namespace has its contents
// deleted; once it is empty its `kubernetes` finalizer goes and, with no finalizers left, so
// does the namespace. Objects held by finalizers keep it Terminating until they are gone.
import { finalizeNamespace, type Namespace, namespaceCanBeRemoved } from "../kinds/index.js";
import type { ServerState } from "../operations/context.js";
import { remove } from "../operations/removal.js";
import type { ResourceType } from "../registry/resource-type.js";
import type { KubeObject } from "../types.js";

export interface NamespaceLifecycle {
  namespaceWritten(namespace: KubeObject): void;
  objectRemoved(type: ResourceType, object: KubeObject): void;
}

export function namespaceLifecycle(state: ServerState, namespaces: ResourceType): NamespaceLifecycle {
  const draining = new Set<string>();
  const contents = (name: string) =>
    state.registry
      .all()
      .filter((t) => t.namespaced)
      .flatMap((type) => state.store.list(type.storeKey, name).map((object) => ({ type, object })));

  const drain = (name: string): void => {
    const namespace = state.store.get(namespaces.storeKey, "", name) as Namespace | undefined;
    if (!namespace?.metadata?.deletionTimestamp || draining.has(name)) return;
    draining.add(name);
    try {
      for (const { type, object } of contents(name)) {
        // Two resources may share a store (both Event APIs): the first one removes the object.
        if (
          object.metadata?.deletionTimestamp ||
          !state.store.get(type.storeKey, name, object.metadata?.name ?? "")
        )
          continue;
        remove(state, type, name, object.metadata?.name ?? "", {}, false);
      }
      if (contents(name).length > 0) return;
      const finalized = finalizeNamespace(namespace);
      if (namespaceCanBeRemoved(finalized)) state.store.remove(namespaces.storeKey, "", name, finalized);
      else if (JSON.stringify(finalized) !== JSON.stringify(namespace))
        state.store.put(namespaces.storeKey, finalized);
    } finally {
      draining.delete(name);
    }
  };

  return {
    namespaceWritten: (namespace) => drain(namespace.metadata?.name ?? ""),
    objectRemoved: (type, object) => {
      if (type.namespaced) drain(object.metadata?.namespace ?? "");
    },
  };
}
