// Deleting a namespace deletes what it contains (the namespace controller's job in a cluster).
import type { ServerState } from "../operations/context.js";
import { remove } from "../operations/writer.js";

export function namespaceDeleted(state: ServerState, namespace: string): void {
  for (const type of state.registry.all()) {
    if (!type.namespaced) continue;
    for (const object of state.store.list(type.storeKey, namespace)) {
      // Two resources may share a store (both Event APIs): the first one removes it.
      if (!state.store.get(type.storeKey, namespace, object.metadata?.name ?? "")) continue;
      remove(state, type, namespace, object.metadata?.name ?? "", {}, false);
    }
  }
}
