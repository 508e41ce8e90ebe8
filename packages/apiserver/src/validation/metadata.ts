// The ObjectMeta checks kube-apiserver applies to every object on create and update.
import type { FieldCause, ObjectMeta } from "../types.js";
import { forbidden, invalid, required, tooLong } from "./field.js";
import { isQualifiedName, isValidLabelValue, type NameValidator, nameIsDnsLabel } from "./names.js";

export const FIELD_IMMUTABLE = "field is immutable";
export const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES = 256 * 1024;

export function validateLabels(labels: Record<string, string> | undefined, field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const [key, value] of Object.entries(labels ?? {})) {
    for (const msg of isQualifiedName(key)) causes.push(invalid(field, key, msg));
    for (const msg of isValidLabelValue(value)) causes.push(invalid(field, value, msg));
  }
  return causes;
}

export function validateAnnotations(
  annotations: Record<string, string> | undefined,
  field: string,
): FieldCause[] {
  const causes: FieldCause[] = [];
  let size = 0;
  for (const [key, value] of Object.entries(annotations ?? {})) {
    // Annotation keys follow the label key rule except that case does not matter.
    for (const msg of isQualifiedName(key.toLowerCase())) causes.push(invalid(field, key, msg));
    size += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES)
    causes.push(tooLong(field, TOTAL_ANNOTATION_SIZE_LIMIT_BYTES));
  return causes;
}

const ORPHAN_FINALIZER = "orphan";
const FOREGROUND_FINALIZER = "foregroundDeletion";

export function validateFinalizers(finalizers: string[] | undefined, field: string): FieldCause[] {
  const list = finalizers ?? [];
  const causes: FieldCause[] = [];
  for (const finalizer of list) {
    for (const msg of isQualifiedName(finalizer)) causes.push(invalid(field, finalizer, msg));
  }
  if (list.includes(ORPHAN_FINALIZER) && list.includes(FOREGROUND_FINALIZER)) {
    causes.push(
      invalid(field, list, `finalizer ${ORPHAN_FINALIZER} and ${FOREGROUND_FINALIZER} cannot be both set`),
    );
  }
  return causes;
}

function stringField(ref: Record<string, unknown>, key: string): string {
  const value = ref[key];
  return typeof value === "string" ? value : "";
}

export function validateOwnerReferences(refs: unknown[] | undefined, field: string): FieldCause[] {
  const causes: FieldCause[] = [];
  let firstController = "";
  for (const raw of refs ?? []) {
    const ref = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
    const apiVersion = stringField(ref, "apiVersion");
    const kind = stringField(ref, "kind");
    const version = apiVersion.includes("/") ? apiVersion.slice(apiVersion.indexOf("/") + 1) : apiVersion;
    if (version.length === 0)
      causes.push(invalid(`${field}.apiVersion`, apiVersion, "version must not be empty"));
    if (kind.length === 0) causes.push(invalid(`${field}.kind`, kind, "must not be empty"));
    if (stringField(ref, "name").length === 0) causes.push(invalid(`${field}.name`, "", "must not be empty"));
    if (stringField(ref, "uid").length === 0) causes.push(invalid(`${field}.uid`, "", "must not be empty"));
    if (apiVersion === "v1" && kind === "Event") {
      causes.push(invalid(field, raw, "/v1, Kind=Event is disallowed from being an owner"));
    }
    if (ref.controller === true) {
      const current = `${kind}/${stringField(ref, "name")}`;
      if (firstController !== "") {
        causes.push(
          invalid(
            field,
            refs,
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${current}`,
          ),
        );
      } else {
        firstController = current;
      }
    }
  }
  return causes;
}

function validateCommon(meta: ObjectMeta): FieldCause[] {
  return [
    ...((meta.generation ?? 0) < 0
      ? [invalid("metadata.generation", meta.generation, "must be greater than or equal to 0")]
      : []),
    ...validateLabels(meta.labels, "metadata.labels"),
    ...validateAnnotations(meta.annotations, "metadata.annotations"),
    ...validateOwnerReferences(meta.ownerReferences, "metadata.ownerReferences"),
    ...validateFinalizers(meta.finalizers, "metadata.finalizers"),
  ];
}

/**
 * ObjectMeta validation on create, after the server has turned `generateName` into a name.
 * `nameValidator` is the kind's rule (DNS-1123 subdomain for most kinds, DNS-1035 label for Services).
 */
export function validateObjectMeta(
  meta: ObjectMeta | undefined,
  namespaced: boolean,
  nameValidator: NameValidator,
): FieldCause[] {
  const m = meta ?? {};
  const causes: FieldCause[] = [];
  if (m.generateName) {
    for (const msg of nameValidator(m.generateName, true)) {
      causes.push(invalid("metadata.generateName", m.generateName, msg));
    }
  }
  if (!m.name) causes.push(required("metadata.name", "name or generateName is required"));
  else for (const msg of nameValidator(m.name, false)) causes.push(invalid("metadata.name", m.name, msg));
  if (namespaced) {
    if (!m.namespace) causes.push(required("metadata.namespace"));
    else
      for (const msg of nameIsDnsLabel(m.namespace, false))
        causes.push(invalid("metadata.namespace", m.namespace, msg));
  } else if (m.namespace) {
    causes.push(forbidden("metadata.namespace", "not allowed on this type"));
  }
  return [...causes, ...validateCommon(m)];
}

function immutable(field: string, next: unknown, prev: unknown): FieldCause[] {
  return JSON.stringify(next ?? null) === JSON.stringify(prev ?? null)
    ? []
    : [invalid(field, next ?? null, FIELD_IMMUTABLE)];
}

/** ObjectMeta validation on update (`next` is the object as it would be stored). */
export function validateObjectMetaUpdate(
  next: ObjectMeta | undefined,
  prev: ObjectMeta | undefined,
): FieldCause[] {
  const n = next ?? {};
  const p = prev ?? {};
  const causes: FieldCause[] = [];
  if (p.deletionTimestamp) {
    const added = [...new Set(n.finalizers ?? [])].filter((f) => !(p.finalizers ?? []).includes(f)).sort();
    if (added.length > 0) {
      causes.push(
        forbidden(
          "metadata.finalizers",
          `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(", ")}}`,
        ),
      );
    }
  }
  if (!n.resourceVersion)
    causes.push(invalid("metadata.resourceVersion", "", "must be specified for an update"));
  if ((n.generation ?? 0) < (p.generation ?? 0)) {
    causes.push(invalid("metadata.generation", n.generation ?? 0, "must not be decremented"));
  }
  causes.push(
    ...immutable("metadata.name", n.name ?? "", p.name ?? ""),
    ...immutable("metadata.namespace", n.namespace ?? "", p.namespace ?? ""),
    ...immutable("metadata.uid", n.uid ?? "", p.uid ?? ""),
    ...immutable("metadata.creationTimestamp", n.creationTimestamp, p.creationTimestamp),
    ...immutable("metadata.deletionTimestamp", n.deletionTimestamp, p.deletionTimestamp),
    ...immutable(
      "metadata.deletionGracePeriodSeconds",
      n.deletionGracePeriodSeconds,
      p.deletionGracePeriodSeconds,
    ),
  );
  // Unlike create, an update does not re-check generation or finalizer names here.
  return [
    ...causes,
    ...validateLabels(n.labels, "metadata.labels"),
    ...validateAnnotations(n.annotations, "metadata.annotations"),
    ...validateOwnerReferences(n.ownerReferences, "metadata.ownerReferences"),
  ];
}

const STANDARD_FINALIZERS = ["kubernetes", ORPHAN_FINALIZER, FOREGROUND_FINALIZER];
const NOT_STANDARD_FINALIZER = "name is neither a standard finalizer name nor is it fully qualified";

/** Built-in kinds also refuse finalizers that are neither domain-qualified nor one of kube's own. */
export function validateKubeFinalizerName(finalizer: string, field: string): FieldCause[] {
  return finalizer.includes("/") || STANDARD_FINALIZERS.includes(finalizer)
    ? []
    : [invalid(field, finalizer, NOT_STANDARD_FINALIZER)];
}

function kubeFinalizerCauses(meta: ObjectMeta | undefined): FieldCause[] {
  return (meta?.finalizers ?? []).flatMap((f, i) =>
    validateKubeFinalizerName(f, `metadata.finalizers[${i}]`),
  );
}

/** ObjectMeta validation of the built-in (core) kinds on create. */
export function validateCoreObjectMeta(
  meta: ObjectMeta | undefined,
  namespaced: boolean,
  nameValidator: NameValidator,
): FieldCause[] {
  return [...validateObjectMeta(meta, namespaced, nameValidator), ...kubeFinalizerCauses(meta)];
}

/** ObjectMeta validation of the built-in (core) kinds on update. */
export function validateCoreObjectMetaUpdate(
  next: ObjectMeta | undefined,
  prev: ObjectMeta | undefined,
): FieldCause[] {
  return [...validateObjectMetaUpdate(next, prev), ...kubeFinalizerCauses(next)];
}

/** Custom resources accept short finalizer names but kube-apiserver warns about them (Warning headers). */
export function finalizerWarnings(meta: ObjectMeta | undefined): string[] {
  return (meta?.finalizers ?? []).flatMap((finalizer, i) => {
    const field = `metadata.finalizers[${i}]`;
    const warnings = isQualifiedName(finalizer).map((m) => `${field}: ${JSON.stringify(finalizer)}: ${m}`);
    if (!finalizer.includes("/") && !STANDARD_FINALIZERS.includes(finalizer)) {
      warnings.push(
        `${field}: ${JSON.stringify(finalizer)}: prefer a domain-qualified finalizer name to avoid accidental conflicts with other finalizer writers`,
      );
    }
    return warnings;
  });
}
