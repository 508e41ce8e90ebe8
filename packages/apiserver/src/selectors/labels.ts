// Label selectors in their string form, lexed and parsed as apimachinery's labels.Parse does,
// so that a bad selector gets the same message as from a real server.
import { formatValue } from "../validation/field.js";
import { isQualifiedName, isValidLabelValue } from "../validation/names.js";
import { SelectorError } from "./errors.js";

export type LabelOperator = "in" | "notin" | "=" | "==" | "!=" | "gt" | "lt" | "exists" | "!";

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  /** Sorted and de-duplicated, as kube keeps them. */
  values: string[];
}

type Token =
  | "error"
  | "end"
  | ")"
  | ","
  | "!"
  | "=="
  | "="
  | ">"
  | "identifier"
  | "in"
  | "<"
  | "!="
  | "notin"
  | "(";

const LITERAL_TOKENS = new Map<string, Token>([
  [")", ")"],
  [",", ","],
  ["!", "!"],
  ["==", "=="],
  ["=", "="],
  [">", ">"],
  ["in", "in"],
  ["<", "<"],
  ["!=", "!="],
  ["notin", "notin"],
  ["(", "("],
]);

const BINARY_OPERATORS = "in, notin, =, ==, !=, gt, lt";

interface Scanned {
  token: Token;
  literal: string;
}

const isWhitespace = (ch: string) => ch === " " || ch === "\t" || ch === "\r" || ch === "\n";
const isSpecial = (ch: string) => "=!(),><".includes(ch);

function lex(input: string): Scanned[] {
  const items: Scanned[] = [];
  let pos = 0;
  const scanIdentifier = (): Scanned => {
    const start = pos;
    while (pos < input.length && !isSpecial(input[pos]!) && !isWhitespace(input[pos]!)) pos++;
    const literal = input.slice(start, pos);
    return { token: LITERAL_TOKENS.get(literal) ?? "identifier", literal };
  };
  // Longest run of special characters that still forms an operator.
  const scanSpecial = (): Scanned => {
    let buffer = "";
    let last: Scanned | undefined;
    while (pos < input.length && isSpecial(input[pos]!)) {
      buffer += input[pos];
      const token = LITERAL_TOKENS.get(buffer);
      if (token) last = { token, literal: buffer };
      else if (last) break;
      pos++;
    }
    return last ?? { token: "error", literal: `error expected: keyword found '${buffer}'` };
  };
  for (;;) {
    while (pos < input.length && isWhitespace(input[pos]!)) pos++;
    if (pos >= input.length) {
      items.push({ token: "end", literal: "" });
      return items;
    }
    items.push(isSpecial(input[pos]!) ? scanSpecial() : scanIdentifier());
  }
}

/** In value context the keywords `in` and `notin` are plain identifiers. */
function asValue(s: Scanned): Scanned {
  return s.token === "in" || s.token === "notin" ? { token: "identifier", literal: s.literal } : s;
}

class Parser {
  private position = 0;
  constructor(private readonly items: Scanned[]) {}

  private peek(values = true): Scanned {
    const item = this.items[Math.min(this.position, this.items.length - 1)]!;
    return values ? asValue(item) : item;
  }

  private next(values = true): Scanned {
    const item = this.peek(values);
    this.position++;
    return item;
  }

  parse(): LabelRequirement[] {
    const requirements: LabelRequirement[] = [];
    for (;;) {
      const { token, literal } = this.peek();
      if (token === "end") return requirements;
      if (token !== "identifier" && token !== "!") {
        throw new SelectorError(`found '${literal}', expected: !, identifier, or 'end of string'`);
      }
      try {
        requirements.push(this.requirement());
      } catch (err) {
        if (err instanceof SelectorError)
          throw new SelectorError(`unable to parse requirement: ${err.message}`);
        throw err;
      }
      const after = this.next();
      if (after.token === "end") return requirements;
      if (after.token !== ",")
        throw new SelectorError(`found '${after.literal}', expected: ',' or 'end of string'`);
      const following = this.peek();
      if (following.token !== "identifier" && following.token !== "!") {
        throw new SelectorError(`found '${following.literal}', expected: identifier after ','`);
      }
    }
  }

  private requirement(): LabelRequirement {
    let negated = false;
    let item = this.next();
    if (item.token === "!") {
      negated = true;
      item = this.next();
    }
    if (item.token !== "identifier") throw new SelectorError(`found '${item.literal}', expected: identifier`);
    const key = item.literal;
    const keyErrors = isQualifiedName(key);
    if (keyErrors.length > 0) {
      throw new SelectorError(`<nil>: Invalid value: ${formatValue(key)}: ${keyErrors.join("; ")}`);
    }
    const ahead = this.peek().token;
    if (negated || ahead === "end" || ahead === ",") {
      return { key, operator: negated ? "!" : "exists", values: [] };
    }
    const operator = this.operator();
    const values = operator === "in" || operator === "notin" ? this.valueSet() : this.exactValue();
    return checkedRequirement(key, operator, values);
  }

  private operator(): LabelOperator {
    const { token, literal } = this.next(false);
    switch (token) {
      case "in":
      case "notin":
      case "=":
      case "==":
      case "!=":
        return token;
      case ">":
        return "gt";
      case "<":
        return "lt";
      default:
        throw new SelectorError(`found '${literal}', expected: ${BINARY_OPERATORS}`);
    }
  }

  private valueSet(): Set<string> {
    const open = this.next();
    if (open.token !== "(") throw new SelectorError(`found '${open.literal}' expected: '('`);
    const first = this.peek();
    if (first.token === ")") {
      this.next();
      return new Set([""]);
    }
    if (first.token !== "identifier" && first.token !== ",") {
      throw new SelectorError(`found '${first.literal}', expected: ',', ')' or identifier`);
    }
    const values = this.identifierList();
    if (this.next().token !== ")") throw new SelectorError(`found '${first.literal}', expected: ')'`);
    return values;
  }

  /** Comma-separated, possibly empty identifiers: `(a,,b)` holds "", `(,)` holds "". */
  private identifierList(): Set<string> {
    const values = new Set<string>();
    for (;;) {
      const item = this.next();
      if (item.token === "identifier") {
        values.add(item.literal);
        const ahead = this.peek();
        if (ahead.token === ",") continue;
        if (ahead.token === ")") return values;
        throw new SelectorError(`found '${ahead.literal}', expected: ',' or ')'`);
      }
      if (item.token === ",") {
        if (values.size === 0) values.add("");
        const ahead = this.peek().token;
        if (ahead === ")") {
          values.add("");
          return values;
        }
        if (ahead === ",") values.add("");
        continue;
      }
      throw new SelectorError(`found '${item.literal}', expected: ',', or identifier`);
    }
  }

  private exactValue(): Set<string> {
    const ahead = this.peek().token;
    if (ahead === "end" || ahead === ",") return new Set([""]);
    const item = this.next();
    if (item.token === "identifier") return new Set([item.literal]);
    throw new SelectorError(`found '${item.literal}', expected: identifier`);
  }
}

/** The checks of labels.NewRequirement; several errors are joined the way an aggregate prints them. */
function checkedRequirement(key: string, operator: LabelOperator, valueSet: Set<string>): LabelRequirement {
  const values = [...valueSet].sort();
  const errors: string[] = [];
  if ((operator === "gt" || operator === "lt") && values.length === 1 && !/^[+-]?\d+$/.test(values[0]!)) {
    errors.push(
      `values[0]: Invalid value: ${formatValue(values[0])}: for 'Gt', 'Lt' operators, the value must be an integer`,
    );
  }
  values.forEach((value, i) => {
    const msgs = isValidLabelValue(value);
    if (msgs.length > 0)
      errors.push(`values[${i}][${key}]: Invalid value: ${formatValue(value)}: ${msgs.join("; ")}`);
  });
  if (errors.length === 1) throw new SelectorError(errors[0]!);
  if (errors.length > 1) throw new SelectorError(`[${errors.join(", ")}]`);
  return { key, operator, values };
}

/** Parses a label selector; throws SelectorError with kube's message. An empty string selects everything. */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  const requirements = new Parser(lex(selector)).parse();
  return requirements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function integer(value: string): bigint | undefined {
  return /^[+-]?\d+$/.test(value) ? BigInt(value) : undefined;
}

function requirementMatches(req: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, req.key);
  const value = labels[req.key];
  switch (req.operator) {
    case "in":
    case "=":
    case "==":
      return has && req.values.includes(value!);
    case "notin":
    case "!=":
      return !has || !req.values.includes(value!);
    case "exists":
      return has;
    case "!":
      return !has;
    case "gt":
    case "lt": {
      if (!has || req.values.length !== 1) return false;
      const actual = integer(value!);
      const bound = integer(req.values[0]!);
      if (actual === undefined || bound === undefined) return false;
      return req.operator === "gt" ? actual > bound : actual < bound;
    }
  }
}

export function matchesLabels(
  requirements: readonly LabelRequirement[],
  labels: Record<string, string> | undefined,
): boolean {
  const set = labels ?? {};
  return requirements.every((r) => requirementMatches(r, set));
}
