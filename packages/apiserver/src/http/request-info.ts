// Splits a resource URL into its parts, the way kube-apiserver's RequestInfo resolver does.
import { goQuote } from "../crd/field-errors.js";
import { BadRequestError } from "../errors.js";

export type Verb = "get" | "list" | "watch" | "create" | "update" | "patch" | "delete" | "deletecollection";

export interface ResourceRequest {
  group: string;
  version: string;
  /** "" for cluster-wide requests and cluster-scoped resources. */
  namespace: string;
  resource: string;
  name: string;
  subresource: string;
  verb: Verb;
}

// Subresources of a namespace itself, not resources inside it.
const namespaceSubresources = new Set(["status", "finalize"]);

/**
 * A boolean query parameter as kube-apiserver reads one: present and not
 * "false" or "0" (any case) is true, e.g. the Python client's `watch=True`
 * (apimachinery/pkg/runtime/conversion.go Convert_Slice_string_To_bool;
 * apiserver/pkg/endpoints/request/requestinfo.go for `watch`).
 */
export function queryFlag(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  if (value === null) return false;
  const lower = value.toLowerCase();
  return lower !== "false" && lower !== "0";
}

/**
 * An integer query parameter (limit, timeoutSeconds): undefined when absent. kube-apiserver
 * converts it with strconv.ParseInt (apimachinery/pkg/runtime/conversion.go
 * Convert_Slice_string_To_int64, reached from handlers/get.go ListResource's DecodeParameters)
 * and answers its error as 400 BadRequest; an empty value is refused too.
 */
export function queryInteger(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null) return undefined;
  const refused = (problem: string) =>
    new BadRequestError(`strconv.ParseInt: parsing ${goQuote(value)}: ${problem}`);
  if (!/^[+-]?\d+$/.test(value)) throw refused("invalid syntax");
  const exact = BigInt(value);
  if (exact < -(2n ** 63n) || exact >= 2n ** 63n) throw refused("value out of range");
  return Number(exact);
}

function verbFor(method: string, hasName: boolean, watch: boolean): Verb {
  switch (method) {
    case "GET":
    case "HEAD":
      // Only a request without a name becomes a list or a watch (requestinfo.go): a named GET stays a get.
      return hasName ? (watch ? "watch" : "get") : watch ? "watch" : "list";
    case "POST":
      return "create";
    case "PUT":
      return "update";
    case "PATCH":
      return "patch";
    case "DELETE":
      return hasName ? "delete" : "deletecollection";
    default:
      throw new BadRequestError(`unsupported method ${method}`);
  }
}

/** The path decoded whole and then split, as requestinfo.go splits Go's decoded URL.Path: `%2F` splits too. */
function pathSegments(path: string): string[] {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    throw new BadRequestError(`malformed path: ${path}`);
  }
  return decoded.split("/").filter((p) => p.length > 0);
}

/** Parses /api/v1/... and /apis/<group>/<version>/...; undefined for any other path. */
export function parseResourceRequest(
  method: string,
  path: string,
  query: URLSearchParams,
): ResourceRequest | undefined {
  const parts = pathSegments(path);
  let group: string;
  let rest: string[];
  if (parts[0] === "api" && parts.length >= 3) {
    group = "";
    rest = parts.slice(1);
  } else if (parts[0] === "apis" && parts.length >= 4) {
    group = parts[1]!;
    rest = parts.slice(2);
  } else {
    return undefined;
  }
  const version = rest[0]!;
  let tail = rest.slice(1);
  // The deprecated /watch/ prefix (still served: requestinfo.go specialVerbs): a watch, of one object when named.
  const watchPrefix = tail[0] === "watch" && tail.length > 1;
  if (watchPrefix) {
    if (method !== "GET" && method !== "HEAD") return undefined;
    tail = tail.slice(1);
  }
  let namespace = "";
  if (tail[0] === "namespaces" && tail.length > 1) {
    namespace = tail[1]!;
    if (tail.length > 2 && !namespaceSubresources.has(tail[2]!)) tail = tail.slice(2);
  }
  const [resource, name = "", subresource = ""] = tail;
  if (!resource || tail.length > 3) return undefined;
  const named = name !== "";
  // ?watch= makes a watch of a request without a name only; /watch/ of any.
  const watch = watchPrefix || (!named && queryFlag(query, "watch"));
  return {
    group,
    version,
    namespace,
    resource,
    name,
    subresource,
    verb: verbFor(method, named, watch),
  };
}
