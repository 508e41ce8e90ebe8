// Table cells of custom resources, computed as kube-apiserver's CRD table convertor does.

import { stringifyJson } from "../http/json.js";
import type { KubeObject } from "../types.js";
import { conformsToFormat } from "./formats.js";
import { isJsonObject } from "./json.js";
import { type JsonPath, parseJsonPath } from "./jsonpath.js";
import type { CompiledCrdVersion, PrinterColumn } from "./types.js";

/**
 * One cell per `version.printerColumns` entry, in order (the Name cell is not included):
 * null when the path finds nothing; `date` columns as an age such as `5m12s`, relative to `now`.
 */
export function printerColumnCells(
  version: CompiledCrdVersion,
  object: KubeObject,
  now: number = Date.now(),
): unknown[] {
  return version.printerColumns.map((column) => cell(column, object, now));
}

/** Parsed paths per column, so a list of thousands of rows parses each path once. */
const parsedPaths = new WeakMap<PrinterColumn, JsonPath>();

function pathOf(column: PrinterColumn): JsonPath {
  let path = parsedPaths.get(column);
  if (!path) {
    path = parseJsonPath(column.jsonPath);
    parsedPaths.set(column, path);
  }
  return path;
}

function cell(column: PrinterColumn, object: KubeObject, now: number): unknown {
  const found = pathOf(column).find(object);
  if (found.length === 0) return null;
  const value = found[0];
  if (value === null || value === undefined) return null;
  switch (column.type) {
    case "string":
      return printText(value);
    case "integer":
      if (typeof value === "bigint") return value;
      return typeof value === "number" ? Math.trunc(value) : null;
    case "number":
      if (typeof value === "bigint") return Number(value);
      return typeof value === "number" ? value : null;
    case "boolean":
      return typeof value === "boolean" ? value : null;
    case "date":
      return typeof value === "string" ? age(value, now) : null;
  }
}

/** What JSONPath printing gives: strings as they are, lists and maps as compact JSON. */
function printText(value: unknown): string {
  if (typeof value === "string") return value;
  if (Array.isArray(value) || isJsonObject(value)) return goJson(value);
  return String(value);
}

/** Go's json.Marshal of decoded JSON: sorted keys, and <, > and & escaped. */
function goJson(value: unknown): string {
  const sorted = (item: unknown): unknown => {
    if (Array.isArray(item)) return item.map(sorted);
    if (!isJsonObject(item)) return item;
    return Object.fromEntries(
      Object.keys(item)
        .sort()
        .map((key) => [key, sorted(item[key])]),
    );
  };
  return stringifyJson(sorted(value))
    .replaceAll("<", "\\u003c")
    .replaceAll(">", "\\u003e")
    .replaceAll("&", "\\u0026");
}

function age(timestamp: string, now: number): string {
  // kube-apiserver parses RFC 3339 only; anything else is "<invalid>".
  const time = conformsToFormat("date-time", timestamp) ? Date.parse(timestamp) : Number.NaN;
  if (Number.isNaN(time)) return "<invalid>";
  return humanDuration(now - time);
}

/** apimachinery's duration.HumanDuration: about two significant figures of an age. */
export function humanDuration(milliseconds: number): string {
  const seconds = Math.trunc(milliseconds / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) return withRemainder(minutes, "m", seconds % 60, "s");
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) return withRemainder(hours, "h", minutes % 60, "m");
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return withRemainder(Math.trunc(hours / 24), "d", hours % 24, "h");
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    return withRemainder(Math.trunc(hours / 24 / 365), "y", Math.trunc(hours / 24) % 365, "d");
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

function withRemainder(whole: number, unit: string, remainder: number, remainderUnit: string): string {
  return remainder === 0 ? `${whole}${unit}` : `${whole}${unit}${remainder}${remainderUnit}`;
}
