// Timestamps as Kubernetes reads and writes metav1.Time and metav1.MicroTime
// (apimachinery/pkg/apis/meta/v1/time.go, micro_time.go): Time is parsed with Go's
// time.RFC3339 layout and written in UTC with whole seconds; MicroTime is parsed with
// RFC3339Micro, which needs exactly six fractional digits, and written in UTC with six.
import { goQuote } from "../crd/field-errors.js";

export type TimeKind = "Time" | "MicroTime";

const LAYOUTS: Record<TimeKind, string> = {
  Time: "2006-01-02T15:04:05Z07:00",
  MicroTime: "2006-01-02T15:04:05.000000Z07:00",
};

/** Seconds-precision RFC 3339, as Kubernetes writes metav1.Time. */
export function kubeTimestamp(date = new Date()): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** A moment as Time (`micro` false) or MicroTime writes it; undefined if no Date can hold it. */
export function formatTime(seconds: number, nanos: number, micro: boolean): string | undefined {
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime())) return undefined;
  const whole = date.toISOString().replace(/\.\d{3}Z$/, "");
  if (!micro) return `${whole}Z`;
  const micros = Math.floor(Math.max(0, Math.min(nanos, 999_999_999)) / 1000);
  return `${whole}.${String(micros).padStart(6, "0")}Z`;
}

/** A value Go's time.Parse refuses, with its ParseError text. */
export class TimeParseError extends Error {}

const isDigit = (text: string, at: number) => at < text.length && text[at]! >= "0" && text[at]! <= "9";

/**
 * Parses `value` as Go's time.Parse does with the layout of `kind`, chunk by chunk, failing with
 * the same messages (time/format.go parse, getnum, parseNanoseconds), and writes it as the kind's
 * MarshalJSON does.
 */
export function normalizeTime(value: string, kind: TimeKind): string {
  const layout = LAYOUTS[kind];
  let rest = value;
  const fail = (layoutElem: string, valueElem: string): never => {
    throw new TimeParseError(
      `parsing time ${goQuote(value)} as ${goQuote(layout)}: cannot parse ${goQuote(valueElem)} as ${goQuote(layoutElem)}`,
    );
  };
  const outOfRange = (what: string): never => {
    throw new TimeParseError(`parsing time ${goQuote(value)}: ${what} out of range`);
  };
  const literal = (text: string) => {
    if (!rest.startsWith(text)) fail(text, rest);
    rest = rest.slice(text.length);
  };
  // getnum: two digits when fixed, else one or two.
  const number = (layoutElem: string, fixed: boolean): number => {
    if (!isDigit(rest, 0)) fail(layoutElem, rest);
    const width = isDigit(rest, 1) ? 2 : fixed ? fail(layoutElem, rest) : 1;
    const n = Number(rest.slice(0, width));
    rest = rest.slice(width);
    return n;
  };
  const fraction = (layoutElem: string, digits: number): number => {
    const hold = rest;
    if (rest.length < 1 + digits || !/^[.,]$/.test(rest[0]!)) fail(layoutElem, hold);
    const text = rest.slice(1, 1 + digits);
    if (!/^\d+$/.test(text)) fail(layoutElem, hold);
    rest = rest.slice(1 + digits);
    return Number(text.slice(0, 9).padEnd(9, "0"));
  };

  if (rest.length < 4 || !/^\d{4}/.test(rest)) fail("2006", rest);
  const year = Number(rest.slice(0, 4));
  rest = rest.slice(4);
  literal("-");
  const month = number("01", true);
  if (month < 1 || month > 12) outOfRange("month");
  literal("-");
  const day = number("02", true);
  literal("T");
  const hour = number("15", false);
  if (hour >= 24) outOfRange("hour");
  literal(":");
  const minute = number("04", true);
  if (minute >= 60) outOfRange("minute");
  literal(":");
  const second = number("05", true);
  if (second >= 60) outOfRange("second");
  let nanos = 0;
  if (kind === "MicroTime") nanos = fraction(".000000", 6);
  else if (rest.length >= 2 && /^[.,]$/.test(rest[0]!) && isDigit(rest, 1)) {
    // A fraction the layout does not have is read and dropped (the stdSecond special case).
    let digits = 1;
    while (isDigit(rest, 1 + digits)) digits++;
    nanos = fraction("05", digits);
  }
  let offset = 0;
  if (rest.startsWith("Z")) rest = rest.slice(1);
  else {
    if (rest.length < 6 || rest[3] !== ":") fail("Z07:00", rest);
    const sign = rest[0];
    const hours = rest.slice(1, 3);
    const minutes = rest.slice(4, 6);
    if (!/^\d\d$/.test(hours) || !/^\d\d$/.test(minutes) || (sign !== "+" && sign !== "-"))
      fail("Z07:00", rest);
    if (Number(hours) > 24) outOfRange("time zone offset hour");
    if (Number(minutes) > 60) outOfRange("time zone offset minute");
    offset = (sign === "-" ? -1 : 1) * (Number(hours) * 60 + Number(minutes)) * 60;
    rest = rest.slice(6);
  }
  if (rest.length > 0)
    throw new TimeParseError(`parsing time ${goQuote(value)}: extra text: ${goQuote(rest)}`);
  const daysInMonth = new Date(Date.UTC(2000, month, 0)).getUTCDate();
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day < 1 || day > (month === 2 && !leap ? 28 : daysInMonth)) outOfRange("day");
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second);
  const seconds = date.getTime() / 1000 - offset;
  return formatTime(seconds, nanos, kind === "MicroTime") ?? outOfRange("year");
}
