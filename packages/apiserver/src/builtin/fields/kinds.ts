// The JSON fields of the built-in kinds served here (core/v1 Service, Namespace and Event,
// events.k8s.io/v1 Event, coordination.k8s.io/v1 Lease), as of Kubernetes 1.33.
import {
  condition,
  type FieldTree,
  kindTree,
  microTime,
  objectReference,
  scalar,
  stringList,
  stringMap,
  time,
} from "./tree.js";

export const serviceFields: FieldTree = kindTree({
  spec: {
    fields: {
      ports: {
        items: {
          fields: {
            name: scalar,
            protocol: scalar,
            appProtocol: scalar,
            port: scalar,
            targetPort: scalar,
            nodePort: scalar,
          },
        },
      },
      selector: stringMap,
      clusterIP: scalar,
      clusterIPs: stringList,
      type: scalar,
      externalIPs: stringList,
      sessionAffinity: scalar,
      loadBalancerIP: scalar,
      loadBalancerSourceRanges: stringList,
      externalName: scalar,
      externalTrafficPolicy: scalar,
      healthCheckNodePort: scalar,
      publishNotReadyAddresses: scalar,
      sessionAffinityConfig: { fields: { clientIP: { fields: { timeoutSeconds: scalar } } } },
      ipFamilies: stringList,
      ipFamilyPolicy: scalar,
      allocateLoadBalancerNodePorts: scalar,
      loadBalancerClass: scalar,
      internalTrafficPolicy: scalar,
      trafficDistribution: scalar,
    },
  },
  status: {
    fields: {
      loadBalancer: {
        fields: {
          ingress: {
            items: {
              fields: {
                ip: scalar,
                hostname: scalar,
                ipMode: scalar,
                ports: { items: { fields: { port: scalar, protocol: scalar, error: scalar } } },
              },
            },
          },
        },
      },
      conditions: { items: condition },
    },
  },
});

export const namespaceFields: FieldTree = kindTree({
  spec: { fields: { finalizers: stringList } },
  status: {
    fields: {
      phase: scalar,
      conditions: {
        items: {
          fields: {
            type: scalar,
            status: scalar,
            lastTransitionTime: time,
            reason: scalar,
            message: scalar,
          },
        },
      },
    },
  },
});

const eventSeries: FieldTree = { fields: { count: scalar, lastObservedTime: microTime } };
const eventSource: FieldTree = { fields: { component: scalar, host: scalar } };

export const coreEventFields: FieldTree = kindTree({
  involvedObject: objectReference,
  reason: scalar,
  message: scalar,
  source: eventSource,
  firstTimestamp: time,
  lastTimestamp: time,
  count: scalar,
  type: scalar,
  eventTime: microTime,
  series: eventSeries,
  action: scalar,
  related: objectReference,
  reportingComponent: scalar,
  reportingInstance: scalar,
});

export const eventsV1Fields: FieldTree = kindTree({
  eventTime: microTime,
  series: eventSeries,
  reportingController: scalar,
  reportingInstance: scalar,
  action: scalar,
  reason: scalar,
  regarding: objectReference,
  related: objectReference,
  note: scalar,
  type: scalar,
  deprecatedSource: eventSource,
  deprecatedFirstTimestamp: time,
  deprecatedLastTimestamp: time,
  deprecatedCount: scalar,
});

export const leaseFields: FieldTree = kindTree({
  spec: {
    fields: {
      holderIdentity: scalar,
      leaseDurationSeconds: scalar,
      acquireTime: microTime,
      renewTime: microTime,
      leaseTransitions: scalar,
      strategy: scalar,
      preferredHolder: scalar,
    },
  },
});
