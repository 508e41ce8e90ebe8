// The subset of Kubernetes JSONPath that printer columns use: `.field`, `['field']`, `[n]`,
// `[*]`, and filters such as `[?(@.type=="Ready")]` or `[?(@.field)]`. Missing keys give no
// result, as with AllowMissingKeys(true) in kube-apiserver's table convertor.

import { isJsonObject } from "./json.js";

type Literal = string | number | boolean | null;
type Step =
  | { kind: "field"; name: string }
  | { kind: "index"; index: number }
  | { kind: "wildcard" }
  | { kind: "filter"; left: Step[]; operator: Operator | "exists"; right?: Literal };
type Operator = "==" | "!=" | "<" | ">" | "<=" | ">=";

export interface JsonPath {
  readonly text: string;
  find(data: unknown): unknown[];
}

/** Parses a printer column's jsonPath; throws an Error naming the problem when it is not supported. */
export function parseJsonPath(text: string): JsonPath {
  const inner = text.startsWith("{") && text.endsWith("}") ? text.slice(1, -1) : text;
  if (!inner.startsWith(".") && !inner.startsWith("["))
    throw new Error(`must be a simple json path: ${text}`);
  const steps = parseSteps(inner, text);
  return { text, find: (data) => evaluate(steps, [data]) };
}

function parseSteps(source: string, text: string): Step[] {
  const steps: Step[] = [];
  let rest = source;
  while (rest.length > 0) {
    const field = /^\.([^.[\]]+)/.exec(rest);
    const quoted = /^\[\s*(?:'([^']*)'|"([^"]*)")\s*\]/.exec(rest);
    const index = /^\[\s*(-?\d+)\s*\]/.exec(rest);
    const filter = /^\[\s*\?\(\s*(@[^)=!<>]*?)\s*(?:(==|!=|<=|>=|<|>)\s*(.+?))?\s*\)\s*\]/.exec(rest);
    if (field) {
      steps.push({ kind: "field", name: field[1]! });
      rest = rest.slice(field[0].length);
    } else if (quoted) {
      steps.push({ kind: "field", name: quoted[1] ?? quoted[2]! });
      rest = rest.slice(quoted[0].length);
    } else if (index) {
      steps.push({ kind: "index", index: Number(index[1]) });
      rest = rest.slice(index[0].length);
    } else if (/^\[\s*\*\s*\]/.test(rest) || rest.startsWith(".*")) {
      steps.push({ kind: "wildcard" });
      rest = rest.replace(/^(\[\s*\*\s*\]|\.\*)/, "");
    } else if (filter) {
      const left = parseSteps(filter[1]!.slice(1), text);
      const operator = filter[2] as Operator | undefined;
      steps.push(
        operator
          ? { kind: "filter", left, operator, right: parseLiteral(filter[3]!, text) }
          : { kind: "filter", left, operator: "exists" },
      );
      rest = rest.slice(filter[0].length);
    } else {
      throw new Error(`unsupported json path syntax at "${rest}" in ${text}`);
    }
  }
  return steps;
}

function parseLiteral(source: string, text: string): Literal {
  const trimmed = source.trim();
  const quoted = /^"(.*)"$|^'(.*)'$/.exec(trimmed);
  if (quoted) return quoted[1] ?? quoted[2]!;
  if (trimmed === "true" || trimmed === "false") return trimmed === "true";
  if (trimmed === "nil" || trimmed === "null") return null;
  if (/^-?\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  throw new Error(`unsupported filter value ${trimmed} in ${text}`);
}

function evaluate(steps: Step[], input: unknown[]): unknown[] {
  let current = input;
  for (const step of steps) current = current.flatMap((value) => apply(step, value));
  return current;
}

function apply(step: Step, value: unknown): unknown[] {
  switch (step.kind) {
    case "field":
      return isJsonObject(value) && value[step.name] !== undefined ? [value[step.name]] : [];
    case "index": {
      if (!Array.isArray(value)) return [];
      const item = value[step.index < 0 ? value.length + step.index : step.index];
      return item === undefined ? [] : [item];
    }
    case "wildcard":
      if (Array.isArray(value)) return value;
      return isJsonObject(value) ? Object.values(value) : [];
    case "filter":
      return Array.isArray(value) ? value.filter((item) => passes(step, item)) : [];
  }
}

function passes(step: Extract<Step, { kind: "filter" }>, item: unknown): boolean {
  const lefts = evaluate(step.left, [item]);
  if (step.operator === "exists") return lefts.length > 0;
  if (lefts.length !== 1) return false;
  const left = lefts[0];
  const right = step.right;
  switch (step.operator) {
    case "==":
      return left === right;
    case "!=":
      return left !== right;
    default:
      return (
        typeof left === typeof right &&
        left !== null &&
        right !== null &&
        right !== undefined &&
        compare(step.operator, left, right)
      );
  }
}

function compare(operator: "<" | ">" | "<=" | ">=", left: unknown, right: Literal): boolean {
  const a = left as number | string;
  const b = right as number | string;
  if (operator === "<") return a < b;
  if (operator === ">") return a > b;
  if (operator === "<=") return a <= b;
  return a >= b;
}
