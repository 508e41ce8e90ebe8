// Routes one request: authentication, injected faults, non-resource paths (version, discovery,
// openapi, health, admin) and resource operations. Returns the response code for the counters.
import type { IncomingMessage, ServerResponse } from "node:http";
import { adminPrefix, handleAdmin } from "./admin.js";
import type { RequestCounters } from "./counters.js";
import {
  acceptedAggregatedVersion,
  aggregatedContentType,
  aggregatedDiscovery,
} from "./discovery/aggregated.js";
import { apiGroup, apiGroupList, apiResourceList, apiVersions } from "./discovery/legacy.js";
import { MethodNotSupportedError, PathNotFoundError, UnauthorizedError } from "./errors.js";
import { parseResourceRequest, type ResourceRequest } from "./http/request-info.js";
import { addWarnings, writeError, writeJson } from "./http/respond.js";
import { openApiV2Json, openApiV2Protobuf, wantsProtobuf } from "./openapi/v2.js";
import { openApiDocument, openApiIndex } from "./openapi/v3.js";
import type { OperationContext, OperationResult, ServerState } from "./operations/context.js";
import { createObject, deleteCollection, deleteObject, replaceObject } from "./operations/mutate.js";
import { patchObject } from "./operations/patch.js";
import { getObject, listObjects } from "./operations/read.js";
import { watchObjects } from "./operations/watch.js";
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Answers non-resource GETs; false when the path is not one of them. */
function serveNonResource(
  config: RouterConfig,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): boolean {
  const { registry } = config.state;
  const send = (body: unknown) => {
    if (body === undefined) throw new PathNotFoundError();
    writeJson(res, 200, body);
    return true;
  };
  if (path === "/healthz" || path === "/readyz" || path === "/livez") {
    res.writeHead(200, { "Content-Type": "text/plain" }).end("ok");
    return true;
  }
  if (path === "/version") return send(config.version);
  if (path === "/api" || path === "/apis") {
    const aggregated = acceptedAggregatedVersion(req);
    if (aggregated) {
      writeJson(
        res,
        200,
        aggregatedDiscovery(registry, aggregated, path === "/api"),
        aggregatedContentType(aggregated),
      );
      return true;
    }
    return send(path === "/api" ? apiVersions(config.serverAddress()) : apiGroupList(registry));
  }
  const parts = path.split("/").filter(Boolean);
  if (parts[0] === "api" && parts.length === 2) return send(apiResourceList(registry, "", parts[1]!));
  if (parts[0] === "apis" && parts.length === 2) return send(apiGroup(registry, parts[1]!));
  if (parts[0] === "apis" && parts.length === 3) return send(apiResourceList(registry, parts[1]!, parts[2]!));
  if (path === "/openapi/v3") return send(openApiIndex(registry, config.version.gitVersion));
  if (parts[0] === "openapi" && parts[1] === "v3") {
    const [, , root, a, b] = parts;
    if (root === "api" && a && !b) return send(openApiDocument(registry, "", a, config.version.gitVersion));
    if (root === "apis" && a && b) return send(openApiDocument(registry, a, b, config.version.gitVersion));
    throw new PathNotFoundError();
  }
  if (path === "/openapi/v2") {
    if (!wantsProtobuf(req)) return send(openApiV2Json(registry, config.version.gitVersion));
    const body = openApiV2Protobuf(registry, config.version.gitVersion);
    res
      .writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": body.length })
      .end(body);
    return true;
  }
  if (parts[0] === "openapi") throw new PathNotFoundError();
  return false;
}

async function runOperation(
  ctx: OperationContext,
  res: ServerResponse,
): Promise<OperationResult | "streamed"> {
  switch (ctx.request.verb) {
    case "get":
      if (ctx.request.subresource && ctx.request.subresource !== "status") break;
      return getObject(ctx);
    case "list":
      return listObjects(ctx);
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
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : url.pathname;
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
        if (!serveNonResource(config, req, res, path)) throw new PathNotFoundError();
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
