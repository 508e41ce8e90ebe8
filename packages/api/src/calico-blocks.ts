// The addresses Calico's own LoadBalancer controller recorded for Services
// in Calico IPAM blocks (behaviour.md "Calico clusters"), read from one
// block object as Calico's controller reads them
// (kube-controllers/pkg/controllers/loadbalancer/loadbalancer_controller.go,
// handleBlockUpdate): only blocks with affinity `virtual:load-balancer`; the
// allocation at ordinal i is the block's i-th address, and its attributes
// (spec.attributes[spec.allocations[i]]) name the handle and, in `secondary`,
// the namespace and Service. Field names from libcalico-go's
// config/crd/crd.projectcalico.org_ipamblocks.yaml. Pure: the controller and
// the plugin give it the objects they read.
import { createHash } from "node:crypto";
import { type Address, cidrSize, formatAddress, parseCidr } from "@lbipam/allocator";
import { boundedMessage, quote } from "./bounded.js";

/** The affinity of the blocks Calico's LoadBalancer controller allocates from. */
export const CALICO_LB_AFFINITY = "virtual:load-balancer";
/** Calico's IPAM attribute keys naming the Service (libcalico-go lib/ipam). */
export const CALICO_ATTRIBUTE = { namespace: "namespace", service: "service" } as const;
/**
 * Most allocations read from one block. Calico's block sizes are /20 to /32
 * (IPv4) and /116 to /128 (IPv6): at most 4,096 ordinals; anything longer is
 * not Calico's and is cut, with a problem.
 */
export const BLOCK_ORDINALS = 4096;
const BLOCK_ORDINALS_BIG = BigInt(BLOCK_ORDINALS);

/** An address a Calico block records for a Service. */
export interface CalicoRecord {
  address: Address;
  /** Its canonical form. */
  text: string;
  /** The Service's key, namespace/name. */
  service: string;
  /** Calico's handle: which Service of that name (calicoServiceHandle). */
  handle: string;
  /** The block object's name. */
  block: string;
}

export interface BlockReading {
  records: CalicoRecord[];
  /** What could not be read, one line each (the rest of the block still is). */
  problems: string[];
}

type Fields = Record<string, unknown>;
const fields = (value: unknown): Fields =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Fields) : {};

/**
 * The handle Calico's controller gives a Service's allocations: "lb-" and the
 * unpadded URL-safe base64 of SHA-256 over lower-case "name-namespace-uid",
 * with `-`, `_` and `.` taken out, at most 253 characters (createHandle in
 * loadbalancer_controller.go). It tells a re-created Service of the same
 * name (another UID) from the one Calico served.
 */
export function calicoServiceHandle(service: { name: string; namespace: string; uid: string }): string {
  const text = `${service.name}-${service.namespace}-${service.uid}`.toLowerCase();
  const hash = createHash("sha256").update(text).digest("base64url").replace(/[-_.]/g, "");
  return `lb-${hash}`.slice(0, 253);
}

/** calicoServiceHandle of a Service as its metadata names it. */
export function calicoHandleOf(service: {
  metadata: { name?: string; namespace?: string; uid?: string };
}): string {
  const { name = "", namespace = "", uid = "" } = service.metadata;
  return calicoServiceHandle({ name, namespace, uid });
}

/** A namespace's name (DNS-1123 label) and a Service's (DNS-1035 label), as the API server allows them. */
const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SERVICE_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** Calico cuts its handles to a DNS-1123 subdomain's length. */
const HANDLE_LENGTH = 253;

/** The records of one IPAM block object (either API group: their spec is the same). */
export function calicoBlockRecords(block: unknown): BlockReading {
  const spec = fields(fields(block).spec);
  const name = String(fields(fields(block).metadata).name ?? "");
  const problems: string[] = [];
  const problem = (why: string) => problems.push(`IPAM block ${quote(name)}: ${why}`);
  if (spec.affinity !== CALICO_LB_AFFINITY || spec.deleted === true) return { records: [], problems };
  let cidr: ReturnType<typeof parseCidr>;
  try {
    cidr = parseCidr(spec.cidr, false);
  } catch (cause) {
    problem(`spec.cidr: ${boundedMessage((cause as Error).message)}`);
    return { records: [], problems };
  }
  const allocations = Array.isArray(spec.allocations) ? spec.allocations : [];
  const attributes = Array.isArray(spec.attributes) ? spec.attributes : [];
  const size = cidrSize(cidr);
  const ordinals = Math.min(allocations.length, size < BLOCK_ORDINALS_BIG ? Number(size) : BLOCK_ORDINALS);
  if (allocations.length > ordinals)
    problem(`${allocations.length} allocations for ${size} addresses; the first ${ordinals} are read`);
  const records: CalicoRecord[] = [];
  const unnamed: number[] = [];
  for (let ordinal = 0; ordinal < ordinals; ordinal++) {
    const index = allocations[ordinal];
    if (index === null || index === undefined) continue;
    const attribute = fields(Number.isInteger(index) ? attributes[index as number] : undefined);
    const secondary = fields(attribute.secondary);
    const namespace = secondary[CALICO_ATTRIBUTE.namespace];
    const service = secondary[CALICO_ATTRIBUTE.service];
    const handle = attribute.handle_id;
    // As Calico's controller does, an allocation that names no Service is not a Service's; nor
    // is one naming what no Service can be named (and each record would copy the names).
    if (
      typeof namespace !== "string" ||
      typeof service !== "string" ||
      typeof handle !== "string" ||
      !NAMESPACE_NAME.test(namespace) ||
      !SERVICE_NAME.test(service) ||
      handle.length > HANDLE_LENGTH
    ) {
      unnamed.push(ordinal);
      continue;
    }
    const value = cidr.base + BigInt(ordinal);
    records.push({
      address: { family: cidr.family, value },
      text: formatAddress(cidr.family, value),
      service: `${namespace}/${service}`,
      handle,
      block: name,
    });
  }
  if (unnamed.length > 0)
    problem(
      `${unnamed.length === 1 ? "allocation" : `${unnamed.length} allocations, the first`} ${unnamed[0]} ${unnamed.length === 1 ? "names" : "name"} no valid namespace, Service and handle; not read`,
    );
  return { records, problems };
}
