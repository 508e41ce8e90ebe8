// The admin endpoints under /_lbipam/: request counters and fault injection over HTTP, for
// tests that drive the server from another process.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestCounters } from "./counters.js";
import { BadRequestError, PathNotFoundError } from "./errors.js";
import type { FailureRule, Faults } from "./faults.js";
import { decodeBody, isPlainObject, readBody } from "./http/body.js";
import { writeJson } from "./http/respond.js";

export const adminPrefix = "/_lbipam/";

function failureRule(value: unknown): FailureRule {
  if (!isPlainObject(value)) throw new BadRequestError("failNext must be an object");
  const { verb, resource, subresource, code, count } = value;
  const optionalString = (v: unknown, field: string): string | undefined => {
    if (v === undefined || typeof v === "string") return v;
    throw new BadRequestError(`failNext.${field} must be a string`);
  };
  const rule: FailureRule = {
    code: code as FailureRule["code"],
    count: typeof count === "number" ? count : 1,
  };
  const v = optionalString(verb, "verb");
  const r = optionalString(resource, "resource");
  const s = optionalString(subresource, "subresource");
  if (v !== undefined) rule.verb = v;
  if (r !== undefined) rule.resource = r;
  if (s !== undefined) rule.subresource = s;
  return rule;
}

async function handleFaults(req: IncomingMessage, res: ServerResponse, faults: Faults): Promise<void> {
  if (req.method === "DELETE") faults.clear();
  else if (req.method === "POST") {
    const body = decodeBody(await readBody(req), req.headers["content-type"], "faults");
    if (!isPlainObject(body)) throw new BadRequestError("the body must be a JSON object");
    if (body.failNext !== undefined) faults.failNext(failureRule(body.failNext));
    if (body.latencyMs !== undefined) faults.setLatency(Number(body.latencyMs));
    if (body.closeWatches === true) {
      writeJson(res, 200, { ...faults.state(), closedWatches: faults.closeWatches() });
      return;
    }
  }
  writeJson(res, 200, faults.state());
}

export async function handleAdmin(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  faults: Faults,
  counters: RequestCounters,
): Promise<void> {
  switch (path) {
    case `${adminPrefix}faults`:
      return handleFaults(req, res, faults);
    case `${adminPrefix}counters`:
      if (req.method === "DELETE") counters.reset();
      writeJson(res, 200, { rows: counters.rows() });
      return;
    default:
      throw new PathNotFoundError();
  }
}
