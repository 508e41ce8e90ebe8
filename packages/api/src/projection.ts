// The parts of core objects lbipam reads (the shapes in resources.ts), taken
// out of whole objects as they arrive from the API server. A cache of
// projections instead of whole objects is what lets 100,000 Services fit in a
// small heap: managedFields, ports, selectors and the last-applied annotation
// are most of a Service's size and none of lbipam's business.
import { ANNOTATION_SHARING_KEY, misspelledAnnotations, SERVICE_ANNOTATIONS } from "./annotations.js";
import { Interned } from "./interned.js";
import type { Namespace, ObjectMeta, Service } from "./resources.js";

type Fields = Record<string, unknown>;

const fields = (value: unknown): Fields =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Fields) : {};

/**
 * One copy of each short text many Services repeat (their namespace, type,
 * families, condition type, reason and message, timestamps of one second):
 * JSON.parse gives every object its own.
 */
const texts = new Interned<string>(50_000);

function share<T>(value: T): T {
  if (typeof value !== "string" || value.length > 64) return value;
  return texts.of(value, value) as T;
}

/**
 * Shares the short strings of a JSON value in place. Projections keep parts
 * of the object they were given (it comes fresh from JSON.parse and is not
 * used after): copying them would cost more than the strings save.
 */
function shareWithin<T>(value: T): T {
  if (typeof value === "string") return share(value);
  if (typeof value === "object" && value !== null) {
    const fields = value as Fields;
    for (const key of Object.keys(fields)) fields[key] = shareWithin(fields[key]);
  }
  return value;
}

/** The named keys that are present (into `into`), their short strings shared or kept as `keep` says. */
function pick<T>(
  from: Fields,
  keys: readonly string[],
  keep: (value: unknown) => unknown = shareWithin,
  into: Fields = {},
): T {
  for (const key of keys) if (from[key] !== undefined) into[key] = keep(from[key]);
  return into as T;
}

/** Each object's (or each version's) own: sharing them would only fill the table, and hold old versions. */
const IDENTITY_KEYS = ["name", "uid", "resourceVersion", "generation"] as const;
/** What many objects repeat: their namespace, timestamps of one second. */
const REPEATED_META_KEYS = ["namespace", "creationTimestamp", "deletionTimestamp"] as const;

function meta(object: Fields, extra: (metadata: Fields) => Partial<ObjectMeta>): ObjectMeta {
  const metadata = fields(object.metadata);
  // One object filled in turn: a literal spread from three picks took about 220 bytes more a Service (100k projected).
  const out: Fields = {};
  pick(metadata, IDENTITY_KEYS, (value) => value, out);
  pick(metadata, REPEATED_META_KEYS, shareWithin, out);
  return Object.assign(out, extra(metadata)) as ObjectMeta;
}

/**
 * Only the annotations lbipam reads on a Service, and keys that look like
 * typos of them (they get a Warning); undefined when it has none of them.
 */
function requestAnnotations(metadata: Fields): Partial<ObjectMeta> {
  const all = fields(metadata.annotations);
  const kept = pick<Record<string, string>>(all, SERVICE_ANNOTATIONS);
  // A typo'd key's value is never read: kept empty, so a huge one costs nothing.
  for (const { key } of misspelledAnnotations(all as Record<string, string>)) kept[key] = "";
  return Object.keys(kept).length > 0 ? { annotations: kept } : {};
}

const SERVICE_SPEC_KEYS = ["type", "loadBalancerClass", "loadBalancerIP", "ipFamilyPolicy"];
/** What sharing an address reads (sharing.ts) besides the ports: kept only for Services with a sharing key. */
const SHARING_SPEC_KEYS = ["externalTrafficPolicy", "selector"];

/** The few family lists there are (["IPv4"], ["IPv6", "IPv4"], ...): one copy of each. */
const familyLists = new Interned<unknown[]>(100);

function sharedFamilies(spec: Fields, into: Fields): void {
  const families = spec.ipFamilies;
  if (!Array.isArray(families)) {
    if (families !== undefined) into.ipFamilies = families;
    return;
  }
  into.ipFamilies = familyLists.of(JSON.stringify(families), families.map(share));
}

type Ports = NonNullable<NonNullable<Service["spec"]>["ports"]>;
/** Port lists as sharing reads them (port and protocol only): most Services repeat a few. */
const portLists = new Interned<Ports>(10_000);

function sharingPorts(ports: unknown[]): Ports {
  const kept = ports.map((entry) => pick<Ports[number]>(fields(entry), ["port", "protocol"], share));
  return portLists.of(JSON.stringify(kept), kept);
}

// One object filled in turn: built with two spreads, a Service's spec took about 250 bytes more (V8 made it a dictionary).
function serviceSpec(whole: Fields): Service["spec"] {
  const spec = fields(whole.spec);
  const annotations = fields(fields(whole.metadata).annotations);
  const out = pick<Fields>(spec, SERVICE_SPEC_KEYS);
  sharedFamilies(spec, out);
  if (annotations[ANNOTATION_SHARING_KEY] === undefined) return out;
  pick(spec, SHARING_SPEC_KEYS, shareWithin, out);
  if (Array.isArray(spec.ports)) out.ports = sharingPorts(spec.ports);
  return out;
}

/** A Service as lbipam reads it: identity, the request (spec and request annotations) and the status. */
export function projectService(object: unknown): Service {
  const whole = fields(object);
  const status = fields(whole.status);
  const projected: Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(whole, (metadata) => ({
      ...requestAnnotations(metadata),
      // For pools' lbipam.io/service-selector.
      ...(metadata.labels === undefined ? {} : { labels: fields(metadata.labels) as Record<string, string> }),
    })),
    spec: serviceSpec(whole),
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
