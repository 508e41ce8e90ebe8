// create and update: system metadata, optimistic concurrency, the status subresource,
// generation, and removal when an update takes away the last finalizer of a deleted object.
import { randomUUID } from "node:crypto";
import {
  AlreadyExistsError,
  BadRequestError,
  ConflictError,
  NotFoundError,
  ResourceVersionOnCreateError,
  StatusError,
} from "../errors.js";
import type { ResourceType, Subresource } from "../registry/resource-type.js";
import type { KubeObject, ObjectMeta } from "../types.js";
import { generateName, validateObjectMetaUpdate } from "../validation/index.js";
import { admit, throwIfInvalid } from "./admission.js";
import type { ServerState } from "./context.js";
import { deepEqual } from "./deep-equal.js";
import { objectRef } from "./object-ref.js";
import { finishRemoval } from "./removal.js";
import { kubeTimestamp } from "./timestamp.js";
import type { WriteOptions } from "./write-options.js";

export interface WriteResult {
  object: KubeObject;
  warnings: string[];
  created: boolean;
}

function namespaceCheck(state: ServerState, type: ResourceType, namespace: string, name: string): void {
  if (!type.namespaced) return;
  const ns = state.store.get("namespaces", "", namespace);
  if (!ns) throw new NotFoundError({ resource: "namespaces", group: "", name: namespace });
  if (ns.metadata?.deletionTimestamp) {
    throw new StatusError(
      403,
      "Forbidden",
      `${type.group ? `${type.resource}.${type.group}` : type.resource} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
      { name, ...(type.group ? { group: type.group } : {}), kind: type.resource },
    );
  }
}

/** Everything but metadata and status: a change here bumps metadata.generation. */
function specPart(object: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = object;
  return rest;
}

function storedForm(type: ResourceType, object: KubeObject): KubeObject {
  return type.toStored(object);
}

export function create(
  state: ServerState,
  type: ResourceType,
  namespace: string,
  incoming: KubeObject,
  options: WriteOptions,
): WriteResult {
  const meta: ObjectMeta = { ...(incoming.metadata ?? {}) };
  if (type.namespaced) {
    if (meta.namespace && namespace && meta.namespace !== namespace) {
      throw new BadRequestError(
        "the namespace of the provided object does not match the namespace sent on the request",
      );
    }
    meta.namespace = namespace || meta.namespace || "";
  } else {
    delete meta.namespace;
  }
  if (!meta.name && meta.generateName) meta.name = generateName(meta.generateName);
  // An unparsable or zero resourceVersion is ignored, as kube's storage does.
  if (Number.parseInt(String(meta.resourceVersion ?? "0"), 10) > 0) throw new ResourceVersionOnCreateError();
  for (const key of [
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "generation",
    "selfLink",
  ]) {
    delete meta[key];
  }
  const name = meta.name ?? "";
  let object: KubeObject = { ...incoming, apiVersion: incoming.apiVersion, kind: type.kind, metadata: meta };
  // The status of a new object is not the client's to set when status is a subresource.
  if (type.hasStatus) delete object.status;
  namespaceCheck(state, type, meta.namespace ?? "", name);
  const admitted = admit(type, { object, operation: "create", subresource: "" }, options);
  if (state.store.get(type.storeKey, meta.namespace ?? "", name)) {
    admitted.revert?.();
    throw new AlreadyExistsError(objectRef(type, name));
  }
  object = {
    ...admitted.object,
    metadata: {
      ...admitted.object.metadata,
      uid: randomUUID(),
      creationTimestamp: kubeTimestamp(),
      ...(type.tracksGeneration ? { generation: 1 } : {}),
    },
  };
  if (options.dryRun) {
    admitted.revert?.();
    return { object, warnings: admitted.warnings, created: true };
  }
  const stored = state.store.put(type.storeKey, storedForm(type, object));
  admitted.commit?.();
  state.afterWrite(type, stored, false);
  return { object: type.fromStored(stored), warnings: admitted.warnings, created: true };
}

/**
 * Replaces an object (PUT, or the result of a patch). `incoming` is in the served form.
 * The main resource keeps the stored status; the status subresource changes only status.
 */
export function update(
  state: ServerState,
  type: ResourceType,
  namespace: string,
  name: string,
  incoming: KubeObject,
  subresource: Subresource,
  options: WriteOptions,
): WriteResult {
  const ns = type.namespaced ? namespace : "";
  const storedOld = state.store.get(type.storeKey, ns, name);
  const incomingName = incoming.metadata?.name;
  if (incomingName !== undefined && incomingName !== name) {
    throw new BadRequestError(
      `the name of the object (${incomingName}) does not match the name on the URL (${name})`,
    );
  }
  if (!storedOld) {
    if (type.allowCreateOnUpdate && subresource === "") {
      return create(state, type, ns, { ...incoming, metadata: { ...incoming.metadata, name } }, options);
    }
    throw new NotFoundError(objectRef(type, name));
  }
  const old = type.fromStored(storedOld);
  const oldMeta = old.metadata ?? {};
  const requestedRv = incoming.metadata?.resourceVersion;
  if (requestedRv && requestedRv !== oldMeta.resourceVersion) throw new ConflictError(objectRef(type, name));
  if (!requestedRv && !type.allowUnconditionalUpdate) {
    throwIfInvalid(
      type,
      name,
      validateObjectMetaUpdate({ ...incoming.metadata, resourceVersion: "" }, oldMeta),
    );
  }
  let next: KubeObject;
  if (subresource === "status") {
    next = { ...old, metadata: { ...oldMeta } };
    if (incoming.status === undefined) delete next.status;
    else next.status = incoming.status;
  } else {
    const meta: ObjectMeta = {
      ...(incoming.metadata ?? {}),
      name,
      uid: oldMeta.uid,
      creationTimestamp: oldMeta.creationTimestamp,
      resourceVersion: oldMeta.resourceVersion,
    };
    if (type.namespaced) meta.namespace = ns;
    else delete meta.namespace;
    for (const key of ["deletionTimestamp", "deletionGracePeriodSeconds", "generation"] as const) {
      if (oldMeta[key] === undefined) delete meta[key];
      else meta[key] = oldMeta[key] as never;
    }
    delete meta.managedFields;
    next = { ...incoming, apiVersion: old.apiVersion, kind: type.kind, metadata: meta };
    if (type.hasStatus) {
      if (old.status === undefined) delete next.status;
      else next.status = old.status;
    }
  }
  const admitted = admit(type, { object: next, oldObject: old, operation: "update", subresource }, options);
  const { warnings } = admitted;
  next = admitted.object;
  if (deepEqual(next, old)) {
    admitted.revert?.();
    return { object: old, warnings, created: false };
  }
  if (type.tracksGeneration && !deepEqual(specPart(next), specPart(old))) {
    next = { ...next, metadata: { ...next.metadata, generation: (oldMeta.generation ?? 1) + 1 } };
  }
  if (options.dryRun) {
    admitted.revert?.();
    return { object: next, warnings, created: false };
  }
  if (
    !type.beginDeletion &&
    next.metadata?.deletionTimestamp &&
    (next.metadata.finalizers ?? []).length === 0
  ) {
    // The last finalizer is gone: the pending deletion completes now.
    admitted.commit?.();
    const deleted = state.store.remove(type.storeKey, ns, name, storedForm(type, next))!;
    finishRemoval(state, type, deleted);
    return { object: type.fromStored(deleted), warnings, created: false };
  }
  const stored = state.store.put(type.storeKey, storedForm(type, next));
  admitted.commit?.();
  state.afterWrite(type, stored, false);
  return { object: type.fromStored(stored), warnings, created: false };
}
