// Sharing one address between Services (behaviour.md, "Sharing one address,
// and choosing pools"): who may share with whom. A Service with
// `lbipam.io/sharing-key` has a SharingProfile; two profiles fit when their
// keys are equal, their namespaces let each other in, no port and protocol
// is used by both, and their traffic policies agree (all Cluster, or all
// Local with one non-empty selector, since a Local address is only answered
// on nodes running the Service's endpoints). The rule is here once: the
// decision, the start-up rebuild and the plugin all ask `whyCannotShare`.
import type { Address } from "@lbipam/allocator";
import {
  ANNOTATION_SHARING_CROSS_NAMESPACE,
  ANNOTATION_SHARING_KEY,
  parseSharingRequest,
  type SharingRequest,
} from "./annotations.js";
import { listSome, quote } from "./bounded.js";
import { Interned } from "./interned.js";
import type { Service } from "./resources.js";

/** What of a Service decides whom it may share an address with. */
export interface SharingProfile {
  /** The sharing key. */
  key: string;
  namespace: string;
  /** Namespaces whose Services may join (lbipam.io/sharing-cross-namespace); "*" for any. */
  crossNamespaces: readonly string[];
  /** `PROTOCOL/port` of each port, sorted. */
  ports: readonly string[];
  /** externalTrafficPolicy Local (the default, Cluster, otherwise). */
  local: boolean;
  /** spec.selector as canonical JSON ("" when it has none). */
  selector: string;
}

/** A Service holding an address, with its profile (undefined: it has no sharing key). */
export interface SharingMember {
  service: string;
  profile: SharingProfile | undefined;
}

/** What the decision asks of the ledger about shared addresses. */
export interface SharingReader {
  /** The Services lbipam serves that hold the address, the first holder first. */
  membersOf(address: Address): readonly SharingMember[];
  /** Addresses held by Services whose profile has this key. */
  addressesOfKey(key: string): Iterable<Address>;
  /** The profile recorded for a Service at its last reconcile. */
  profileOf(service: string): SharingProfile | undefined;
}

/** Canonical JSON of a string map: the same selector always reads the same. */
function canonicalSelector(selector: unknown): string {
  if (typeof selector !== "object" || selector === null) return "";
  const entries = Object.entries(selector as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
  return entries.length === 0 ? "" : JSON.stringify(entries);
}

/** Profiles' port and namespace lists: one copy of each, however many Services repeat it. */
const lists = new Interned<readonly string[]>(10_000);
const shared = (list: readonly string[]) => lists.of(list.join(" "), list);
/** The profile's port list read from each port list of a Service's spec. */
const portsRead = new WeakMap<object, readonly string[]>();
/** What a Service without spec.ports is read as: one list, so it is read once too. */
const NO_PORTS: NonNullable<NonNullable<Service["spec"]>["ports"]> = [];

/** The ports of a Service as `PROTOCOL/port` (TCP when no protocol is given), sorted. */
function portsOf(service: Service): readonly string[] {
  const ports = Array.isArray(service.spec?.ports) ? service.spec.ports : NO_PORTS;
  // Projections share one copy of each port list (projection.ts): each copy is read once.
  const known = portsRead.get(ports);
  if (known !== undefined) return known;
  const named = ports.flatMap(({ port, protocol }) =>
    typeof port === "number"
      ? [`${typeof protocol === "string" && protocol !== "" ? protocol : "TCP"}/${port}`]
      : [],
  );
  const read = shared([...new Set(named)].sort());
  portsRead.set(ports, read);
  return read;
}

/** The Service's sharing profile from its parsed request; undefined when it has no key. */
export function sharingProfileOf(
  service: Service,
  request: SharingRequest | undefined,
): SharingProfile | undefined {
  if (request === undefined) return undefined;
  return {
    key: request.key,
    namespace: service.metadata.namespace ?? "",
    crossNamespaces: shared(request.crossNamespaces),
    ports: portsOf(service),
    local: service.spec?.externalTrafficPolicy === "Local",
    selector: canonicalSelector(service.spec?.selector),
  };
}

/** The profile of a Service as it stands, its sharing annotations read afresh (the start-up rebuild). */
export function serviceSharingProfile(service: Service): SharingProfile | undefined {
  const annotations = service.metadata.annotations;
  if (annotations?.[ANNOTATION_SHARING_KEY] === undefined) return undefined;
  return sharingProfileOf(service, parseSharingRequest(annotations));
}

const lets = (profile: SharingProfile, namespace: string) =>
  profile.namespace === namespace ||
  profile.crossNamespaces.includes("*") ||
  profile.crossNamespaces.includes(namespace);

/** Why Service `other` (with profile `theirs`) and a Service with profile `mine` may not share an address. */
export function whyCannotShare(
  mine: SharingProfile,
  other: string,
  theirs: SharingProfile | undefined,
): string | undefined {
  if (theirs === undefined) return `Service ${other} has no ${ANNOTATION_SHARING_KEY}`;
  if (theirs.key !== mine.key) return `Service ${other} has another sharing key (${quote(theirs.key)})`;
  if (!lets(mine, theirs.namespace) || !lets(theirs, mine.namespace)) {
    return `Service ${other} is in namespace ${theirs.namespace}, and ${ANNOTATION_SHARING_CROSS_NAMESPACE} of both must list the other's namespace`;
  }
  const taken = new Set(theirs.ports);
  const collisions = mine.ports.filter((port) => taken.has(port));
  if (collisions.length > 0) return `port ${listSome(collisions, ", ")} is used by Service ${other} too`;
  if (mine.local !== theirs.local) {
    return `externalTrafficPolicy ${mine.local ? "Local" : "Cluster"} differs from Service ${other}'s`;
  }
  if (mine.local && (mine.selector === "" || mine.selector !== theirs.selector)) {
    return `externalTrafficPolicy Local needs the same non-empty selector as Service ${other}`;
  }
  return undefined;
}

/** Why the Service (key `self`, profile `mine`) cannot join the members of an address; undefined if it can. */
export function whyCannotJoin(
  self: string,
  mine: SharingProfile,
  members: readonly SharingMember[],
): string | undefined {
  for (const member of members) {
    if (member.service === self) continue;
    const why = whyCannotShare(mine, member.service, member.profile);
    if (why !== undefined) return why;
  }
  return undefined;
}
