// Namespaces: the `kubernetes` finalizer, the phase, the `kubernetes.io/metadata.name` label,
// and their validation, as kube-apiserver's namespace registry handles them.
import { kubeTimestamp } from "../operations/timestamp.js";
import type { FieldCause, KubeObject } from "../types.js";
import { invalid, invalidEach } from "../validation/field.js";
import {
  validateCoreObjectMeta,
  validateCoreObjectMetaUpdate,
  validateKubeFinalizerName,
} from "../validation/metadata.js";
import { isQualifiedName, nameIsDnsLabel } from "../validation/names.js";

export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";
export const KUBERNETES_FINALIZER = "kubernetes";

export interface Namespace extends KubeObject {
  spec?: { finalizers?: string[]; [key: string]: unknown };
  status?: { phase?: string; [key: string]: unknown };
}

/** The name label always follows the name (kube sets it on decode and again before storing). */
function withNameLabel(namespace: Namespace): Namespace {
  const name = namespace.metadata?.name;
  if (!name) return namespace;
  return {
    ...namespace,
    metadata: {
      ...namespace.metadata,
      labels: { ...namespace.metadata?.labels, [NAMESPACE_NAME_LABEL]: name },
    },
  };
}

/** On create: status is Active and spec.finalizers holds `kubernetes`. */
export function prepareNamespaceCreate(input: Namespace): Namespace {
  const finalizers = [...(input.spec?.finalizers ?? [])];
  if (!finalizers.includes(KUBERNETES_FINALIZER)) finalizers.push(KUBERNETES_FINALIZER);
  return withNameLabel({
    ...structuredClone(input),
    spec: { ...input.spec, finalizers },
    status: { phase: "Active" },
  });
}

/** On update through the main resource: spec.finalizers and status stay as stored. */
export function prepareNamespaceUpdate(input: Namespace, stored: Namespace): Namespace {
  const next = structuredClone(input);
  next.spec = { ...next.spec };
  if (stored.spec?.finalizers) next.spec.finalizers = [...stored.spec.finalizers];
  else delete next.spec.finalizers;
  next.status = structuredClone(stored.status ?? {});
  return withNameLabel(next);
}

/** On update through /status: only status changes. */
export function prepareNamespaceStatusUpdate(input: Namespace, stored: Namespace): Namespace {
  return withNameLabel({ ...structuredClone(input), spec: structuredClone(stored.spec ?? {}) });
}

/** On update through /finalize: only spec.finalizers changes. */
export function prepareNamespaceFinalize(input: Namespace, stored: Namespace): Namespace {
  return withNameLabel({
    ...structuredClone(stored),
    spec: { ...stored.spec, finalizers: [...(input.spec?.finalizers ?? [])] },
  });
}

/**
 * A DELETE of a namespace marks it: deletionTimestamp set and phase Terminating. It disappears once
 * its contents are gone and both spec.finalizers and metadata.finalizers are empty.
 */
export function markNamespaceTerminating(stored: Namespace, now: Date): Namespace {
  return {
    ...structuredClone(stored),
    metadata: {
      ...stored.metadata,
      deletionTimestamp: stored.metadata?.deletionTimestamp ?? kubeTimestamp(now),
    },
    status: { ...stored.status, phase: "Terminating" },
  };
}

/** What the namespace controller does once a terminating namespace is empty: drop the `kubernetes` finalizer. */
export function finalizeNamespace(stored: Namespace): Namespace {
  return {
    ...structuredClone(stored),
    spec: {
      ...stored.spec,
      finalizers: (stored.spec?.finalizers ?? []).filter((f) => f !== KUBERNETES_FINALIZER),
    },
  };
}

export function namespaceCanBeRemoved(namespace: Namespace): boolean {
  return (
    (namespace.spec?.finalizers?.length ?? 0) === 0 && (namespace.metadata?.finalizers?.length ?? 0) === 0
  );
}

function validateSpecFinalizers(finalizers: readonly string[] | undefined, indexed: boolean): FieldCause[] {
  const causes: FieldCause[] = [];
  (finalizers ?? []).forEach((finalizer, i) => {
    const field = indexed ? `spec.finalizers[${i}]` : "spec.finalizers";
    causes.push(...invalidEach(field, finalizer, isQualifiedName(finalizer)));
    causes.push(...validateKubeFinalizerName(finalizer, field));
  });
  return causes;
}

export function validateNamespace(namespace: Namespace): FieldCause[] {
  return [
    ...validateCoreObjectMeta(namespace.metadata, false, nameIsDnsLabel),
    ...validateSpecFinalizers(namespace.spec?.finalizers, false),
  ];
}

export function validateNamespaceUpdate(next: Namespace, prev: Namespace): FieldCause[] {
  return validateCoreObjectMetaUpdate(next.metadata, prev.metadata);
}

export function validateNamespaceStatusUpdate(next: Namespace, prev: Namespace): FieldCause[] {
  const causes = validateCoreObjectMetaUpdate(next.metadata, prev.metadata);
  const phase = next.status?.phase ?? "";
  // kube spells this path with a capital P.
  if (!next.metadata?.deletionTimestamp) {
    if (phase !== "Active")
      causes.push(invalid("status.Phase", phase, "may only be 'Active' if `deletionTimestamp` is empty"));
  } else if (phase !== "Terminating") {
    causes.push(
      invalid("status.Phase", phase, "may only be 'Terminating' if `deletionTimestamp` is not empty"),
    );
  }
  return causes;
}

export function validateNamespaceFinalize(next: Namespace, prev: Namespace): FieldCause[] {
  return [
    ...validateCoreObjectMetaUpdate(next.metadata, prev.metadata),
    ...validateSpecFinalizers(next.spec?.finalizers, true),
  ];
}
