// The shapes lbipam reads and writes, as the CRDs in deploy/crds and the core
// API define them. Only the fields the controller uses are typed; everything
// is optional where the API server may leave it out, because objects come
// from users and must be checked, not trusted.

export const API_GROUP = "projectcalico.org";
export const API_VERSION = "projectcalico.org/v3";

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  /** RFC 3339 time. */
  creationTimestamp?: string;
  deletionTimestamp?: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  generation?: number;
  resourceVersion?: string;
}

/** metav1.Condition. */
export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

export type AllowedUse = "Workload" | "Tunnel" | "LoadBalancer";
export type AssignmentMode = "Automatic" | "Manual";
export type EncapsulationMode = "Never" | "Always" | "CrossSubnet";

export interface IPPoolSpec {
  cidr: string;
  blockSize?: number;
  allowedUses?: AllowedUse[];
  assignmentMode?: AssignmentMode;
  disabled?: boolean;
  namespaceSelector?: string;
  nodeSelector?: string;
  natOutgoing?: boolean;
  ipipMode?: EncapsulationMode;
  vxlanMode?: EncapsulationMode;
  disableBGPExport?: boolean;
}

export interface IPPoolStatus {
  conditions?: Condition[];
  /** The block size in use: spec.blockSize, or the family's default when it is unset. */
  blockSize?: number;
  addresses?: {
    family?: "IPv4" | "IPv6";
    /** total and reserved: decimal strings when larger than 2^53 - 1. */
    total?: number | string;
    allocated?: number;
    reserved?: number | string;
  };
}

export interface IPPool {
  apiVersion?: string;
  kind?: "IPPool";
  metadata: ObjectMeta;
  spec: IPPoolSpec;
  status?: IPPoolStatus;
}

export interface IPReservation {
  apiVersion?: string;
  kind?: "IPReservation";
  metadata: ObjectMeta;
  /** Single addresses or CIDRs. */
  spec: { reservedCIDRs?: string[] };
}

export type AssignIPs = "AllServices" | "RequestedServicesOnly";

export interface KubeControllersConfiguration {
  apiVersion?: string;
  kind?: "KubeControllersConfiguration";
  metadata: ObjectMeta;
  spec?: {
    /** Other controllers' settings are preserved and ignored; `loadBalancer` keys are matched case-insensitively. */
    controllers?: { loadBalancer?: Record<string, unknown> } & Record<string, unknown>;
  };
  status?: { runningConfig?: { controllers?: { loadBalancer?: { assignIPs?: AssignIPs } } } };
}

export type IPFamily = "IPv4" | "IPv6";
export type IPFamilyPolicy = "SingleStack" | "PreferDualStack" | "RequireDualStack";

export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
  ipMode?: string;
  ports?: unknown[];
}

/** The parts of a core/v1 Service lbipam reads. */
export interface Service {
  apiVersion?: string;
  kind?: "Service";
  metadata: ObjectMeta;
  spec?: {
    type?: string;
    loadBalancerClass?: string;
    loadBalancerIP?: string;
    ipFamilies?: IPFamily[];
    ipFamilyPolicy?: IPFamilyPolicy;
    /** Read only for Services with lbipam.io/sharing-key (sharing.ts). */
    ports?: { port?: number; protocol?: string }[];
    externalTrafficPolicy?: string;
    selector?: Record<string, string>;
  };
  status?: {
    loadBalancer?: { ingress?: LoadBalancerIngress[] };
    conditions?: Condition[];
  };
}

/** The parts of a core/v1 Namespace lbipam reads. */
export interface Namespace {
  metadata: ObjectMeta;
}
