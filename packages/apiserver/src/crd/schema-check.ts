// Checks a CRD version's schema the way kube-apiserver checks it before accepting the CRD:
// the structural-schema invariants this engine relies on, and defaults that validate.

import type { FieldCause } from "../types.js";
import { forbidden, invalidValue, notSupported, requiredValue } from "./field-errors.js";
import { pruneUnknownFields } from "./prune.js";
import type { JsonSchema } from "./types.js";
import { validateValue } from "./validate.js";

const SCHEMA_TYPES = ["array", "boolean", "integer", "number", "object", "string"];
const ROOT_METADATA_FIELDS = new Set(["name", "generateName"]);

/** Appends to `causes` what is wrong with `schema`, the `openAPIV3Schema` found at `path`. */
export function checkStructuralSchema(schema: JsonSchema, path: string, causes: FieldCause[]): void {
  if (schema.type !== "object")
    causes.push(invalidValue(`${path}.type`, schema.type ?? "", "must be object at the root"));
  const metadata = schema.properties?.metadata;
  if (metadata) {
    const extra = Object.keys(metadata.properties ?? {}).some((key) => !ROOT_METADATA_FIELDS.has(key));
    if (metadata.type !== "object" || extra) {
      causes.push(
        forbidden(
          `${path}.properties[metadata]`,
          "must not specify anything other than name and generateName, but metadata is implicitly specified",
        ),
      );
    }
  }
  checkNode(schema, path, "object fields", causes);
}

function checkNode(schema: JsonSchema, path: string, role: string, causes: FieldCause[]): void {
  const untyped =
    schema["x-kubernetes-int-or-string"] === true || schema["x-kubernetes-preserve-unknown-fields"] === true;
  if (schema.type === undefined || schema.type === "") {
    if (!untyped) causes.push(requiredValue(`${path}.type`, `must not be empty for specified ${role}`));
  } else if (!SCHEMA_TYPES.includes(schema.type)) {
    causes.push(notSupported(`${path}.type`, schema.type, SCHEMA_TYPES));
  }
  if (schema.type === "array" && !schema.items)
    causes.push(requiredValue(`${path}.items`, "must be specified"));
  if (schema.properties && schema.additionalProperties !== undefined) {
    causes.push(
      forbidden(`${path}.additionalProperties`, "additionalProperties and properties are mutual exclusive"),
    );
  }
  if (schema.default !== undefined) checkDefault(schema, `${path}.default`, causes);
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    checkNode(property, `${path}.properties[${key}]`, "object fields", causes);
  }
  if (typeof schema.additionalProperties === "object") {
    checkNode(schema.additionalProperties, `${path}.additionalProperties`, "object fields", causes);
  }
  if (schema.items) checkNode(schema.items, `${path}.items`, "array items", causes);
}

/** A default must be valid and must not hold fields pruning would drop. */
function checkDefault(schema: JsonSchema, path: string, causes: FieldCause[]): void {
  const wrapped = { value: structuredClone(schema.default) };
  const pruned = pruneUnknownFields(wrapped, { type: "object", properties: { value: schema } });
  if (pruned.length > 0) {
    causes.push(invalidValue(path, schema.default, `must not have unknown fields: ${pruned.join(", ")}`));
  }
  validateValue(schema.default, schema, path, causes);
}
