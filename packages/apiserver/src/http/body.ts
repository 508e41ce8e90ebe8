// Reading a request body and decoding it as JSON (kubectl and client-node send JSON; YAML is
// accepted too, as kube-apiserver accepts it).
import type { IncomingMessage } from "node:http";
import { parse as parseYaml } from "yaml";
import { BadRequestError, StatusError } from "../errors.js";

const maxBodyBytes = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > maxBodyBytes)
      throw new StatusError(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728");
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? "application/json").split(";")[0]!.trim().toLowerCase();
}

/** Decodes a body; `what` names the expected thing in kube's error wording. */
export function decodeBody(text: string, contentType: string | undefined, what: string): unknown {
  const type = mediaType(contentType);
  try {
    if (type.endsWith("yaml")) return parseYaml(text);
    return JSON.parse(text);
  } catch (error) {
    const problem = error instanceof Error ? error.message : String(error);
    throw new BadRequestError(`${what}: error decoding body: ${problem}`);
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
