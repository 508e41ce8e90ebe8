// compileCrd: checks a CustomResourceDefinition as kube-apiserver would before serving it,
// and prepares each version's admission (pruning, defaulting, validation, CEL rules).

import type { FieldCause, KubeObject } from "../types.js";
import { compileRules, evaluateRules, type RuleNode } from "./cel.js";
import { applyDefaults, dropNullsWithoutDefaults } from "./defaults.js";
import { InvalidCrdError } from "./errors.js";
import { invalidValue, notSupported, requiredValue } from "./field-errors.js";
import { deepCopy, isJsonObject, type JsonObject } from "./json.js";
import { parseJsonPath } from "./jsonpath.js";
import { pruneUnknownFields } from "./prune.js";
import { checkStructuralSchema } from "./schema-check.js";
import type {
  AdmitInput,
  AdmitResult,
  CompiledCrd,
  CompiledCrdVersion,
  JsonSchema,
  PrinterColumn,
} from "./types.js";
import { validateListTypes, validateValue } from "./validate.js";

const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_MESSAGE =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, " +
  "and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is " +
  "'[a-z]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end " +
  "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is " +
  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const COLUMN_TYPES = ["boolean", "date", "integer", "number", "string"];
const SCOPES = ["Cluster", "Namespaced"];

/** Errors of CEL, schema validation and list types that stop CEL rules from running, as in kube-apiserver. */
const BLOCKING_REASONS = new Set<FieldCause["reason"]>([
  "FieldValueNotSupported",
  "FieldValueRequired",
  "FieldValueTooLong",
  "FieldValueTooMany",
  "FieldValueTypeInvalid",
]);

/** Checks a CustomResourceDefinition (apiextensions.k8s.io/v1) and compiles its versions; throws InvalidCrdError. */
export function compileCrd(crd: KubeObject): CompiledCrd {
  const causes: FieldCause[] = [];
  const spec = isJsonObject(crd.spec) ? crd.spec : {};
  const group = text(spec.group);
  const names = isJsonObject(spec.names) ? spec.names : {};
  const kind = text(names.kind);
  const plural = text(names.plural);
  const compiledNames = {
    plural,
    kind,
    singular: text(names.singular) || kind.toLowerCase(),
    listKind: text(names.listKind) || `${kind}List`,
    shortNames: stringList(names.shortNames),
    categories: stringList(names.categories),
  };
  const crdName = crd.metadata?.name ?? "";
  checkNames(crdName, group, compiledNames, causes);
  const scope = text(spec.scope);
  if (scope === "") causes.push(requiredValue("spec.scope"));
  else if (!SCOPES.includes(scope)) causes.push(notSupported("spec.scope", scope, SCOPES));

  const rawVersions = Array.isArray(spec.versions) ? spec.versions.filter(isJsonObject) : [];
  if (rawVersions.length === 0) causes.push(requiredValue("spec.versions", "must have at least one version"));
  const versionNames = rawVersions.map((version) => text(version.name));
  if (new Set(versionNames).size !== versionNames.length) {
    causes.push(invalidValue("spec.versions", versionNames, "must contain unique version names"));
  }
  if (rawVersions.length > 0 && rawVersions.filter((version) => version.storage === true).length !== 1) {
    causes.push(
      invalidValue("spec.versions", versionNames, "must have exactly one version marked as storage version"),
    );
  }
  const versions = rawVersions.map((version, i) => compileVersion(version, `spec.versions[${i}]`, causes));
  if (causes.length > 0) throw new InvalidCrdError(crdName, causes);
  return {
    name: crdName,
    group,
    scope: scope as CompiledCrd["scope"],
    names: compiledNames,
    versions,
    storageVersion: versions.find((version) => version.storage)!.name,
  };
}

function checkNames(
  crdName: string,
  group: string,
  names: { plural: string; singular: string; kind: string; listKind: string; shortNames: string[] },
  causes: FieldCause[],
): void {
  if (group === "") causes.push(requiredValue("spec.group"));
  else if (!group.includes("."))
    causes.push(invalidValue("spec.group", group, "should be a domain with at least one dot"));
  if (crdName !== `${names.plural}.${group}`) {
    causes.push(invalidValue("metadata.name", crdName, 'must be spec.names.plural+"."+spec.group'));
  }
  for (const field of ["plural", "singular"] as const) {
    const value = names[field];
    if (value === "") causes.push(requiredValue(`spec.names.${field}`));
    else if (!DNS1123_LABEL.test(value))
      causes.push(invalidValue(`spec.names.${field}`, value, DNS1123_MESSAGE));
  }
  if (names.kind === "") causes.push(requiredValue("spec.names.kind"));
  else if (!DNS1035_LABEL.test(names.kind.toLowerCase())) {
    causes.push(invalidValue("spec.names.kind", names.kind, DNS1035_MESSAGE));
  }
  if (names.kind !== "" && names.listKind === names.kind) {
    causes.push(invalidValue("spec.names.listKind", names.listKind, "kind and listKind may not be the same"));
  }
  names.shortNames.forEach((shortName, i) => {
    if (!DNS1035_LABEL.test(shortName)) {
      causes.push(invalidValue(`spec.names.shortNames[${i}]`, shortName, DNS1035_MESSAGE));
    }
  });
}

function compileVersion(raw: JsonObject, path: string, causes: FieldCause[]): CompiledCrdVersion {
  const name = text(raw.name);
  if (name === "") causes.push(requiredValue(`${path}.name`));
  else if (!DNS1035_LABEL.test(name)) causes.push(invalidValue(`${path}.name`, name, DNS1035_MESSAGE));
  const schemaPath = `${path}.schema.openAPIV3Schema`;
  const rawSchema = isJsonObject(raw.schema) ? raw.schema.openAPIV3Schema : undefined;
  const schema: JsonSchema = isJsonObject(rawSchema) ? (rawSchema as JsonSchema) : { type: "object" };
  if (!isJsonObject(rawSchema)) causes.push(requiredValue(schemaPath, "schemas are required"));
  else checkStructuralSchema(schema, schemaPath, causes);
  const ruleErrors: Parameters<typeof compileRules>[2] = [];
  const rules = compileRules(schema, schemaPath, ruleErrors);
  for (const error of ruleErrors) {
    causes.push(invalidValue(error.path, error.rule, `compilation failed: ${error.message}`));
  }
  const printerColumns = compileColumns(
    raw.additionalPrinterColumns,
    `${path}.additionalPrinterColumns`,
    causes,
  );
  const subresources = isJsonObject(raw.subresources) ? raw.subresources : {};
  return {
    name,
    served: raw.served === true,
    storage: raw.storage === true,
    hasStatusSubresource: isJsonObject(subresources.status),
    printerColumns,
    openapiSchema: schema,
    admit: (input) => admit(schema, rules, input),
    applyDefaults: (object) => withDefaults(object, schema),
  };
}

function compileColumns(raw: unknown, path: string, causes: FieldCause[]): PrinterColumn[] {
  const columns = Array.isArray(raw) ? raw.filter(isJsonObject) : [];
  if (columns.length === 0) {
    // kube-apiserver serves an Age column when a CRD declares none.
    return [
      { name: "Age", type: "date", priority: 0, jsonPath: ".metadata.creationTimestamp", description: AGE },
    ];
  }
  return columns.map((column, i) => {
    const columnPath = `${path}[${i}]`;
    const name = text(column.name);
    const type = text(column.type);
    const jsonPath = text(column.jsonPath);
    if (name === "") causes.push(requiredValue(`${columnPath}.name`));
    if (type === "") causes.push(requiredValue(`${columnPath}.type`));
    else if (!COLUMN_TYPES.includes(type))
      causes.push(notSupported(`${columnPath}.type`, type, COLUMN_TYPES));
    if (jsonPath === "") causes.push(requiredValue(`${columnPath}.jsonPath`));
    else {
      try {
        parseJsonPath(jsonPath);
      } catch {
        causes.push(invalidValue(`${columnPath}.jsonPath`, jsonPath, "must be a simple json path"));
      }
    }
    const description = text(column.description);
    return {
      name,
      type: type as PrinterColumn["type"],
      ...(typeof column.format === "string" ? { format: column.format } : {}),
      description: description || `Custom resource definition column (in JSONPath format): ${jsonPath}`,
      priority: typeof column.priority === "number" ? column.priority : 0,
      jsonPath,
    };
  });
}

const AGE = "The time since the object was created (metadata.creationTimestamp).";

function withDefaults(object: KubeObject, schema: JsonSchema): KubeObject {
  const copy = deepCopy(object);
  applyDefaults(copy, schema);
  return copy;
}

function admit(schema: JsonSchema, rules: RuleNode, input: AdmitInput): AdmitResult {
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

/** ObjectMeta is validated by the server core, not by the CRD schema. */
function withoutMetadata(object: KubeObject): JsonObject {
  const { metadata: _metadata, ...rest } = object;
  return rest;
}

function withoutMetadataSchema(schema: JsonSchema): JsonSchema {
  if (!schema.properties?.metadata) return schema;
  const { metadata: _metadata, ...properties } = schema.properties;
  return { ...schema, properties };
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}
