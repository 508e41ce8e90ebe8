// coordination.k8s.io/v1 Leases, validated as kube-apiserver does (from kinds/).
import { type Lease, validateLease, validateLeaseUpdate } from "../kinds/index.js";
import { defineType } from "../registry/define.js";
import type { ResourceType } from "../registry/resource-type.js";
import { LEASE_TABLE } from "../tables/index.js";
import { withKnownFields } from "./fields/admit.js";
import { leaseFields } from "./fields/kinds.js";

export function leaseType(): ResourceType {
  return defineType(
    {
      group: "coordination.k8s.io",
      version: "v1",
      resource: "leases",
      kind: "Lease",
      listKind: "LeaseList",
      singular: "lease",
      shortNames: [],
      categories: [],
      namespaced: true,
    },
    {
      validatesMetadata: true,
      admit: withKnownFields(leaseFields, ({ object, oldObject }) => ({
        object,
        causes: oldObject
          ? validateLeaseUpdate(object as Lease, oldObject as Lease)
          : validateLease(object as Lease),
        unknownFields: [],
      })),
      table: LEASE_TABLE,
    },
  );
}
