// IPReservations as the allocator takes them: CIDRs. Entries may be single
// addresses (as in the upstream docs) or strictly masked CIDRs; a bad entry
// is reported and skipped, never thrown.
import {
  type Cidr,
  FAMILY_BITS,
  InvalidAddressError,
  InvalidCidrError,
  parseAddress,
  parseCidr,
} from "@lbipam/allocator";
import type { IPReservation } from "./resources.js";

export interface ReservedCidrs {
  cidrs: Cidr[];
  /** One line per unusable entry, naming the reservation and the entry. */
  problems: string[];
}

function parseEntry(entry: string): Cidr {
  if (entry.includes("/")) return parseCidr(entry, true);
  const address = parseAddress(entry);
  return { family: address.family, base: address.value, prefixLength: FAMILY_BITS[address.family] };
}

export function reservedCidrs(reservations: readonly IPReservation[]): ReservedCidrs {
  const cidrs: Cidr[] = [];
  const problems: string[] = [];
  for (const reservation of reservations) {
    for (const entry of reservation.spec?.reservedCIDRs ?? []) {
      try {
        cidrs.push(parseEntry(entry));
      } catch (error) {
        if (!(error instanceof InvalidCidrError || error instanceof InvalidAddressError)) throw error;
        problems.push(
          `IPReservation ${reservation.metadata.name ?? ""}: spec.reservedCIDRs: ${error.message}`,
        );
      }
    }
  }
  return { cidrs, problems };
}
