// Admission of a custom resource: pruning, defaulting, schema validation, list-type
// invariants and CEL rules, in the order kube-apiserver applies them.

import type { FieldCause, KubeObject } from "../types.js";
import { evaluateRules, type RuleNode } from "./cel.js";
import { applyDefaults, dropNullsWithoutDefaults } from "./defaults.js";
import { invalidValue } from "./field-errors.js";
import { deepCopy, type JsonObject } from "./json.js";
import { pruneUnknownFields } from "./prune.js";
import type { AdmitInput, AdmitResult, JsonSchema } from "./types.js";
import { validateListTypes, validateValue } from "./validate.js";

/** Schema errors after which kube-apiserver does not run the CEL rules (it says so instead). */
const BLOCKING_REASONS = new Set<FieldCause["reason"]>([
  "FieldValueNotSupported",
  "FieldValueRequired",
  "FieldValueTooLong",
  "FieldValueTooMany",
  "FieldValueTypeInvalid",
]);

/** A defaulted copy of `object`, as kube-apiserver returns a stored object. */
export function withDefaults(object: KubeObject, schema: JsonSchema): KubeObject {
  const copy = deepCopy(object);
  applyDefaults(copy, schema);
  return copy;
}

/** Prunes, defaults and validates a copy of the input object, in kube-apiserver's order. */
export function admit(schema: JsonSchema, rules: RuleNode, input: AdmitInput): AdmitResult {
  const object = deepCopy(input.object);
  const unknownFields = pruneUnknownFields(object, schema);
  dropNullsWithoutDefaults(object, schema);
  applyDefaults(object, schema);
  const causes: FieldCause[] = [];
  validateValue(withoutMetadata(object), withoutMetadataSchema(schema), "", causes);
  validateListTypes(object, schema, "", causes);
  if (causes.some((cause) => BLOCKING_REASONS.has(cause.reason))) {
    causes.push(
      invalidValue(
        "<nil>",
        null,
        "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation",
      ),
    );
  } else {
    const old =
      input.operation === "update" && input.oldObject ? withDefaults(input.oldObject, schema) : undefined;
    evaluateRules(rules, object, old, causes);
  }
  return { object, causes, unknownFields };
}

/**
 * ObjectMeta is validated by the server core; of it, the CRD schema may only restrict name and
 * generateName (apiextensions-apiserver/pkg/apis/apiextensions/validation/validation.go allows no
 * more). kube-apiserver validates the whole object against the schema
 * (apiextensions-apiserver/pkg/registry/customresource/validator.go), so a schema that lists
 * `metadata` as required at the top, as Calico's CRDs do, holds for every object.
 */
const SCHEMA_METADATA_FIELDS = ["name", "generateName"] as const;

function withoutMetadata(object: KubeObject): JsonObject {
  const { metadata = {}, ...rest } = object;
  const visible: JsonObject = {};
  for (const key of SCHEMA_METADATA_FIELDS) {
    const value = (metadata as JsonObject)[key];
    if (value !== undefined) visible[key] = value;
  }
  return { ...rest, metadata: visible };
}

function withoutMetadataSchema(schema: JsonSchema): JsonSchema {
  const metadata = schema.properties?.metadata;
  if (!metadata) return schema;
  const properties: Record<string, JsonSchema> = {};
  for (const key of SCHEMA_METADATA_FIELDS) {
    const restriction = metadata.properties?.[key];
    if (restriction) properties[key] = restriction;
  }
  return { ...schema, properties: { ...schema.properties, metadata: { type: "object", properties } } };
}
