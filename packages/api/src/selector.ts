// Calico's selector language, as used by IPPool.spec.namespaceSelector (and
// nodeSelector), parsed once into a matcher over a label map.
//
// Semantics follow Calico's libcalico-go selector package:
// - Precedence, loosest first: `||`, then `&&`, then prefix `!` (a run of
//   `!` collapses), then one operation or a parenthesised expression.
// - `k == 'v'`, `k in {...}`, `k contains 'v'`, `k starts with 'v'`,
//   `k ends with 'v'` are false when the label is absent.
// - `k != 'v'` and `k not in {...}` are TRUE when the label is absent
//   (so `k != 'v'` is not the same as `has(k) && k != 'v'`).
// - `has(k)` tests presence only; `all()` matches everything.
// - Strings use single or double quotes and have no escapes.
// - Label keys are runs of letters, digits, `_`, `.`, `/`, `-`.
// - `has(` and `all(` are written without a space before the parenthesis;
//   `has == 'x'` compares a label named "has".
// - An empty (or blank) selector selects everything.
// - Sets may be empty (`k in {}` never matches) and may end with a comma.
// Deliberate differences: `global()` is refused (it selects non-namespaced
// endpoints, which has no meaning for a namespace), and newlines count as
// whitespace (Calico only skips spaces and tabs) so YAML folded strings work.
import { quote } from "./bounded.js";
import { SelectorSyntaxError } from "./errors.js";

export type Labels = Readonly<Record<string, string>>;
export type LabelMatcher = (labels: Labels) => boolean;

const LABEL_CHAR = /[A-Za-z0-9_./-]/;
const WHITESPACE = /[ \t\r\n]/;

function labelValue(labels: Labels, key: string): string | undefined {
  // hasOwn: a label named "constructor" must not find Object.prototype's.
  return Object.hasOwn(labels, key) ? labels[key] : undefined;
}

/** Longest selector read: past it the text is refused unread. */
export const MAX_SELECTOR_LENGTH = 16 * 1024;
/** Deepest nesting of parentheses: the parser and the matcher recurse once per level. */
export const MAX_SELECTOR_DEPTH = 32;

class SelectorParser {
  private at = 0;
  private depth = 0;

  constructor(private readonly text: string) {}

  parse(): LabelMatcher {
    if (this.text.length > MAX_SELECTOR_LENGTH) {
      this.fail(`longer than ${MAX_SELECTOR_LENGTH} characters (${this.text.length})`, 0);
    }
    this.skipSpace();
    if (this.at === this.text.length) return () => true;
    const matcher = this.parseOr();
    this.skipSpace();
    if (this.at < this.text.length)
      this.fail(`unexpected ${this.describeNext()} after a complete expression`);
    return matcher;
  }

  private fail(reason: string, position = this.at): never {
    throw new SelectorSyntaxError(this.text, position, reason);
  }

  private skipSpace(): void {
    while (this.at < this.text.length && WHITESPACE.test(this.text[this.at]!)) this.at++;
  }

  private describeNext(): string {
    return this.at < this.text.length ? `'${this.text[this.at]}'` : "end of selector";
  }

  /** Consumes `token` (after optional whitespace) if it comes next. */
  private accept(token: string): boolean {
    this.skipSpace();
    if (!this.text.startsWith(token, this.at)) return false;
    this.at += token.length;
    return true;
  }

  private expect(token: string, what: string): void {
    if (!this.accept(token)) this.fail(`expected ${what}, found ${this.describeNext()}`);
  }

  private parseOr(): LabelMatcher {
    const terms = [this.parseAnd()];
    while (this.accept("||")) terms.push(this.parseAnd());
    if (terms.length === 1) return terms[0]!;
    return (labels) => terms.some((term) => term(labels));
  }

  private parseAnd(): LabelMatcher {
    const terms = [this.parseUnary()];
    while (this.accept("&&")) terms.push(this.parseUnary());
    if (terms.length === 1) return terms[0]!;
    return (labels) => terms.every((term) => term(labels));
  }

  private parseUnary(): LabelMatcher {
    let negated = false;
    this.skipSpace();
    // `!=` only follows a label, so a `!` here is always a negation.
    while (this.accept("!")) negated = !negated;
    const operand = this.parseOperation();
    return negated ? (labels) => !operand(labels) : operand;
  }

  private parseOperation(): LabelMatcher {
    this.skipSpace();
    if (this.at === this.text.length) this.fail("unexpected end of selector, expected an expression");
    if (this.accept("(")) {
      if (++this.depth > MAX_SELECTOR_DEPTH)
        this.fail(`nested deeper than ${MAX_SELECTOR_DEPTH} parentheses`);
      const inner = this.parseOr();
      this.expect(")", "')'");
      this.depth--;
      return inner;
    }
    const start = this.at;
    const word = this.readWord();
    if (word === "") this.fail(`unexpected ${this.describeNext()}, expected a label, has(), all() or '('`);
    if (this.text[this.at] === "(") {
      this.at++;
      if (word === "all") {
        this.expect(")", "')' after all(");
        return () => true;
      }
      if (word === "has") {
        this.skipSpace();
        const key = this.readWord();
        if (key === "") this.fail("expected a label name in has()");
        this.expect(")", "')' after has(label");
        return (labels) => labelValue(labels, key) !== undefined;
      }
      this.fail(`unknown function ${quote(word)}(); only all() and has(label) are supported`, start);
    }
    return this.parseComparison(word);
  }

  private readWord(): string {
    const start = this.at;
    while (this.at < this.text.length && LABEL_CHAR.test(this.text[this.at]!)) this.at++;
    return this.text.slice(start, this.at);
  }

  private parseComparison(key: string): LabelMatcher {
    this.skipSpace();
    const opStart = this.at;
    if (this.accept("==")) {
      const value = this.readString();
      return (labels) => labelValue(labels, key) === value;
    }
    if (this.accept("!=")) {
      const value = this.readString();
      return (labels) => labelValue(labels, key) !== value;
    }
    const op = this.readWord();
    switch (op) {
      case "in": {
        const set = this.readSet();
        return (labels) => {
          const value = labelValue(labels, key);
          return value !== undefined && set.has(value);
        };
      }
      case "not": {
        this.skipSpace();
        if (this.readWord() !== "in") this.fail("expected 'in' after 'not'");
        const set = this.readSet();
        return (labels) => {
          const value = labelValue(labels, key);
          return value === undefined || !set.has(value);
        };
      }
      case "contains": {
        const part = this.readString();
        return (labels) => labelValue(labels, key)?.includes(part) ?? false;
      }
      case "starts":
      case "ends": {
        this.skipSpace();
        if (this.readWord() !== "with") this.fail(`expected 'with' after '${op}'`);
        const part = this.readString();
        return op === "starts"
          ? (labels) => labelValue(labels, key)?.startsWith(part) ?? false
          : (labels) => labelValue(labels, key)?.endsWith(part) ?? false;
      }
      default:
        return this.fail(
          `expected an operator after label ${quote(key)} (==, !=, in, not in, contains, starts with, ends with)`,
          opStart,
        );
    }
  }

  private readString(): string {
    this.skipSpace();
    const quote = this.text[this.at];
    if (quote !== "'" && quote !== '"') this.fail(`expected a quoted string, found ${this.describeNext()}`);
    const end = this.text.indexOf(quote, this.at + 1);
    if (end < 0) this.fail("unterminated string");
    const value = this.text.slice(this.at + 1, end);
    this.at = end + 1;
    return value;
  }

  private readSet(): ReadonlySet<string> {
    this.expect("{", "'{' to start a set");
    const values = new Set<string>();
    for (;;) {
      this.skipSpace();
      if (this.accept("}")) return values;
      values.add(this.readString());
      if (!this.accept(",")) {
        this.expect("}", "',' or '}' in a set");
        return values;
      }
    }
  }
}

/** Parses a Calico selector; throws SelectorSyntaxError saying where and what. */
export function parseSelector(expression: string): LabelMatcher {
  return new SelectorParser(expression).parse();
}
