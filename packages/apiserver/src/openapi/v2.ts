// /openapi/v2, reduced to what kubectl 1.27 and 1.28 read from it: for each kind, a PATCH
// operation tagged with its group/version/kind and offering the fieldValidation query
// parameter, which tells kubectl the server validates fields itself. kubectl asks for the
// protobuf encoding (gnostic's openapi.v2.Document); field numbers below are that schema's.
import type { IncomingMessage } from "node:http";
import type { Registry } from "../registry/registry.js";
import type { ResourceType } from "../registry/resource-type.js";
import { type Field, message } from "./protobuf.js";
import { openApiPath } from "./v3.js";

export const protobufMediaType = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";

export function wantsProtobuf(req: IncomingMessage): boolean {
  return (req.headers.accept ?? "").includes(protobufMediaType);
}

interface PatchPath {
  path: string;
  gvk: { group: string; version: string; kind: string };
}

function patchPaths(registry: Registry): PatchPath[] {
  return registry.all().map((type: ResourceType) => ({
    path: `/${openApiPath(type.group, type.version)}${type.namespaced ? "/namespaces/{namespace}" : ""}/${type.resource}/{name}`,
    gvk: { group: type.group, version: type.version, kind: type.kind },
  }));
}

const gvkExtension = "x-kubernetes-group-version-kind";

function encodePath({ path, gvk }: PatchPath): Uint8Array {
  // Any.yaml (2) holds the extension's value as YAML.
  const yaml = `group: ${JSON.stringify(gvk.group)}\nkind: ${gvk.kind}\nversion: ${gvk.version}\n`;
  const extension = message([
    { number: 1, value: gvkExtension },
    { number: 2, value: message([{ number: 2, value: yaml }]) },
  ]);
  // QueryParameterSubSchema: in (2), name (4), type (6), unique_items (20).
  const queryParameter = message([
    { number: 2, value: "query" },
    { number: 4, value: "fieldValidation" },
    { number: 6, value: "string" },
    { number: 20, value: true },
  ]);
  // ParametersItem.parameter (1) -> Parameter.non_body_parameter (2) -> NonBodyParameter.query (3).
  const parameter = message([
    { number: 1, value: message([{ number: 2, value: message([{ number: 3, value: queryParameter }]) }]) },
  ]);
  // Operation: parameters (8), vendor_extension (13).
  const operation = message([
    { number: 8, value: parameter },
    { number: 13, value: extension },
  ]);
  // NamedPathItem: name (1), value (2) = PathItem with patch (8).
  return message([
    { number: 1, value: path },
    { number: 2, value: message([{ number: 8, value: operation }]) },
  ]);
}

/** The protobuf document: swagger (1), info (2: title 1, version 2), paths (8: path 2). */
export function openApiV2Protobuf(registry: Registry, serverVersion: string): Uint8Array {
  const paths: Field[] = patchPaths(registry).map((p) => ({ number: 2, value: encodePath(p) }));
  return message([
    { number: 1, value: "2.0" },
    {
      number: 2,
      value: message([
        { number: 1, value: "Kubernetes" },
        { number: 2, value: serverVersion },
      ]),
    },
    { number: 8, value: message(paths) },
  ]);
}

/** The same document as JSON, for clients that do not ask for protobuf. */
export function openApiV2Json(registry: Registry, serverVersion: string) {
  const paths: Record<string, unknown> = {};
  for (const { path, gvk } of patchPaths(registry)) {
    paths[path] = {
      patch: {
        parameters: [{ name: "fieldValidation", in: "query", type: "string", uniqueItems: true }],
        [gvkExtension]: gvk,
      },
    };
  }
  return { swagger: "2.0", info: { title: "Kubernetes", version: serverVersion }, paths };
}
