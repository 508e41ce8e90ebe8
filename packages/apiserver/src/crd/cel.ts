// x-kubernetes-validations: rules compiled once per CRD version with @bufbuild/cel and
// evaluated over an object the way apiextensions-apiserver does (per schema node, with
// `oldSelf` only where the old value correlates, messages and reasons as it reports them).

import { type CelInput, isCelError } from "@bufbuild/cel";
import type { FieldCause } from "../types.js";
import { compileProgram, type Program } from "./cel-programs.js";
import { toCelRoot, toCelValue } from "./cel-values.js";
import {
  childPath,
  duplicate,
  forbidden,
  indexPath,
  invalidValue,
  keyPath,
  requiredValue,
} from "./field-errors.js";
import { isJsonObject, jsonEqual } from "./json.js";
import type { JsonSchema, ValidationRule } from "./types.js";

interface CompiledRule {
  rule: ValidationRule;
  program: Program;
  messageProgram?: Program;
  /** Rules that read `oldSelf` run only on update, where the old value exists. */
  isTransition: boolean;
}

/** The schema tree with each node's compiled rules; `hasRules` lets evaluation skip rule-free subtrees. */
export interface RuleNode {
  schema: JsonSchema;
  rules: CompiledRule[];
  properties: Map<string, RuleNode>;
  additional?: RuleNode;
  items?: RuleNode;
  hasRules: boolean;
}

/** A rule that does not compile; `path` is the schema path of its `x-kubernetes-validations` entry. */
export interface RuleCompileError {
  path: string;
  expression: string;
  message: string;
}

/** Compiles every rule under `schema`; `schemaPath` names the schema node in compile errors. */
export function compileRules(schema: JsonSchema, schemaPath: string, errors: RuleCompileError[]): RuleNode {
  const rules: CompiledRule[] = [];
  (schema["x-kubernetes-validations"] ?? []).forEach((rule, i) => {
    const rulePath = `${schemaPath}.x-kubernetes-validations[${i}]`;
    const program = tryCompile(rule.rule, `${rulePath}.rule`, errors);
    const messageProgram = rule.messageExpression
      ? tryCompile(rule.messageExpression, `${rulePath}.messageExpression`, errors)
      : undefined;
    if (program) rules.push({ rule, program, messageProgram, isTransition: /\boldSelf\b/.test(rule.rule) });
  });
  const properties = new Map<string, RuleNode>();
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    properties.set(key, compileRules(property, `${schemaPath}.properties[${key}]`, errors));
  }
  const additional =
    typeof schema.additionalProperties === "object"
      ? compileRules(schema.additionalProperties, `${schemaPath}.additionalProperties`, errors)
      : undefined;
  const items = schema.items ? compileRules(schema.items, `${schemaPath}.items`, errors) : undefined;
  const hasRules =
    rules.length > 0 ||
    [...properties.values()].some((node) => node.hasRules) ||
    additional?.hasRules === true ||
    items?.hasRules === true;
  return { schema, rules, properties, additional, items, hasRules };
}

function tryCompile(expression: string, path: string, errors: RuleCompileError[]): Program | undefined {
  try {
    return compileProgram(expression);
  } catch (error) {
    errors.push({ path, expression, message: (error as Error).message });
    return undefined;
  }
}

/** Evaluates the rules of the whole object; `oldRoot` is the stored object on update. */
export function evaluateRules(
  root: RuleNode,
  object: Record<string, unknown>,
  oldObject: Record<string, unknown> | undefined,
  causes: FieldCause[],
): void {
  if (!root.hasRules) return;
  const self = toCelRoot(object, root.schema);
  const oldSelf = oldObject ? toCelRoot(oldObject, root.schema) : undefined;
  runNodeRules(root, self, oldSelf, "", causes);
  visitChildren(root, object, oldObject, "", causes);
}

function evaluateNode(
  node: RuleNode,
  value: unknown,
  oldValue: unknown,
  path: string,
  causes: FieldCause[],
): void {
  if (!node.hasRules || value === undefined || value === null) return;
  if (node.rules.length > 0) {
    const self = toCelValue(value, node.schema);
    const oldSelf =
      oldValue === undefined || oldValue === null ? undefined : toCelValue(oldValue, node.schema);
    runNodeRules(node, self, oldSelf, path, causes);
  }
  visitChildren(node, value, oldValue, path, causes);
}

function visitChildren(
  node: RuleNode,
  value: unknown,
  oldValue: unknown,
  path: string,
  causes: FieldCause[],
) {
  if (Array.isArray(value)) {
    const items = node.items;
    if (!items?.hasRules) return;
    const oldList = Array.isArray(oldValue) ? oldValue : [];
    value.forEach((item, i) => {
      evaluateNode(items, item, correlatedItem(node.schema, item, oldList), indexPath(path, i), causes);
    });
    return;
  }
  if (!isJsonObject(value)) return;
  const old = isJsonObject(oldValue) ? oldValue : {};
  // Declared properties in schema order, then additionalProperties in data order, as validate.ts does.
  for (const [key, property] of node.properties) {
    evaluateNode(property, value[key], old[key], childPath(path, key), causes);
  }
  const additional = node.additional;
  if (!additional) return;
  for (const [key, item] of Object.entries(value)) {
    if (!node.properties.has(key)) evaluateNode(additional, item, old[key], keyPath(path, key), causes);
  }
}

/** Only items of `x-kubernetes-list-type: map` lists have an old counterpart (the item with the same keys). */
function correlatedItem(schema: JsonSchema, item: unknown, oldList: unknown[]): unknown {
  if (schema["x-kubernetes-list-type"] !== "map" || !isJsonObject(item)) return undefined;
  const keys = schema["x-kubernetes-list-map-keys"] ?? [];
  return oldList.find((old) => isJsonObject(old) && keys.every((key) => jsonEqual(old[key], item[key])));
}

function runNodeRules(
  node: RuleNode,
  self: CelInput,
  oldSelf: CelInput | undefined,
  path: string,
  causes: FieldCause[],
): void {
  const valueType = node.schema.type ?? "";
  for (const compiled of node.rules) {
    if (compiled.isTransition && oldSelf === undefined) continue;
    const bindings = oldSelf === undefined ? { self } : { self, oldSelf };
    const result = compiled.program(bindings);
    const errorPath = withFieldPath(path, compiled.rule.fieldPath);
    if (isCelError(result)) {
      causes.push(
        invalidValue(errorPath, valueType, `${result.message} evaluating rule: ${ruleText(compiled.rule)}`),
      );
    } else if (result !== true) {
      causes.push(failure(compiled, bindings, errorPath, valueType));
    }
  }
}

function failure(
  compiled: CompiledRule,
  bindings: { self: CelInput; oldSelf?: CelInput },
  path: string,
  valueType: string,
): FieldCause {
  const message = ruleMessage(compiled, bindings);
  switch (compiled.rule.reason) {
    case "FieldValueForbidden":
      return forbidden(path, message);
    case "FieldValueRequired":
      return requiredValue(path, message);
    case "FieldValueDuplicate":
      return duplicate(path, valueType);
    default:
      return invalidValue(path, valueType, message);
  }
}

function ruleMessage(compiled: CompiledRule, bindings: { self: CelInput; oldSelf?: CelInput }): string {
  if (compiled.messageProgram) {
    const message = compiled.messageProgram(bindings);
    // A failing or blank messageExpression falls back to the static message.
    if (typeof message === "string" && message.trim() !== "" && !message.includes("\n")) return message;
  }
  const { message } = compiled.rule;
  return message ? message.trim() : `failed rule: ${ruleText(compiled.rule)}`;
}

/** `fieldPath` is relative to the rule's node, e.g. `.blockSize`. */
function withFieldPath(path: string, fieldPath: string | undefined): string {
  // The root has no path: kube-apiserver prints the nil field.Path as "<nil>".
  if (!fieldPath) return path === "" ? "<nil>" : path;
  return path === "" ? fieldPath.replace(/^\./, "") : path + fieldPath;
}

function ruleText(rule: ValidationRule): string {
  return rule.message ? rule.message.trim() : rule.rule.trim();
}
