// A Service's status.loadBalancer.ingress split into the addresses lbipam
// answers for and the entries it must leave alone.
import { type Address, parseAddress } from "@lbipam/allocator";
import type { LoadBalancerIngress, Service } from "./resources.js";

export interface CurrentAddress extends Address {
  text: string;
  /** Who holds it per the controller's ledger: this Service, another one, or nobody yet. */
  holder: "self" | "other" | "none";
}

export interface CurrentAddresses {
  /** Addresses lbipam assigned (or would have): in a known pool's range, or held by this Service. */
  ours: CurrentAddress[];
  /** Hostnames, unparsable entries and addresses outside every pool nobody holds: never touched. */
  foreign: LoadBalancerIngress[];
}

export function parseIngressAddress(entry: LoadBalancerIngress): Address | undefined {
  if (typeof entry.ip !== "string" || entry.ip === "") return undefined;
  try {
    return parseAddress(entry.ip);
  } catch {
    return undefined;
  }
}

/**
 * `inPoolRange` says whether an address lies in any IPPool's CIDR (serving
 * or not); `holderOf` gives the key of the Service holding it. With
 * `onlyHeld`, only addresses this Service holds count as ours (used for
 * Services lbipam no longer manages, whose status it must otherwise leave alone).
 */
export function currentAddresses(
  service: Service,
  key: string,
  inPoolRange: (address: Address) => boolean,
  holderOf: (address: Address) => string | undefined,
  onlyHeld = false,
): CurrentAddresses {
  const ours: CurrentAddress[] = [];
  const foreign: LoadBalancerIngress[] = [];
  for (const entry of service.status?.loadBalancer?.ingress ?? []) {
    const address = parseIngressAddress(entry);
    if (!address) {
      foreign.push(entry);
      continue;
    }
    const holderKey = holderOf(address);
    const holder = holderKey === undefined ? "none" : holderKey === key ? "self" : "other";
    const isOurs = holder === "self" || (!onlyHeld && inPoolRange(address));
    if (isOurs) ours.push({ ...address, text: entry.ip!, holder });
    else foreign.push(entry);
  }
  return { ours, foreign };
}
