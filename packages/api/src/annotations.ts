// The Service annotations lbipam reads (behaviour.md, "Annotations").

export const ANNOTATION_IPV4_POOLS = "projectcalico.org/ipv4pools";
export const ANNOTATION_IPV6_POOLS = "projectcalico.org/ipv6pools";
export const ANNOTATION_LOADBALANCER_IPS = "projectcalico.org/loadBalancerIPs";

/** Every annotation that makes a Service "ask" for lbipam in RequestedServicesOnly mode. */
export const REQUEST_ANNOTATIONS = [
  ANNOTATION_IPV4_POOLS,
  ANNOTATION_IPV6_POOLS,
  ANNOTATION_LOADBALANCER_IPS,
] as const;
