// Every condition type, condition reason and Event reason lbipam writes, in
// one place, so the controller, the docs and the tests agree on the strings.

/** The condition lbipam keeps on each Service it manages. */
export const SERVICE_CONDITION_TYPE = "projectcalico.org/LoadBalancerIPAllocated";

/** The condition lbipam keeps on each IPPool. */
export const POOL_CONDITION_TYPE = "Allocatable";

/** Reasons of the Service condition. */
export const ServiceReason = {
  Allocated: "Allocated",
  NoPool: "NoPool",
  /** A pool annotation names only pools that do not exist (deleted, or not created yet). */
  PoolNotFound: "PoolNotFound",
  PoolExhausted: "PoolExhausted",
  RequestedIPInUse: "RequestedIPInUse",
  RequestedIPNotInPool: "RequestedIPNotInPool",
  PoolDisabled: "PoolDisabled",
  PoolNotAllocatable: "PoolNotAllocatable",
  NamespaceNotAllowed: "NamespaceNotAllowed",
  ServiceNotSelected: "ServiceNotSelected",
  InvalidAnnotation: "InvalidAnnotation",
  FamilyPending: "FamilyPending",
  ServiceTerminating: "ServiceTerminating",
  /** loadBalancerIPs names an address its sharing key's members hold, and the Service cannot join them. */
  SharingConflict: "SharingConflict",
} as const;
export type ServiceReason = (typeof ServiceReason)[keyof typeof ServiceReason];

/** Reasons of the pool's Allocatable condition. */
export const PoolReason = {
  Allocatable: "Allocatable",
  PoolDisabled: "PoolDisabled",
  Terminating: "Terminating",
  CIDROverlap: "CIDROverlap",
  InvalidNamespaceSelector: "InvalidNamespaceSelector",
  InvalidPoolAnnotation: "InvalidPoolAnnotation",
  InvalidPool: "InvalidPool",
  NotLoadBalancer: "NotLoadBalancer",
} as const;
export type PoolReason = (typeof PoolReason)[keyof typeof PoolReason];

/** Reasons of the Events recorded on Services. */
export const EventReason = {
  IPAllocated: "IPAllocated",
  IPReleased: "IPReleased",
  AllocationFailed: "AllocationFailed",
  InvalidAnnotation: "InvalidAnnotation",
  /** An annotation key that looks like a typo of one lbipam reads. */
  UnknownAnnotation: "UnknownAnnotation",
  /** The Service lost an address to an older Service showing it too (found at start). */
  AddressConflict: "AddressConflict",
} as const;
export type EventReason = (typeof EventReason)[keyof typeof EventReason];
