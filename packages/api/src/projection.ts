// The parts of core objects lbipam reads (the shapes in resources.ts), copied
// out of whole objects as they arrive from the API server. A cache of
// projections instead of whole objects is what lets 100,000 Services fit in a
// small heap: managedFields, ports, selectors and the last-applied annotation
// are most of a Service's size and none of lbipam's business.
import { REQUEST_ANNOTATIONS } from "./annotations.js";
import type { Namespace, ObjectMeta, Service } from "./resources.js";

type Fields = Record<string, unknown>;

const fields = (value: unknown): Fields =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Fields) : {};

/** Copies the named keys that are present, as they are. */
function pick<T>(from: Fields, keys: readonly string[]): T {
  const out: Fields = {};
  for (const key of keys) if (from[key] !== undefined) out[key] = from[key];
  return out as T;
}

const META_KEYS = [
  "name",
  "namespace",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
] as const;

function meta(object: Fields, extra: (metadata: Fields) => Partial<ObjectMeta>): ObjectMeta {
  const metadata = fields(object.metadata);
  return { ...pick<ObjectMeta>(metadata, META_KEYS), ...extra(metadata) };
}

/** Only the annotations a Service asks with; undefined when it has none of them. */
function requestAnnotations(metadata: Fields): Partial<ObjectMeta> {
  const all = fields(metadata.annotations);
  const kept = pick<Record<string, string>>(all, REQUEST_ANNOTATIONS);
  return Object.keys(kept).length > 0 ? { annotations: kept } : {};
}

const SERVICE_SPEC_KEYS = ["type", "loadBalancerClass", "loadBalancerIP", "ipFamilies", "ipFamilyPolicy"];

/** A Service as lbipam reads it: identity, the request (spec and request annotations) and the status. */
export function projectService(object: unknown): Service {
  const whole = fields(object);
  const status = fields(whole.status);
  const projected: Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(whole, requestAnnotations),
    spec: pick(fields(whole.spec), SERVICE_SPEC_KEYS),
  };
  const kept = pick<NonNullable<Service["status"]>>(status, ["loadBalancer", "conditions"]);
  if (Object.keys(kept).length > 0) projected.status = kept;
  return projected;
}

/** A Namespace as lbipam reads it: its name and labels. */
export function projectNamespace(object: unknown): Namespace {
  return {
    metadata: meta(fields(object), (metadata) =>
      metadata.labels === undefined ? {} : { labels: fields(metadata.labels) as Record<string, string> },
    ),
  };
}
