// Protobuf request bodies (application/vnd.kubernetes.protobuf), as kubectl's typed commands
// and client-go typed clients send them for built-in kinds: decoded to the JSON object the
// JSON path would have received. Answers stay JSON, which such clients accept.
import { BadRequestError, UnsupportedMediaTypeError } from "../errors.js";
import { decodeMessage } from "./decode.js";
import { decodeEnvelope } from "./envelope.js";
import { objectSchemas, optionsSchemas } from "./kinds.js";
import type { MessageSchema } from "./schema.js";
import { ProtobufDecodeError } from "./wire.js";

export { decodeMessage } from "./decode.js";
export { decodeEnvelope, type Envelope, hasProtobufMagic, protobufMagic } from "./envelope.js";
export * as schemas from "./kinds.js";
export { ProtobufDecodeError, WireReader, WireType } from "./wire.js";

export const protobufMediaType = "application/vnd.kubernetes.protobuf";

/** What a request body may be instead, when its protobuf kind has no schema (custom resources). */
export const nonProtobufMediaTypes = ["application/json", "application/yaml"];

/** A protobuf body of a kind this server cannot decode. */
export class UnsupportedProtobufKindError extends Error {
  override readonly name = "UnsupportedProtobufKindError";
  constructor(
    readonly apiVersion: string,
    readonly kind: string,
  ) {
    super(`no protobuf schema for ${kind} in version "${apiVersion}"`);
  }
}

export function schemaFor(apiVersion: string, kind: string): MessageSchema | undefined {
  return objectSchemas.get(apiVersion)?.get(kind) ?? optionsSchemas.get(kind);
}

/** Decodes an enveloped protobuf object to its JSON form, apiVersion and kind included. */
export function decodeProtobufObject(bytes: Uint8Array): Record<string, unknown> {
  const envelope = decodeEnvelope(bytes);
  if (envelope.kind === "")
    throw new ProtobufDecodeError("Object 'Kind' is missing in the protobuf envelope");
  if (envelope.contentEncoding !== "")
    throw new ProtobufDecodeError(`unsupported content encoding "${envelope.contentEncoding}"`);
  if (envelope.contentType !== "" && envelope.contentType !== protobufMediaType)
    throw new ProtobufDecodeError(`unsupported embedded content type "${envelope.contentType}"`);
  const schema = schemaFor(envelope.apiVersion, envelope.kind);
  if (!schema) throw new UnsupportedProtobufKindError(envelope.apiVersion, envelope.kind);
  return { apiVersion: envelope.apiVersion, kind: envelope.kind, ...decodeMessage(schema, envelope.raw) };
}

/**
 * A request body sent as protobuf; `what` names the expected thing in kube's error wording.
 * Malformed bodies are 400 BadRequest; kinds without a schema are 415 UnsupportedMediaType.
 */
export function decodeProtobufBody(bytes: Uint8Array, what: string): Record<string, unknown> {
  try {
    return decodeProtobufObject(bytes);
  } catch (error) {
    if (error instanceof UnsupportedProtobufKindError)
      throw new UnsupportedMediaTypeError(nonProtobufMediaTypes);
    if (error instanceof ProtobufDecodeError || error instanceof RangeError)
      throw new BadRequestError(`${what}: error decoding body: ${error.message}`);
    throw error;
  }
}
