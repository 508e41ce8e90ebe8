// patch: JSON patch, JSON merge patch, strategic merge patch (built-in kinds only) and a
// minimal apply patch; the result goes through the same update path as PUT.
import {
  BadRequestError,
  InvalidError,
  NotFoundError,
  ObjectDecodeError,
  StatusError,
  UnsupportedMediaTypeError,
} from "../errors.js";
import { decodeBody, isPlainObject, mediaType, readBody } from "../http/body.js";
import { stringifyJson } from "../http/json.js";
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, PatchError } from "../patch/index.js";
import type { KubeObject } from "../types.js";
import { invalid } from "../validation/field.js";
import type { OperationContext, OperationResult } from "./context.js";
import { subresourceOf } from "./mutate.js";
import { writeOptions } from "./write-request.js";
import { create, update } from "./writer.js";

const jsonPatch = "application/json-patch+json";
const mergePatch = "application/merge-patch+json";
const strategicPatch = "application/strategic-merge-patch+json";
const applyPatch = "application/apply-patch+yaml";

function patchFailure(error: PatchError): StatusError {
  if (error.status === 400) return new BadRequestError(error.message);
  // NewGenericServerResponse(422, ...) in handlers/patch.go: the generic message and empty details.
  if (error.status === 422) return new StatusError(422, "Invalid", error.message, {});
  return new StatusError(500, "InternalError", error.message);
}

/**
 * A patch of a type the route does not consume. Built-in kinds are routed by go-restful, whose
 * refusal kube-apiserver wraps as NewGenericServerResponse(415, ...) with go-restful's text
 * (server/handler.go serviceErrorHandler); custom resources reach the patch handler itself,
 * which names the accepted types (handlers/patch.go PatchResource).
 */
function unsupportedPatchType(ctx: OperationContext, accepted: string[]): StatusError {
  if (ctx.type.custom) return new UnsupportedMediaTypeError(accepted);
  return new StatusError(415, "UnsupportedMediaType", "415: Unsupported Media Type", {});
}

export async function patchObject(ctx: OperationContext): Promise<OperationResult> {
  const { type, request, state } = ctx;
  const subresource = subresourceOf(ctx);
  const options = writeOptions(ctx.query);
  const contentType = mediaType(ctx.req.headers["content-type"]);
  const accepted = [jsonPatch, mergePatch, ...(type.strategicSchema ? [strategicPatch] : []), applyPatch];
  if (!accepted.includes(contentType)) throw unsupportedPatchType(ctx, accepted);
  const patch = decodeBody(
    await readBody(ctx.req),
    ctx.req.headers["content-type"],
    "error decoding patch",
    type.custom,
  );
  const namespace = type.namespaced ? request.namespace : "";
  const stored = state.store.get(type.storeKey, namespace, request.name);
  if (contentType === applyPatch) {
    if (!ctx.query.get("fieldManager")) {
      throw new BadRequestError(
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      );
    }
    if (!isPlainObject(patch))
      throw new BadRequestError("error decoding YAML: the apply configuration must be an object");
    if (!stored) {
      const object = {
        ...(patch as KubeObject),
        metadata: { ...(patch as KubeObject).metadata, name: request.name },
      };
      const result = create(state, type, namespace, object, options);
      return { status: 201, body: result.object, warnings: result.warnings };
    }
  }
  if (!stored) throw new NotFoundError({ resource: type.resource, group: type.group, name: request.name });
  const current = type.fromStored(stored);
  let patched: KubeObject;
  try {
    if (contentType === jsonPatch) patched = applyJsonPatch(current, patch) as KubeObject;
    else if (contentType === strategicPatch)
      patched = applyStrategicMergePatch(current, patch, type.strategicSchema!) as KubeObject;
    else patched = applyMergePatch(current, patch) as KubeObject;
  } catch (error) {
    if (error instanceof PatchError) throw patchFailure(error);
    throw error;
  }
  try {
    const result = update(state, type, namespace, request.name, patched, subresource, options);
    return { status: 200, body: result.object, warnings: result.warnings };
  } catch (error) {
    // The patched object does not decode: NewInvalid on the field "patch" with the patched JSON
    // (handlers/patch.go applyPatchToCurrentObject), not the 400 of a body that does not.
    if (!(error instanceof ObjectDecodeError)) throw error;
    throw new InvalidError("", "", "", [invalid("patch", stringifyJson(patched), error.problem)]);
  }
}
