// Admission of one write: the decoder's unknown-field handling per fieldValidation, ObjectMeta
// checks, and the kind's defaulting and validation, failing with 400 or 422 as kube does.
import { BadRequestError, InvalidError } from "../errors.js";
import type { AdmitRequest, AdmitResult, ResourceType } from "../registry/resource-type.js";
import type { FieldCause } from "../types.js";
import { validateObjectMeta, validateObjectMetaUpdate } from "../validation/index.js";
import type { WriteOptions } from "./write-options.js";

function unknownFieldProblems(type: ResourceType, unknown: string[], options: WriteOptions): string[] {
  if (unknown.length === 0 || options.fieldValidation === "Ignore") return [];
  const problems = unknown.map((path) => `unknown field "${path}"`);
  if (options.fieldValidation === "Warn") return problems;
  const prefix = type.custom
    ? ""
    : `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: `;
  throw new BadRequestError(`${prefix}strict decoding error: ${problems.join(", ")}`);
}

export function throwIfInvalid(type: ResourceType, name: string, causes: FieldCause[]): void {
  if (causes.length > 0) throw new InvalidError(type.kind, type.group, name, causes);
}

export interface Admitted extends AdmitResult {
  warnings: string[];
}

/** ObjectMeta checks, unless the kind's admission makes them itself (built-in kinds do). */
function metadataCauses(type: ResourceType, request: AdmitRequest): FieldCause[] {
  if (type.validatesMetadata) return [];
  const meta = request.object.metadata;
  return request.oldObject
    ? validateObjectMetaUpdate(meta, request.oldObject.metadata)
    : validateObjectMeta(meta, type.namespaced, type.nameValidator);
}

/**
 * Runs the kind's admission; unknown fields are reported first, as kube's decoder does, then
 * every validation failure (metadata and the rest) together.
 */
export function admit(type: ResourceType, request: AdmitRequest, options: WriteOptions): Admitted {
  const name = request.object.metadata?.name ?? "";
  const metaCauses = metadataCauses(type, request);
  const admitted = type.admit(request);
  try {
    const warnings = [
      ...unknownFieldProblems(type, admitted.unknownFields, options),
      ...(admitted.warnings ?? []),
    ];
    throwIfInvalid(type, name, [...metaCauses, ...admitted.causes]);
    return { ...admitted, warnings };
  } catch (error) {
    admitted.revert?.();
    throw error;
  }
}
