// Conditions for a decision overtaken before it was carried out: between
// `decide` and the claim or allocation, another Service took the address, or
// the pools ran out. Worded here with every other condition the Service shows.
import type { Family } from "@lbipam/allocator";
import { listSome } from "./bounded.js";
import { SERVICE_CONDITION_TYPE, ServiceReason } from "./reasons.js";
import type { Condition } from "./resources.js";

const FAMILY_NAME: Record<Family, string> = { 4: "IPv4", 6: "IPv6" };

/** The address the decision meant to claim was taken since: the Service waits for exactly it. */
export function requestedIPTakenCondition(address: string): Omit<Condition, "lastTransitionTime"> {
  return {
    type: SERVICE_CONDITION_TYPE,
    status: "False",
    reason: ServiceReason.RequestedIPInUse,
    message: `${address} was taken by another Service; waiting for it`,
  };
}

/** The pools the decision meant to allocate from had no free address left. */
export function noFreeAddressCondition(
  family: Family,
  pools: readonly string[],
): Omit<Condition, "lastTransitionTime"> {
  return {
    type: SERVICE_CONDITION_TYPE,
    status: "False",
    reason: ServiceReason.PoolExhausted,
    message: `no free ${FAMILY_NAME[family]} address in ${listSome(pools, ", ")}; waiting for one`,
  };
}
