// Field selectors (`a=b,c!=d`) as apimachinery's fields.ParseSelector reads them.
import { SelectorError } from "./errors.js";

export interface FieldRequirement {
  field: string;
  operator: "=" | "==" | "!=";
  value: string;
}

// Order matters: "!=" and "==" must be tried before "=".
const TERM_OPERATORS = ["!=", "==", "="] as const;

/** Splits on commas that are not escaped with a backslash. */
function splitTerms(selector: string): string[] {
  if (selector.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (escaped) escaped = false;
    else if (c === "\\") escaped = true;
    else if (c === ",") {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

function splitTerm(term: string): FieldRequirement | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const operator of TERM_OPERATORS) {
      if (term.startsWith(operator, i)) {
        return { field: term.slice(0, i), operator, value: term.slice(i + operator.length) };
      }
    }
  }
  return undefined;
}

/** Values escape `\`, `,` and `=` with a backslash; anything else after a backslash is an error. */
function unescapeValue(value: string): string {
  let out = "";
  let escaped = false;
  for (const c of value) {
    if (escaped) {
      if (c !== "\\" && c !== "," && c !== "=") {
        throw new SelectorError(`invalid field selector: invalid escape sequence: \\${c}`);
      }
      out += c;
      escaped = false;
    } else if (c === "\\") {
      escaped = true;
    } else if (c === "," || c === "=") {
      // Go prints the rune with %v, which is its code point.
      throw new SelectorError(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else {
      out += c;
    }
  }
  if (escaped) throw new SelectorError("invalid field selector: invalid escape sequence: \\");
  return out;
}

/** Parses a field selector; throws SelectorError with kube's message. An empty string selects everything. */
export function parseFieldSelector(selector: string): FieldRequirement[] {
  const requirements: FieldRequirement[] = [];
  for (const part of splitTerms(selector).sort()) {
    if (part === "") continue;
    const term = splitTerm(part);
    if (!term) throw new SelectorError(`invalid selector: '${selector}'; can't understand '${part}'`);
    requirements.push({ ...term, value: unescapeValue(term.value) });
  }
  return requirements;
}

/** Matches against the selectable field set of an object; a field the set lacks reads as "". */
export function matchesFields(
  requirements: readonly FieldRequirement[],
  fields: Readonly<Record<string, string>>,
): boolean {
  return requirements.every((r) => {
    const actual = fields[r.field] ?? "";
    return r.operator === "!=" ? actual !== r.value : actual === r.value;
  });
}
