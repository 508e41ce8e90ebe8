// kubectl's `-o jsonpath=TEMPLATE` and the paths of `-o custom-columns`,
// for what the plugin prints (the subset kubectl's docs use: text, `{.a.b}`,
// `[N]`, `[*]`, `[start:end]`, `['key']`, `{range …}…{end}`, `{"literal"}`;
// semantics from k8s.io/client-go/util/jsonpath/jsonpath.go: results of one
// expression are joined by a space, objects print as JSON, missing keys print
// nothing as with `kubectl get --allow-missing-template-keys=true`).
// Templates are bounded: at most 4 KiB, ranges nested 8 deep.
import { UsageError } from "./errors.js";

export const MAX_TEMPLATE_BYTES = 4096;
const MAX_RANGE_DEPTH = 8;

type Step =
  | { kind: "field"; name: string }
  | { kind: "index"; index: number }
  | { kind: "slice"; start: number | undefined; end: number | undefined }
  | { kind: "all" };

type Node =
  | { kind: "text"; text: string }
  | { kind: "path"; steps: Step[] }
  | { kind: "range"; steps: Step[]; body: Node[] };

export type Template = Node[];

function fail(template: string, why: string): never {
  throw new UsageError(`error parsing jsonpath ${template}: ${why}`);
}

const bound = (value: string) => (value === "" ? undefined : Number(value));

/** Each step's syntax, and the step it reads as (undefined: `.` alone, the current object). */
const STEP_SYNTAX: [RegExp, (match: RegExpExecArray) => Step | undefined][] = [
  [/^\.([A-Za-z0-9_\-/]+)/, (m) => ({ kind: "field", name: m[1]! })],
  [/^\[\*\]/, () => ({ kind: "all" })],
  [/^\[(-?\d+)\]/, (m) => ({ kind: "index", index: Number(m[1]) })],
  [/^\[(-?\d*):(-?\d*)\]/, (m) => ({ kind: "slice", start: bound(m[1]!), end: bound(m[2]!) })],
  [/^\['([^']*)'\]/, (m) => ({ kind: "field", name: m[1]! })],
  [/^\.$/, () => undefined],
];

/** `.a.b[0]['c'][*]`, relative to the current object (`@`, `$` or nothing at the start). */
export function parsePath(text: string, template = text): Step[] {
  const steps: Step[] = [];
  let rest = text.trim().replace(/^[$@]/, "");
  while (rest.length > 0) {
    const found = STEP_SYNTAX.map(([pattern, step]) => [pattern.exec(rest), step] as const).find(([m]) => m);
    if (!found) fail(template, `unrecognized identifier ${JSON.stringify(rest.slice(0, 40))}`);
    const [match, step] = found as [RegExpExecArray, (m: RegExpExecArray) => Step | undefined];
    const parsed = step(match);
    if (parsed) steps.push(parsed);
    rest = rest.slice(match[0].length);
  }
  return steps;
}

/** Parses a whole template: text with `{…}` expressions. */
export function parseTemplate(template: string): Template {
  if (Buffer.byteLength(template) > MAX_TEMPLATE_BYTES) {
    throw new UsageError(`jsonpath template longer than ${MAX_TEMPLATE_BYTES} bytes`);
  }
  const root: Node[] = [];
  const open: { body: Node[] }[] = [{ body: root }];
  let rest = template;
  while (rest.length > 0) {
    const brace = rest.indexOf("{");
    const text = brace < 0 ? rest : rest.slice(0, brace);
    if (text) open.at(-1)!.body.push({ kind: "text", text });
    if (brace < 0) break;
    const close = rest.indexOf("}", brace);
    if (close < 0) fail(template, "unclosed action");
    const expression = rest.slice(brace + 1, close).trim();
    rest = rest.slice(close + 1);
    const literal = /^"((?:[^"\\]|\\.)*)"$/.exec(expression);
    if (literal) {
      open.at(-1)!.body.push({ kind: "text", text: JSON.parse(`"${literal[1]}"`) as string });
    } else if (expression === "end") {
      if (open.length === 1) fail(template, "not in range, nothing to end");
      open.pop();
    } else if (expression.startsWith("range ")) {
      if (open.length > MAX_RANGE_DEPTH) fail(template, `ranges nested deeper than ${MAX_RANGE_DEPTH}`);
      const node: Node = { kind: "range", steps: parsePath(expression.slice(6), template), body: [] };
      open.at(-1)!.body.push(node);
      open.push(node);
    } else {
      open.at(-1)!.body.push({ kind: "path", steps: parsePath(expression, template) });
    }
  }
  if (open.length > 1) fail(template, "range without end");
  return root;
}

/** The values a path selects from `value` (none where a key is missing). */
export function select(value: unknown, steps: Step[]): unknown[] {
  let current: unknown[] = [value];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const item of current) {
      if (step.kind === "field") {
        if (
          item !== null &&
          typeof item === "object" &&
          !Array.isArray(item) &&
          Object.hasOwn(item, step.name)
        ) {
          next.push((item as Record<string, unknown>)[step.name]);
        }
      } else if (Array.isArray(item)) {
        if (step.kind === "all") next.push(...item);
        else if (step.kind === "index") {
          const at = item.at(step.index);
          if (at !== undefined) next.push(at);
        } else next.push(...item.slice(step.start, step.end));
      } else if (step.kind === "all" && item !== null && typeof item === "object") {
        next.push(...Object.values(item));
      }
    }
    current = next;
  }
  return current;
}

/** A value as kubectl's jsonpath prints it: strings bare, everything else as JSON. */
export function printValue(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function execute(template: Template, value: unknown): string {
  let out = "";
  for (const node of template) {
    if (node.kind === "text") out += node.text;
    else if (node.kind === "path") out += select(value, node.steps).map(printValue).join(" ");
    else for (const item of select(value, node.steps)) out += execute(node.body, item);
  }
  return out;
}
