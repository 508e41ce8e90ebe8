// Reading a request body and decoding it as JSON (kubectl and client-node send JSON; YAML is
// accepted too, as kube-apiserver accepts it; kubectl's typed commands send built-in kinds as
// protobuf, decoded in protobuf/).
import type { IncomingMessage } from "node:http";
import { parse as parseYaml } from "yaml";
import { BadRequestError, StatusError } from "../errors.js";
import { decodeProtobufBody, protobufMediaType } from "../protobuf/index.js";
import { narrowIntegers, parseJsonExact } from "./json.js";

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
  // A protobuf body is binary: kept byte for byte (latin1) for decodeBody.
  const binary = mediaType(req.headers["content-type"]) === protobufMediaType;
  return Buffer.concat(chunks).toString(binary ? "latin1" : "utf8");
}

export function mediaType(contentType: string | undefined): string {
  return (contentType ?? "application/json").split(";")[0]!.trim().toLowerCase();
}

/**
 * Decodes a body; `what` names the expected thing in kube's error wording. With `exactIntegers`
 * (custom resources, kept as unstructured JSON) integers past 2^53 stay exact as bigints.
 */
export function decodeBody(
  text: string,
  contentType: string | undefined,
  what: string,
  exactIntegers = false,
): unknown {
  const type = mediaType(contentType);
  if (type === protobufMediaType) return decodeProtobufBody(Buffer.from(text, "latin1"), what);
  try {
    if (type.endsWith("yaml"))
      return exactIntegers ? narrowIntegers(parseYaml(text, { intAsBigInt: true })) : parseYaml(text);
    return exactIntegers ? parseJsonExact(text) : JSON.parse(text);
  } catch (error) {
    const problem = error instanceof Error ? error.message : String(error);
    throw new BadRequestError(`${what}: error decoding body: ${problem}`);
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
