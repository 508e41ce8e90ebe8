// Writing JSON answers and Status errors.
import type { ServerResponse } from "node:http";
import { InternalError, StatusError } from "../errors.js";
import { stringifyJson } from "./json.js";

export function writeJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  contentType = "application/json",
): void {
  const text = stringifyJson(body);
  res.writeHead(status, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/** Answers with the Status body of a StatusError; anything else becomes a 500 InternalError. */
export function writeError(res: ServerResponse, error: unknown): number {
  const statusError =
    error instanceof StatusError
      ? error
      : new InternalError(error instanceof Error ? error.message : String(error));
  if (res.headersSent) {
    res.destroy();
    return statusError.httpStatus;
  }
  const retryAfter = statusError.details?.retryAfterSeconds;
  if (retryAfter !== undefined) res.setHeader("Retry-After", String(retryAfter));
  writeJson(res, statusError.httpStatus, statusError.toStatus());
  return statusError.httpStatus;
}

/** Adds `Warning: 299 - "..."` headers, as kube-apiserver reports warnings. */
export function addWarnings(res: ServerResponse, warnings: string[]): void {
  if (warnings.length === 0) return;
  // Header values must be ASCII: anything else (a field name a client made up) is escaped.
  const ascii = (text: string) =>
    JSON.stringify(text).replace(
      /[^\x20-\x7e]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
  res.setHeader(
    "Warning",
    warnings.map((w) => `299 - ${ascii(w)}`),
  );
}
