// Routes one request: authentication, injected faults and latency, admin and non-resource paths,
// and resource operations; counts every resource request with its response code.
import type { IncomingMessage, ServerResponse } from "node:http";
import { adminPrefix, handleAdmin } from "./admin.js";
import type { RequestCounters } from "./counters.js";
import { BadRequestError, MethodNotSupportedError, PathNotFoundError, UnauthorizedError } from "./errors.js";
import { parseResourceRequest, type ResourceRequest } from "./http/request-info.js";
import { addWarnings, writeError, writeJson } from "./http/respond.js";
import { serveNonResource } from "./non-resource.js";
import type { OperationContext, OperationResult, ServerState } from "./operations/context.js";
import {
  createObject,
  deleteCollection,
  deleteObject,
  replaceObject,
  subresourceOf,
} from "./operations/mutate.js";
import { patchObject } from "./operations/patch.js";
import { getObject, listObjectsWhenFresh } from "./operations/read.js";
import { watchObjects } from "./operations/watch.js";
import { nameIsPathSegment } from "./validation/names.js";
import type { VersionInfo } from "./version.js";

export interface RouterConfig {
  state: ServerState;
  counters: RequestCounters;
  token: string;
  version: VersionInfo;
  /** host:port clients use, for /api's serverAddressByClientCIDRs. */
  serverAddress: () => string;
}

// Paths kube-apiserver serves to anonymous clients too.
const publicPaths = new Set(["/healthz", "/readyz", "/livez", "/version"]);

function authorized(req: IncomingMessage, token: string): boolean {
  return req.headers.authorization === `Bearer ${token}`;
}

/**
 * The request's path as sent, without its query. WHATWG URL parsing would resolve `..` and
 * `%2e%2e` segments (so `services/%2e%2e` became the namespace itself); Go's net/url, which
 * kube-apiserver routes on, keeps them as names.
 */
function requestPath(rawUrl: string): string {
  const raw = rawUrl.split("?", 1)[0] ?? "";
  const path = raw.startsWith("/") ? raw : new URL(rawUrl, "https://apiserver").pathname;
  return path.length > 1 ? path.replace(/\/+$/, "") : path;
}

/**
 * A name in the path of a get, update, patch or delete must be usable as one storage key
 * segment: not `.` or `..`, no `/` or `%` (apiserver/pkg/registry/generic/registry/store.go
 * NamespaceKeyFunc, with apimachinery/pkg/api/validation/path/name.go IsValidPathSegmentName).
 * A watch of one object selects by field instead and never builds that key.
 */
function checkNameParameter(request: ResourceRequest): void {
  if (!request.name || request.verb === "watch") return;
  const problems = nameIsPathSegment(request.name, false);
  if (problems.length > 0)
    throw new BadRequestError(
      `Name parameter invalid: ${JSON.stringify(request.name)}: ${problems.join(";")}`,
    );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function runOperation(
  ctx: OperationContext,
  res: ServerResponse,
): Promise<OperationResult | "streamed"> {
  const { review } = ctx.type;
  if (review) {
    if (ctx.request.verb === "create") return review(ctx);
    throw new MethodNotSupportedError(ctx.type, ctx.request.verb);
  }
  switch (ctx.request.verb) {
    case "get":
      // A subresource the kind does not serve has no route: 404, as for writes.
      subresourceOf(ctx);
      return getObject(ctx);
    case "list":
      return listObjectsWhenFresh(ctx);
    case "watch":
      watchObjects(ctx, res);
      return "streamed";
    case "create":
      return createObject(ctx);
    case "update":
      return replaceObject(ctx);
    case "patch":
      return patchObject(ctx);
    case "delete":
      return deleteObject(ctx);
    case "deletecollection":
      if (ctx.type.group === "" && ctx.type.resource === "namespaces") break;
      return deleteCollection(ctx);
  }
  throw new MethodNotSupportedError(ctx.type, ctx.request.verb);
}

async function serveResource(
  config: RouterConfig,
  req: IncomingMessage,
  res: ServerResponse,
  request: ResourceRequest,
  query: URLSearchParams,
): Promise<number> {
  const { state } = config;
  const type = state.registry.find(request.group, request.version, request.resource);
  if (!type) throw new PathNotFoundError();
  // A cluster-scoped resource under /namespaces/<ns>/ does not exist (the namespace itself aside).
  if (!type.namespaced && request.namespace && request.resource !== "namespaces")
    throw new PathNotFoundError();
  checkNameParameter(request);
  // Watches take their injected faults as ERROR events in the stream (see watchObjects).
  const injected =
    request.verb === "watch"
      ? undefined
      : state.faults.take(request.verb, request.resource, request.subresource, request.name, request.group);
  if (injected) throw injected;
  const result = await runOperation({ state, type, request, query, req }, res);
  if (result === "streamed") return 200;
  addWarnings(res, result.warnings ?? []);
  writeJson(res, result.status, result.body);
  return result.status;
}

export function createRouter(config: RouterConfig) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "https://apiserver");
    const path = requestPath(req.url ?? "/");
    let request: ResourceRequest | undefined;
    let code = 500;
    try {
      request = parseResourceRequest(req.method ?? "GET", path, url.searchParams);
      if (!publicPaths.has(path) && !authorized(req, config.token)) throw new UnauthorizedError();
      const latency = config.state.faults.latencyMs;
      if (latency > 0) await sleep(latency);
      if (path.startsWith(adminPrefix)) {
        await handleAdmin(req, res, path, config.state.faults, config.counters);
        return;
      }
      if (!request) {
        if (req.method !== "GET" && req.method !== "HEAD") throw new PathNotFoundError();
        const nonResource = {
          registry: config.state.registry,
          version: config.version,
          serverAddress: config.serverAddress,
        };
        if (!serveNonResource(nonResource, req, res, path)) throw new PathNotFoundError();
        return;
      }
      code = await serveResource(config, req, res, request, url.searchParams);
    } catch (error) {
      code = writeError(res, error);
    } finally {
      if (request) {
        config.counters.record({
          verb: request.verb,
          resource: request.resource,
          subresource: request.subresource,
          code,
        });
      }
    }
  };
}
