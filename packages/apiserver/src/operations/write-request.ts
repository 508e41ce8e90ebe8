// Decoding the body and options of create, update and patch requests.
import { BadRequestError, UnsupportedMediaTypeError } from "../errors.js";
import { decodeBody, isPlainObject, mediaType, readBody } from "../http/body.js";
import { nonProtobufMediaTypes, protobufMediaType } from "../protobuf/index.js";
import { groupVersion } from "../registry/resource-type.js";
import type { KubeObject } from "../types.js";
import type { OperationContext } from "./context.js";
import { parseFieldValidation, type WriteOptions } from "./write-options.js";

/** What a created or replaced object may be sent as. */
const OBJECT_MEDIA_TYPES = [...nonProtobufMediaTypes, protobufMediaType];

export function writeOptions(query: URLSearchParams): WriteOptions {
  const dryRun = query.getAll("dryRun");
  if (dryRun.some((v) => v !== "All"))
    throw new BadRequestError(
      `dryRun: Unsupported value: "${dryRun.find((v) => v !== "All")}": supported values: "All"`,
    );
  return { fieldValidation: parseFieldValidation(query.get("fieldValidation")), dryRun: dryRun.length > 0 };
}

/** Reads an object body and checks it is of the resource's group/version/kind. */
export async function readObject(ctx: OperationContext): Promise<KubeObject> {
  const { type } = ctx;
  // A Content-Type no decoder knows (text/plain) is 415; none at all means JSON, the first
  // supported (apiserver/pkg/endpoints/handlers/negotiation/negotiate.go NegotiateInputSerializerForMediaType).
  if (!OBJECT_MEDIA_TYPES.includes(mediaType(ctx.req.headers["content-type"]))) {
    throw new UnsupportedMediaTypeError(OBJECT_MEDIA_TYPES);
  }
  const text = await readBody(ctx.req);
  const decoded = decodeBody(
    text,
    ctx.req.headers["content-type"],
    `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}`,
    type.custom,
  );
  if (!isPlainObject(decoded)) {
    throw new BadRequestError(
      `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: the body must be a JSON object`,
    );
  }
  const object = decoded as KubeObject;
  const expected = groupVersion(type);
  if (object.apiVersion !== undefined && object.apiVersion !== expected) {
    throw new BadRequestError(
      `the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${expected})`,
    );
  }
  if (object.kind !== undefined && object.kind !== type.kind) {
    throw new BadRequestError(
      `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: the kind in the data (${String(object.kind)}) does not match the expected kind`,
    );
  }
  if (object.metadata !== undefined && !isPlainObject(object.metadata)) {
    throw new BadRequestError(
      `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: metadata must be an object`,
    );
  }
  return { ...object, apiVersion: expected, kind: type.kind };
}
