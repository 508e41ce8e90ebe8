// create (POST), update (PUT) and delete / deletecollection (DELETE).
import { BadRequestError, MethodNotSupportedError, PathNotFoundError } from "../errors.js";
import { decodeBody, isPlainObject, readBody } from "../http/body.js";
import type { Subresource } from "../registry/resource-type.js";
import type { OperationContext, OperationResult } from "./context.js";
import { type DeletePreconditions, remove } from "./removal.js";
import { selectionFilter } from "./selection.js";
import { readObject, writeOptions } from "./write-request.js";
import { create, update } from "./writer.js";

/** The kind serves this subresource (status, where it has one). */
const servesSubresource = (ctx: OperationContext) =>
  ctx.request.subresource === "status" && ctx.type.hasStatus;

/**
 * The subresource a write goes to. One the kind does not serve has no route
 * in kube-apiserver, so it is 404 NotFound (a status patch on a kind without
 * a status subresource too), not 405.
 */
export function subresourceOf(ctx: OperationContext): Subresource {
  if (ctx.request.subresource === "") return "";
  if (servesSubresource(ctx)) return "status";
  throw new PathNotFoundError();
}

export async function createObject(ctx: OperationContext): Promise<OperationResult> {
  if (ctx.request.subresource) {
    // A served subresource has routes, but none for POST: 405; any other has none: 404.
    if (!servesSubresource(ctx)) throw new PathNotFoundError();
    throw new MethodNotSupportedError(
      { resource: `${ctx.type.resource}/${ctx.request.subresource}`, group: ctx.type.group },
      "create",
    );
  }
  const options = writeOptions(ctx.query);
  const object = await readObject(ctx);
  const result = create(ctx.state, ctx.type, ctx.request.namespace, object, options);
  return { status: 201, body: result.object, warnings: result.warnings };
}

export async function replaceObject(ctx: OperationContext): Promise<OperationResult> {
  const subresource = subresourceOf(ctx);
  const options = writeOptions(ctx.query);
  const object = await readObject(ctx);
  const { request } = ctx;
  const result = update(ctx.state, ctx.type, request.namespace, request.name, object, subresource, options);
  return { status: result.created ? 201 : 200, body: result.object, warnings: result.warnings };
}

interface DeleteOptions {
  preconditions: DeletePreconditions;
  dryRun: boolean;
}

async function readDeleteOptions(ctx: OperationContext): Promise<DeleteOptions> {
  const text = await readBody(ctx.req);
  const dryRun = ctx.query.getAll("dryRun").length > 0;
  if (text.trim() === "") return { preconditions: {}, dryRun };
  const body = decodeBody(text, ctx.req.headers["content-type"], "DeleteOptions");
  if (!isPlainObject(body)) throw new BadRequestError("DeleteOptions: the body must be a JSON object");
  const pre = isPlainObject(body.preconditions) ? body.preconditions : {};
  const preconditions: DeletePreconditions = {};
  if (typeof pre.uid === "string") preconditions.uid = pre.uid;
  if (typeof pre.resourceVersion === "string") preconditions.resourceVersion = pre.resourceVersion;
  return { preconditions, dryRun: dryRun || (Array.isArray(body.dryRun) && body.dryRun.length > 0) };
}

export async function deleteObject(ctx: OperationContext): Promise<OperationResult> {
  if (ctx.request.subresource)
    throw new MethodNotSupportedError(
      { resource: `${ctx.type.resource}/${ctx.request.subresource}`, group: ctx.type.group },
      "delete",
    );
  const options = await readDeleteOptions(ctx);
  const { request } = ctx;
  const result = remove(
    ctx.state,
    ctx.type,
    request.namespace,
    request.name,
    options.preconditions,
    options.dryRun,
  );
  // Whether finalizers hold it back or it is gone, kube answers 200 with the object.
  return { status: 200, body: result.object };
}

export async function deleteCollection(ctx: OperationContext): Promise<OperationResult> {
  const options = await readDeleteOptions(ctx);
  const { type, request, state } = ctx;
  const filter = selectionFilter(type, ctx.query);
  const namespace = type.namespaced ? request.namespace : "";
  const victims = state.store
    .list(type.storeKey, namespace)
    .map((o) => type.fromStored(o))
    .filter(filter);
  const items = victims.map(
    (o) =>
      remove(state, type, o.metadata?.namespace ?? "", o.metadata?.name ?? "", {}, options.dryRun).object,
  );
  return {
    status: 200,
    body: {
      kind: type.listKind,
      apiVersion: type.group ? `${type.group}/${type.version}` : type.version,
      metadata: {},
      items,
    },
  };
}
