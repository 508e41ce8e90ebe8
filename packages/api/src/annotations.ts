// The Service annotations lbipam reads (behaviour.md, "Annotations"), and the
// parse of a Service's request from them. A parse never throws: every bad
// value becomes an AnnotationProblem naming the annotation, the value and why.
import {
  type Address,
  type Family,
  formatAddress,
  InvalidAddressError,
  parseAddress,
} from "@lbipam/allocator";
import { ANNOTATION_VALUE_BYTES, PROBLEMS_SHOWN, quote, shorten } from "./bounded.js";
import type { Service } from "./resources.js";

export const ANNOTATION_IPV4_POOLS = "projectcalico.org/ipv4pools";
export const ANNOTATION_IPV6_POOLS = "projectcalico.org/ipv6pools";
export const ANNOTATION_LOADBALANCER_IPS = "projectcalico.org/loadBalancerIPs";
/** Not an annotation, but reported the same way when its value is bad. */
export const FIELD_LOADBALANCER_IP = "spec.loadBalancerIP";

/** The prefix of lbipam's own annotations (Services and pools), outside any Calico schema. */
export const LBIPAM_PREFIX = "lbipam.io/";
export const ANNOTATION_SHARING_KEY = `${LBIPAM_PREFIX}sharing-key`;
export const ANNOTATION_SHARING_CROSS_NAMESPACE = `${LBIPAM_PREFIX}sharing-cross-namespace`;

/** Longest sharing key (the length of a DNS subdomain, as names in Kubernetes). */
export const SHARING_KEY_LENGTH = 253;
/** Namespaces sharing-cross-namespace may list. */
export const MAX_CROSS_NAMESPACES = 64;

const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Every annotation that makes a Service "ask" for lbipam in RequestedServicesOnly mode. */
export const REQUEST_ANNOTATIONS = [
  ANNOTATION_IPV4_POOLS,
  ANNOTATION_IPV6_POOLS,
  ANNOTATION_LOADBALANCER_IPS,
] as const;

export const POOL_ANNOTATIONS: Record<Family, string> = {
  4: ANNOTATION_IPV4_POOLS,
  6: ANNOTATION_IPV6_POOLS,
};

/** Every annotation key lbipam reads on a Service: a key one edit away from one of these is a likely typo. */
export const SERVICE_ANNOTATIONS: readonly string[] = [
  ...REQUEST_ANNOTATIONS,
  ANNOTATION_SHARING_KEY,
  ANNOTATION_SHARING_CROSS_NAMESPACE,
];

/** Entries a pool annotation may list. */
export const MAX_POOL_ENTRIES = 32;
/** Entries loadBalancerIPs may list: one address per family. */
export const MAX_ADDRESS_ENTRIES = 2;

export interface AnnotationProblem {
  /** The annotation (or `spec.loadBalancerIP`) holding the bad value. */
  annotation: string;
  /** The value, shortened (see `shorten`). */
  value: string;
  reason: string;
  /** One line for a condition or an Event: annotation, shortened value and reason. */
  message: string;
}

/** `reason` must be bounded already: it quotes user text only through `quote`. */
export function annotationProblem(annotation: string, value: string, reason: string): AnnotationProblem {
  const short = shorten(value);
  return { annotation, value: short, reason, message: `${annotation} ${JSON.stringify(short)}: ${reason}` };
}

/** An annotation key that is probably a typo of one lbipam reads. */
export interface MisspelledAnnotation {
  key: string;
  meant: string;
}

export interface RequestedAddress extends Address {
  /** Canonical text of the address. */
  text: string;
  /** Where it was asked for: the loadBalancerIPs annotation or spec.loadBalancerIP. */
  source: string;
}

export interface ServiceRequest {
  /** Pool names or CIDRs per family, in annotation order, without repeats; absent when not asked. */
  pools: Partial<Record<Family, string[]>>;
  /** Specific addresses per family; absent when not asked. */
  addresses: Partial<Record<Family, RequestedAddress>>;
  /** A request annotation asking for something (valid or not; blank and `[]` ask nothing) or spec.loadBalancerIP. */
  asks: boolean;
  problems: AnnotationProblem[];
  /** Keys that look like typos of ours (at most PROBLEMS_SHOWN), read as if absent. */
  misspelled: MisspelledAnnotation[];
  /** lbipam.io/sharing-key and sharing-cross-namespace; absent without a (valid) key. */
  sharing?: SharingRequest;
}

type ListParse = { values: string[] } | { problem: string } | undefined;

/**
 * A JSON array of at most `maxEntries` non-empty strings; undefined when the
 * value is blank or `[]` (nothing asked). Values past ANNOTATION_VALUE_BYTES
 * are not parsed at all.
 */
function parseStringList(value: string | undefined, maxEntries: number): ListParse {
  if (value === undefined || value.trim() === "") return undefined;
  if (value.length > ANNOTATION_VALUE_BYTES || Buffer.byteLength(value) > ANNOTATION_VALUE_BYTES) {
    return { problem: `the value is ${Buffer.byteLength(value)} bytes; values past 16 KiB are not read` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return { problem: 'not valid JSON; expected a JSON array of strings such as ["a", "b"]' };
  }
  if (!Array.isArray(parsed)) return { problem: "must be a JSON array of strings" };
  if (parsed.length === 0) return undefined;
  if (parsed.length > maxEntries) {
    return { problem: `lists ${parsed.length} entries; at most ${maxEntries} are allowed` };
  }
  for (const [index, entry] of parsed.entries()) {
    if (typeof entry !== "string")
      return { problem: `entry ${index} is not a string: ${describeJson(entry)}` };
    if (entry.trim() === "") return { problem: `entry ${index} is an empty string` };
  }
  return { values: parsed as string[] };
}

function parseAddresses(source: string, value: string, texts: string[], request: ServiceRequest): void {
  const byFamily: Partial<Record<Family, RequestedAddress>> = {};
  for (const text of texts) {
    let address: Address;
    try {
      address = parseAddress(text);
    } catch (error) {
      if (!(error instanceof InvalidAddressError)) throw error;
      request.problems.push(
        annotationProblem(source, value, `invalid IP address ${quote(text)}: ${error.reason}`),
      );
      return;
    }
    const canonical = formatAddress(address.family, address.value);
    const earlier = byFamily[address.family];
    if (earlier) {
      const reason =
        earlier.value === address.value
          ? `the same address twice (${earlier.text})`
          : `two IPv${address.family} addresses (${earlier.text}, ${canonical}); at most one per family`;
      request.problems.push(annotationProblem(source, value, reason));
      return;
    }
    byFamily[address.family] = { ...address, text: canonical, source };
  }
  request.addresses = byFamily;
}

/**
 * A parsed JSON value in a few words: an array or object is named, not
 * printed (printing a deeply nested one would overflow the stack).
 */
function describeJson(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value !== null && typeof value === "object") return "an object";
  return shorten(JSON.stringify(value));
}

/** Whether `a` becomes `b` by one insertion, deletion, substitution or swap of neighbours. */
function oneEditApart(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true; // substitution (or equal)
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2); // swap
  }
  const [longer, shorter] = a.length > b.length ? [a, b] : [b, a];
  return longer.slice(i + 1) === shorter.slice(i);
}

/**
 * Keys one letter-case change or one edit away from a key lbipam reads
 * (and not that key): the first PROBLEMS_SHOWN of them. Bounded by the
 * annotations' own size: one cheap comparison per key and known key.
 */
export function misspelledAnnotations(annotations: Readonly<Record<string, string>>): MisspelledAnnotation[] {
  const found: MisspelledAnnotation[] = [];
  for (const key of Object.keys(annotations)) {
    if (SERVICE_ANNOTATIONS.includes(key)) continue;
    const lower = key.toLowerCase();
    const meant = SERVICE_ANNOTATIONS.find((known) => oneEditApart(lower, known.toLowerCase()));
    if (meant === undefined) continue;
    found.push({ key, meant });
    if (found.length === PROBLEMS_SHOWN) break;
  }
  return found;
}

/** What a misspelled key gets in the condition and its Warning Event. */
export function misspelledMessage(misspelled: MisspelledAnnotation): string {
  return `annotation ${quote(misspelled.key)} is not read: did you mean ${misspelled.meant}?`;
}

/** The sharing annotations as read, before the Service's spec is looked at. */
export interface SharingRequest {
  key: string;
  crossNamespaces: string[];
}

/**
 * Reads the sharing annotations; undefined when no key is set. Bad values
 * become problems (dropped when none are asked for: the start-up rebuild
 * reads only the request, not the rest of the Service's annotations).
 */
export function parseSharingRequest(
  annotations: Readonly<Record<string, string>>,
  problems: AnnotationProblem[] = [],
): SharingRequest | undefined {
  const key = annotations[ANNOTATION_SHARING_KEY];
  const cross = annotations[ANNOTATION_SHARING_CROSS_NAMESPACE];
  const crossNamespaces = cross === undefined ? [] : parseCrossNamespaces(cross, problems);
  if (key === undefined || key.trim() === "") return undefined;
  if (key.length > SHARING_KEY_LENGTH) {
    problems.push(
      annotationProblem(
        ANNOTATION_SHARING_KEY,
        key,
        `${key.length} characters; at most ${SHARING_KEY_LENGTH} are allowed`,
      ),
    );
    return undefined;
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses.
  if (/[\s\u0000-\u001f\u007f]/.test(key)) {
    problems.push(
      annotationProblem(ANNOTATION_SHARING_KEY, key, "must not hold spaces or control characters"),
    );
    return undefined;
  }
  return { key, crossNamespaces: crossNamespaces ?? [] };
}

/** "ns-a,ns-b" or "*"; undefined (a problem recorded) when malformed. */
function parseCrossNamespaces(value: string, problems: AnnotationProblem[]): string[] | undefined {
  const refuse = (why: string) => {
    problems.push(annotationProblem(ANNOTATION_SHARING_CROSS_NAMESPACE, value, why));
    return undefined;
  };
  if (value.length > ANNOTATION_VALUE_BYTES) return refuse("values past 16 KiB are not read");
  const names = value
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  if (names.length > MAX_CROSS_NAMESPACES) {
    return refuse(`lists ${names.length} namespaces; at most ${MAX_CROSS_NAMESPACES} are allowed`);
  }
  const bad = names.find((name) => name !== "*" && !NAMESPACE_NAME.test(name));
  if (bad !== undefined) return refuse(`${quote(bad)} is not a namespace name (or "*")`);
  return names;
}

/** Reads what a Service asks for; malformed values are reported in `problems`, never thrown. */
export function parseServiceRequest(service: Service): ServiceRequest {
  const annotations = service.metadata.annotations ?? {};
  const request: ServiceRequest = {
    pools: {},
    addresses: {},
    asks: false,
    problems: [],
    misspelled: misspelledAnnotations(annotations),
  };

  for (const family of [4, 6] as const) {
    const name = POOL_ANNOTATIONS[family];
    const raw = annotations[name];
    const list = parseStringList(raw, MAX_POOL_ENTRIES);
    if (list === undefined) continue;
    request.asks = true;
    if ("problem" in list) request.problems.push(annotationProblem(name, raw ?? "", list.problem));
    else request.pools[family] = [...new Set(list.values)];
  }

  const rawIps = annotations[ANNOTATION_LOADBALANCER_IPS];
  const ips = parseStringList(rawIps, MAX_ADDRESS_ENTRIES);
  if (ips !== undefined) {
    request.asks = true;
    if ("problem" in ips)
      request.problems.push(annotationProblem(ANNOTATION_LOADBALANCER_IPS, rawIps!, ips.problem));
    else parseAddresses(ANNOTATION_LOADBALANCER_IPS, rawIps!, ips.values, request);
  } else {
    // The deprecated field counts only when the annotation asks for nothing.
    const field = service.spec?.loadBalancerIP;
    if (typeof field === "string" && field !== "") {
      request.asks = true;
      parseAddresses(FIELD_LOADBALANCER_IP, field, [field], request);
    }
  }
  const sharing = parseSharingRequest(annotations, request.problems);
  if (sharing) request.sharing = sharing;
  return request;
}
