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
import type { Service } from "./resources.js";

export const ANNOTATION_IPV4_POOLS = "projectcalico.org/ipv4pools";
export const ANNOTATION_IPV6_POOLS = "projectcalico.org/ipv6pools";
export const ANNOTATION_LOADBALANCER_IPS = "projectcalico.org/loadBalancerIPs";
/** Not an annotation, but reported the same way when its value is bad. */
export const FIELD_LOADBALANCER_IP = "spec.loadBalancerIP";

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

export interface AnnotationProblem {
  /** The annotation (or `spec.loadBalancerIP`) holding the bad value. */
  annotation: string;
  value: string;
  reason: string;
  /** One line for a condition or an Event: annotation, value and reason. */
  message: string;
}

export function annotationProblem(annotation: string, value: string, reason: string): AnnotationProblem {
  return { annotation, value, reason, message: `${annotation} ${JSON.stringify(value)}: ${reason}` };
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
}

type ListParse = { values: string[] } | { problem: string } | undefined;

/** A JSON array of non-empty strings; undefined when the value is blank or `[]` (nothing asked). */
function parseStringList(value: string | undefined): ListParse {
  if (value === undefined || value.trim() === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return { problem: 'not valid JSON; expected a JSON array of strings such as ["a", "b"]' };
  }
  if (!Array.isArray(parsed)) return { problem: "must be a JSON array of strings" };
  if (parsed.length === 0) return undefined;
  for (const [index, entry] of parsed.entries()) {
    if (typeof entry !== "string")
      return { problem: `entry ${index} is not a string: ${JSON.stringify(entry)}` };
    if (entry.trim() === "") return { problem: `entry ${index} is an empty string` };
  }
  return { values: [...new Set(parsed as string[])] };
}

function parseAddresses(source: string, value: string, texts: string[], request: ServiceRequest): void {
  const byFamily: Partial<Record<Family, RequestedAddress>> = {};
  for (const text of texts) {
    let address: Address;
    try {
      address = parseAddress(text);
    } catch (error) {
      if (!(error instanceof InvalidAddressError)) throw error;
      request.problems.push(annotationProblem(source, value, error.message));
      return;
    }
    const earlier = byFamily[address.family];
    if (earlier) {
      request.problems.push(
        annotationProblem(
          source,
          value,
          `two IPv${address.family} addresses (${earlier.text}, ${formatAddress(address.family, address.value)}); at most one per family`,
        ),
      );
      return;
    }
    byFamily[address.family] = { ...address, text: formatAddress(address.family, address.value), source };
  }
  request.addresses = byFamily;
}

/** Reads what a Service asks for; malformed values are reported in `problems`, never thrown. */
export function parseServiceRequest(service: Service): ServiceRequest {
  const annotations = service.metadata.annotations ?? {};
  const request: ServiceRequest = { pools: {}, addresses: {}, asks: false, problems: [] };

  for (const family of [4, 6] as const) {
    const name = POOL_ANNOTATIONS[family];
    const raw = annotations[name];
    const list = parseStringList(raw);
    if (list === undefined) continue;
    request.asks = true;
    if ("problem" in list) request.problems.push(annotationProblem(name, raw ?? "", list.problem));
    else request.pools[family] = list.values;
  }

  const rawIps = annotations[ANNOTATION_LOADBALANCER_IPS];
  const ips = parseStringList(rawIps);
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
  return request;
}
