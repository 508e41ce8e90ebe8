// Core v1 Services: kube-apiserver's defaulting, cluster IP and node port allocation, and
// validation (from kinds/), over allocators whose state this server instance owns.
import { InternalError } from "../errors.js";
import {
  createService,
  releaseService,
  type Service,
  type ServiceAllocators,
  updateService,
  updateServiceStatus,
} from "../kinds/index.js";
import { defineType } from "../registry/define.js";
import type { AdmitRequest, AdmitResult, ResourceType } from "../registry/resource-type.js";
import { SERVICE_TABLE } from "../tables/index.js";
import { nameIsDns1035Label } from "../validation/index.js";
import { withKnownFields } from "./fields/admit.js";
import { serviceFields } from "./fields/kinds.js";

function admitService(allocators: ServiceAllocators, request: AdmitRequest): AdmitResult {
  const object = request.object as Service;
  const old = request.oldObject as Service | undefined;
  if (request.subresource === "status") {
    const { service, causes } = updateServiceStatus(object, old!);
    return { object: service, causes, unknownFields: [] };
  }
  const result =
    request.operation === "create" || !old
      ? createService(object, allocators)
      : updateService(object, old, allocators);
  if (!result.ok) {
    if (result.status === 500) throw new InternalError(result.message);
    return { object, causes: result.causes, unknownFields: [] };
  }
  return {
    object: result.service,
    causes: [],
    unknownFields: [],
    commit: result.commit,
    revert: result.revert,
  };
}

export function serviceType(allocators: ServiceAllocators): ResourceType {
  return defineType(
    {
      group: "",
      version: "v1",
      resource: "services",
      kind: "Service",
      listKind: "ServiceList",
      singular: "service",
      shortNames: ["svc"],
      categories: ["all"],
      namespaced: true,
    },
    {
      hasStatus: true,
      validatesMetadata: true,
      nameValidator: nameIsDns1035Label,
      admit: withKnownFields(serviceFields, (request) => admitService(allocators, request)),
      released: (object) => releaseService(object as Service, allocators),
      table: SERVICE_TABLE,
    },
  );
}
