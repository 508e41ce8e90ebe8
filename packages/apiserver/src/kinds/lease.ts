// coordination.k8s.io/v1 Lease validation (pkg/apis/coordination/validation).
import type { FieldCause, KubeObject } from "../types.js";
import { forbidden, invalid, invalidEach, notSupported } from "../validation/field.js";
import { validateObjectMeta, validateObjectMetaUpdate } from "../validation/metadata.js";
import { isQualifiedName, nameIsDnsSubdomain } from "../validation/names.js";

export interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
    strategy?: string;
    preferredHolder?: string;
    [key: string]: unknown;
  };
}

const LEASE_STRATEGIES = ["OldestEmulationVersion"];

function validateLeaseSpec(spec: Lease["spec"]): FieldCause[] {
  const causes: FieldCause[] = [];
  if (!spec) return causes;
  if (spec.leaseDurationSeconds !== undefined && spec.leaseDurationSeconds <= 0) {
    causes.push(invalid("spec.leaseDurationSeconds", spec.leaseDurationSeconds, "must be greater than 0"));
  }
  if (spec.leaseTransitions !== undefined && spec.leaseTransitions < 0) {
    causes.push(
      invalid("spec.leaseTransitions", spec.leaseTransitions, "must be greater than or equal to 0"),
    );
  }
  if (spec.strategy !== undefined) {
    // kube names the path spec.strategy.strategy.
    const field = "spec.strategy.strategy";
    if (!spec.strategy.includes("/")) {
      if (!LEASE_STRATEGIES.includes(spec.strategy))
        causes.push(notSupported(field, spec.strategy, LEASE_STRATEGIES));
    } else {
      causes.push(...invalidEach(field, spec.strategy, isQualifiedName(spec.strategy)));
    }
  }
  if (spec.preferredHolder && !spec.strategy) {
    causes.push(forbidden("spec.preferredHolder", "may only be specified if `strategy` is defined"));
  }
  return causes;
}

export function validateLease(lease: Lease): FieldCause[] {
  return [...validateObjectMeta(lease.metadata, true, nameIsDnsSubdomain), ...validateLeaseSpec(lease.spec)];
}

export function validateLeaseUpdate(next: Lease, prev: Lease): FieldCause[] {
  return [...validateObjectMetaUpdate(next.metadata, prev.metadata), ...validateLeaseSpec(next.spec)];
}
