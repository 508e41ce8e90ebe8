// The paths that are not resources: health, /version, discovery and OpenAPI documents.
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  acceptedAggregatedVersion,
  aggregatedContentType,
  aggregatedDiscovery,
} from "./discovery/aggregated.js";
import { apiGroup, apiGroupList, apiResourceList, apiVersions } from "./discovery/legacy.js";
import { PathNotFoundError } from "./errors.js";
import { writeJson } from "./http/respond.js";
import { openApiV2Json, openApiV2Protobuf, wantsProtobuf } from "./openapi/v2.js";
import { openApiDocument, openApiIndex } from "./openapi/v3.js";
import type { Registry } from "./registry/registry.js";
import type { VersionInfo } from "./version.js";

export interface NonResourceConfig {
  registry: Registry;
  version: VersionInfo;
  /** host:port clients use, for /api's serverAddressByClientCIDRs. */
  serverAddress: () => string;
}

/** Answers non-resource GETs; false when the path is not one of them. */
export function serveNonResource(
  config: NonResourceConfig,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): boolean {
  const { registry } = config;
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
