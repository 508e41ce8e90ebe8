// compileCrd: checks a CustomResourceDefinition as kube-apiserver would before serving it
// (names, scope, versions, schemas, rules, columns) and prepares each version's admission.

import type { FieldCause, KubeObject } from "../types.js";
import { admit, withDefaults } from "./admit.js";
import { compileRules, type RuleCompileError } from "./cel.js";
import { compileColumns } from "./columns.js";
import { InvalidCrdError } from "./errors.js";
import { invalidValue, notSupported, requiredValue } from "./field-errors.js";
import { isJsonObject, type JsonObject, textOf } from "./json.js";
import { checkStructuralSchema } from "./schema-check.js";
import type { CompiledCrd, CompiledCrdVersion, JsonSchema } from "./types.js";

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
const SCOPES = ["Cluster", "Namespaced"];

/** Checks a CustomResourceDefinition (apiextensions.k8s.io/v1) and compiles its versions; throws InvalidCrdError. */
export function compileCrd(crd: KubeObject): CompiledCrd {
  const causes: FieldCause[] = [];
  const spec = isJsonObject(crd.spec) ? crd.spec : {};
  const group = textOf(spec.group);
  const names = isJsonObject(spec.names) ? spec.names : {};
  const kind = textOf(names.kind);
  const plural = textOf(names.plural);
  const compiledNames = {
    plural,
    kind,
    singular: textOf(names.singular) || kind.toLowerCase(),
    listKind: textOf(names.listKind) || `${kind}List`,
    shortNames: stringList(names.shortNames),
    categories: stringList(names.categories),
  };
  const crdName = crd.metadata?.name ?? "";
  checkNames(crdName, group, compiledNames, causes);
  const scope = textOf(spec.scope);
  if (scope === "") causes.push(requiredValue("spec.scope"));
  else if (!SCOPES.includes(scope)) causes.push(notSupported("spec.scope", scope, SCOPES));

  const rawVersions = Array.isArray(spec.versions) ? spec.versions.filter(isJsonObject) : [];
  if (rawVersions.length === 0) causes.push(requiredValue("spec.versions", "must have at least one version"));
  const versionNames = rawVersions.map((version) => textOf(version.name));
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
  const name = textOf(raw.name);
  if (name === "") causes.push(requiredValue(`${path}.name`));
  else if (!DNS1035_LABEL.test(name)) causes.push(invalidValue(`${path}.name`, name, DNS1035_MESSAGE));
  const schemaPath = `${path}.schema.openAPIV3Schema`;
  const rawSchema = isJsonObject(raw.schema) ? raw.schema.openAPIV3Schema : undefined;
  const schema: JsonSchema = isJsonObject(rawSchema) ? (rawSchema as JsonSchema) : { type: "object" };
  if (!isJsonObject(rawSchema)) causes.push(requiredValue(schemaPath, "schemas are required"));
  else checkStructuralSchema(schema, schemaPath, causes);
  const ruleErrors: RuleCompileError[] = [];
  const rules = compileRules(schema, schemaPath, ruleErrors);
  for (const error of ruleErrors) {
    causes.push(invalidValue(error.path, error.expression, `compilation failed: ${error.message}`));
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

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}
