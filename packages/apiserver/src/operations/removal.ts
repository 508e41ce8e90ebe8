// DELETE: preconditions, finalizers (mark with deletionTimestamp, remove when none are left)
// and kinds whose deletion a lifecycle finishes (namespaces).
import { ConflictError, NotFoundError } from "../errors.js";
import type { ResourceType } from "../registry/resource-type.js";
import type { KubeObject } from "../types.js";
import type { ServerState } from "./context.js";
import { objectRef } from "./object-ref.js";
import { kubeTimestamp } from "./timestamp.js";

/** What follows an object leaving the store: its allocations freed, lifecycle hooks run. */
export function finishRemoval(state: ServerState, type: ResourceType, deleted: KubeObject): void {
  type.released(deleted);
  state.afterWrite(type, deleted, true);
}

export interface DeletePreconditions {
  uid?: string;
  resourceVersion?: string;
}

/**
 * Deletes an object, or only marks it (deletionTimestamp) while finalizers remain.
 * Returns the object as it ends up, and whether it is gone.
 */
export function remove(
  state: ServerState,
  type: ResourceType,
  namespace: string,
  name: string,
  preconditions: DeletePreconditions,
  dryRun: boolean,
): { object: KubeObject; gone: boolean } {
  const ns = type.namespaced ? namespace : "";
  const stored = state.store.get(type.storeKey, ns, name);
  if (!stored) throw new NotFoundError(objectRef(type, name));
  const meta = stored.metadata ?? {};
  if (preconditions.uid && preconditions.uid !== meta.uid) {
    throw new ConflictError(
      objectRef(type, name),
      `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${meta.uid ?? ""}`,
    );
  }
  if (preconditions.resourceVersion && preconditions.resourceVersion !== meta.resourceVersion) {
    throw new ConflictError(
      objectRef(type, name),
      `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${meta.resourceVersion ?? ""}`,
    );
  }
  if (type.beginDeletion) {
    if (meta.deletionTimestamp || dryRun) return { object: type.fromStored(stored), gone: false };
    const marked = state.store.put(type.storeKey, type.beginDeletion(stored));
    state.afterWrite(type, marked, false);
    // The lifecycle hook may have finished the deletion already.
    const current = state.store.get(type.storeKey, ns, name);
    return { object: type.fromStored(current ?? marked), gone: current === undefined };
  }
  if ((meta.finalizers ?? []).length > 0) {
    if (meta.deletionTimestamp || dryRun) return { object: type.fromStored(stored), gone: false };
    const marked = state.store.put(type.storeKey, {
      ...stored,
      metadata: { ...meta, deletionTimestamp: kubeTimestamp(), deletionGracePeriodSeconds: 0 },
    });
    state.afterWrite(type, marked, false);
    return { object: type.fromStored(marked), gone: false };
  }
  if (dryRun) return { object: type.fromStored(stored), gone: true };
  const deleted = state.store.remove(type.storeKey, ns, name)!;
  finishRemoval(state, type, deleted);
  return { object: type.fromStored(deleted), gone: true };
}
