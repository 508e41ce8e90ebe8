// JSON that keeps int64 integers exact. kube-apiserver decodes an integer that fits int64 as
// int64 and only a larger one as float64 (apimachinery/pkg/util/json/json.go, via
// sigs.k8s.io/json UnmarshalCaseSensitivePreserveInts); JavaScript numbers round past 2^53.
// Such integers become bigint here, every other number stays a number.
import { randomBytes } from "node:crypto";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A JSON number at a position (sticky). */
const NUMBER = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;

/** An integer literal too long to be sure it is exact as a number. */
const LONG_INTEGER = /\d{16,}/;

/** An integer literal as kube reads it: bigint when past 2^53 and within int64. */
function integerValue(text: string): number | bigint {
  const asNumber = Number(text);
  if (Number.isSafeInteger(asNumber)) return asNumber;
  const exact = BigInt(text);
  return exact >= INT64_MIN && exact <= INT64_MAX ? exact : asNumber;
}

/**
 * A reader for text JSON.parse has already accepted: it only needs to build values, so it
 * does not check the grammar again.
 */
class ExactReader {
  private at = 0;
  constructor(private readonly text: string) {}

  read(): unknown {
    this.skipSpace();
    const c = this.text[this.at];
    if (c === "{") return this.object();
    if (c === "[") return this.array();
    if (c === '"') return this.string();
    if (c === "t" || c === "f" || c === "n") return this.literal();
    return this.number();
  }

  private skipSpace(): void {
    while (/\s/.test(this.text[this.at] ?? "")) this.at++;
  }

  private object(): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    this.at++;
    this.skipSpace();
    if (this.text[this.at] === "}") {
      this.at++;
      return result;
    }
    for (;;) {
      this.skipSpace();
      const key = this.string();
      this.skipSpace();
      this.at++; // ":"
      // defineProperty: a "__proto__" key is data, as JSON.parse makes it.
      Object.defineProperty(result, key, {
        value: this.read(),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      this.skipSpace();
      if (this.text[this.at++] === "}") return result;
    }
  }

  private array(): unknown[] {
    const result: unknown[] = [];
    this.at++;
    this.skipSpace();
    if (this.text[this.at] === "]") {
      this.at++;
      return result;
    }
    for (;;) {
      result.push(this.read());
      this.skipSpace();
      if (this.text[this.at++] === "]") return result;
    }
  }

  private string(): string {
    const start = this.at;
    this.at++;
    while (this.text[this.at] !== '"') this.at += this.text[this.at] === "\\" ? 2 : 1;
    this.at++;
    return JSON.parse(this.text.slice(start, this.at)) as string;
  }

  private literal(): boolean | null {
    const word = this.text.startsWith("true", this.at)
      ? "true"
      : this.text.startsWith("false", this.at)
        ? "false"
        : "null";
    this.at += word.length;
    return word === "true" ? true : word === "false" ? false : null;
  }

  private number(): number | bigint {
    NUMBER.lastIndex = this.at;
    const match = NUMBER.exec(this.text)!;
    this.at += match[0].length;
    const integral = match[1] === undefined && match[2] === undefined;
    return integral ? integerValue(match[0]) : Number(match[0]);
  }
}

/** JSON.parse, with its errors, but int64 integers past 2^53 come back as exact bigints. */
export function parseJsonExact(text: string): unknown {
  const plain: unknown = JSON.parse(text);
  if (!LONG_INTEGER.test(text)) return plain;
  return new ExactReader(text).read();
}

/** Integers of a YAML document as parseJsonExact gives them (yaml reads every integer as bigint). */
export function narrowIntegers(value: unknown): unknown {
  if (typeof value === "bigint") return integerValue(value.toString());
  if (Array.isArray(value)) return value.map(narrowIntegers);
  if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value))
      (value as Record<string, unknown>)[key] = narrowIntegers(item);
  }
  return value;
}

// A bigint is written as this marker and its digits in a string, which are then unquoted.
const BIGINT_MARK = `\uf8ff${randomBytes(6).toString("hex")}:`;
const BIGINT_MARKED = new RegExp(`"${BIGINT_MARK}(-?\\d+)"`, "g");

function markBigints(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? `${BIGINT_MARK}${value}` : value;
}

/** JSON.stringify that writes bigints as JSON integers instead of throwing. */
export function stringifyJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    if (!(error instanceof TypeError) || !/BigInt/i.test(error.message)) throw error;
    return JSON.stringify(value, markBigints).replace(BIGINT_MARKED, "$1");
  }
}
