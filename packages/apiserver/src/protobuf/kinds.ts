// Message schemas of the built-in kinds this server serves, with the field numbers of
// k8s.io/api and k8s.io/apimachinery (generated.proto) and the JSON names and omitempty /
// pointer rules of their Go types.
import { always, field, type MessageSchema, message, pointer, repeated } from "./schema.js";

// --- k8s.io/apimachinery/pkg/apis/meta/v1 ---

const ownerReference = message("OwnerReference", {
  1: field("kind", "string", always),
  3: field("name", "string", always),
  4: field("uid", "string", always),
  5: field("apiVersion", "string", always),
  6: field("controller", "bool", pointer),
  7: field("blockOwnerDeletion", "bool", pointer),
});

// managedFields (17) is left out: a client cannot set it on create, and an update that sends it
// keeps the stored value.
export const objectMeta = message("ObjectMeta", {
  1: field("name", "string"),
  2: field("generateName", "string"),
  3: field("namespace", "string"),
  4: field("selfLink", "string"),
  5: field("uid", "string"),
  6: field("resourceVersion", "string"),
  7: field("generation", "int64"),
  8: field("creationTimestamp", "time"),
  9: field("deletionTimestamp", "time", pointer),
  10: field("deletionGracePeriodSeconds", "int64", pointer),
  11: field("labels", "stringMap"),
  12: field("annotations", "stringMap"),
  13: field("ownerReferences", ownerReference, repeated),
  14: field("finalizers", "string", repeated),
});

const condition = message("Condition", {
  1: field("type", "string", always),
  2: field("status", "string", always),
  3: field("observedGeneration", "int64"),
  4: field("lastTransitionTime", "time"),
  5: field("reason", "string", always),
  6: field("message", "string", always),
});

const preconditions = message("Preconditions", {
  1: field("uid", "string", pointer),
  2: field("resourceVersion", "string", pointer),
});

export const deleteOptions = message("DeleteOptions", {
  1: field("gracePeriodSeconds", "int64", pointer),
  2: field("preconditions", preconditions, pointer),
  3: field("orphanDependents", "bool", pointer),
  4: field("propagationPolicy", "string", pointer),
  5: field("dryRun", "string", repeated),
  6: field("ignoreStoreReadErrorWithClusterBreakingPotential", "bool", pointer),
});

// --- k8s.io/api/core/v1 ---

const namespaceCondition = message("NamespaceCondition", {
  1: field("type", "string"),
  2: field("status", "string"),
  4: field("lastTransitionTime", "time"),
  5: field("reason", "string"),
  6: field("message", "string"),
});

export const namespace = message("Namespace", {
  1: field("metadata", objectMeta),
  2: field("spec", message("NamespaceSpec", { 1: field("finalizers", "string", repeated) })),
  3: field(
    "status",
    message("NamespaceStatus", {
      1: field("phase", "string"),
      2: field("conditions", namespaceCondition, repeated),
    }),
  ),
});

const servicePort = message("ServicePort", {
  1: field("name", "string"),
  2: field("protocol", "string"),
  3: field("port", "int32", always),
  4: field("targetPort", "intOrString"),
  5: field("nodePort", "int32"),
  6: field("appProtocol", "string", pointer),
});

const sessionAffinityConfig = message("SessionAffinityConfig", {
  1: field("clientIP", message("ClientIPConfig", { 1: field("timeoutSeconds", "int32", pointer) }), pointer),
});

const serviceSpec = message("ServiceSpec", {
  1: field("ports", servicePort, repeated),
  2: field("selector", "stringMap"),
  3: field("clusterIP", "string"),
  18: field("clusterIPs", "string", repeated),
  4: field("type", "string"),
  5: field("externalIPs", "string", repeated),
  7: field("sessionAffinity", "string"),
  8: field("loadBalancerIP", "string"),
  9: field("loadBalancerSourceRanges", "string", repeated),
  10: field("externalName", "string"),
  11: field("externalTrafficPolicy", "string"),
  12: field("healthCheckNodePort", "int32"),
  13: field("publishNotReadyAddresses", "bool"),
  14: field("sessionAffinityConfig", sessionAffinityConfig, pointer),
  19: field("ipFamilies", "string", repeated),
  17: field("ipFamilyPolicy", "string", pointer),
  20: field("allocateLoadBalancerNodePorts", "bool", pointer),
  21: field("loadBalancerClass", "string", pointer),
  22: field("internalTrafficPolicy", "string", pointer),
  23: field("trafficDistribution", "string", pointer),
});

const portStatus = message("PortStatus", {
  1: field("port", "int32", always),
  2: field("protocol", "string", always),
  3: field("error", "string", pointer),
});

const loadBalancerIngress = message("LoadBalancerIngress", {
  1: field("ip", "string"),
  2: field("hostname", "string"),
  3: field("ipMode", "string", pointer),
  4: field("ports", portStatus, repeated),
});

const serviceStatus = message("ServiceStatus", {
  1: field(
    "loadBalancer",
    message("LoadBalancerStatus", { 1: field("ingress", loadBalancerIngress, repeated) }),
  ),
  2: field("conditions", condition, repeated),
});

export const service = message("Service", {
  1: field("metadata", objectMeta),
  2: field("spec", serviceSpec),
  3: field("status", serviceStatus),
});

const objectReference = message("ObjectReference", {
  1: field("kind", "string"),
  2: field("namespace", "string"),
  3: field("name", "string"),
  4: field("uid", "string"),
  5: field("apiVersion", "string"),
  6: field("resourceVersion", "string"),
  7: field("fieldPath", "string"),
});

const eventSource = message("EventSource", {
  1: field("component", "string"),
  2: field("host", "string"),
});

const coreEventSeries = message("EventSeries", {
  1: field("count", "int32"),
  2: field("lastObservedTime", "microTime"),
});

export const coreEvent = message("Event", {
  1: field("metadata", objectMeta),
  2: field("involvedObject", objectReference),
  3: field("reason", "string"),
  4: field("message", "string"),
  5: field("source", eventSource),
  6: field("firstTimestamp", "time"),
  7: field("lastTimestamp", "time"),
  8: field("count", "int32"),
  9: field("type", "string"),
  10: field("eventTime", "microTime"),
  11: field("series", coreEventSeries, pointer),
  12: field("action", "string"),
  13: field("related", objectReference, pointer),
  14: field("reportingComponent", "string", always),
  15: field("reportingInstance", "string", always),
});

// --- k8s.io/api/events/v1 ---

export const eventsEvent = message("Event", {
  1: field("metadata", objectMeta),
  2: field("eventTime", "microTime"),
  3: field(
    "series",
    message("EventSeries", { 1: field("count", "int32", always), 2: field("lastObservedTime", "microTime") }),
    pointer,
  ),
  4: field("reportingController", "string"),
  5: field("reportingInstance", "string"),
  6: field("action", "string"),
  7: field("reason", "string"),
  8: field("regarding", objectReference),
  9: field("related", objectReference, pointer),
  10: field("note", "string"),
  11: field("type", "string"),
  12: field("deprecatedSource", eventSource),
  13: field("deprecatedFirstTimestamp", "time"),
  14: field("deprecatedLastTimestamp", "time"),
  15: field("deprecatedCount", "int32"),
});

// --- k8s.io/api/coordination/v1 ---

export const lease = message("Lease", {
  1: field("metadata", objectMeta),
  2: field(
    "spec",
    message("LeaseSpec", {
      1: field("holderIdentity", "string", pointer),
      2: field("leaseDurationSeconds", "int32", pointer),
      3: field("acquireTime", "microTime", pointer),
      4: field("renewTime", "microTime", pointer),
      5: field("leaseTransitions", "int32", pointer),
      6: field("strategy", "string", pointer),
      7: field("preferredHolder", "string", pointer),
    }),
  ),
});

/** apiVersion -> kind -> schema of the objects a protobuf body may carry. */
export const objectSchemas: ReadonlyMap<string, ReadonlyMap<string, MessageSchema>> = new Map([
  [
    "v1",
    new Map([
      ["Namespace", namespace],
      ["Service", service],
      ["Event", coreEvent],
    ]),
  ],
  ["events.k8s.io/v1", new Map([["Event", eventsEvent]])],
  ["coordination.k8s.io/v1", new Map([["Lease", lease]])],
]);

/** Options kinds registered in every group version (client-go sends them under the client's). */
export const optionsSchemas: ReadonlyMap<string, MessageSchema> = new Map([["DeleteOptions", deleteOptions]]);
