// The defaults kube-apiserver applies to a core/v1 Service when it decodes one (SetDefaults_Service).
import { externallyAccessible, type Service, specOf } from "./service-shape.js";

const DEFAULT_CLIENT_IP_AFFINITY_SECONDS = 10800;

/** Applies the decode-time defaults in place and returns the Service. */
export function setServiceDefaults(service: Service): Service {
  const spec = specOf(service);
  spec.sessionAffinity ||= "None";
  if (spec.sessionAffinity === "None") delete spec.sessionAffinityConfig;
  if (
    spec.sessionAffinity === "ClientIP" &&
    spec.sessionAffinityConfig?.clientIP?.timeoutSeconds === undefined
  ) {
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: DEFAULT_CLIENT_IP_AFFINITY_SECONDS } };
  }
  spec.type ||= "ClusterIP";
  for (const port of spec.ports ?? []) {
    port.protocol ||= "TCP";
    if (port.targetPort === undefined || port.targetPort === 0 || port.targetPort === "")
      port.targetPort = port.port;
  }
  if (externallyAccessible(spec) && !spec.externalTrafficPolicy) spec.externalTrafficPolicy = "Cluster";
  if (
    spec.internalTrafficPolicy === undefined &&
    ["NodePort", "LoadBalancer", "ClusterIP"].includes(spec.type)
  ) {
    spec.internalTrafficPolicy = "Cluster";
  }
  if (spec.type === "LoadBalancer") {
    spec.allocateLoadBalancerNodePorts ??= true;
    for (const ingress of service.status?.loadBalancer?.ingress ?? []) {
      if (ingress.ip && ingress.ipMode === undefined) ingress.ipMode = "VIP";
    }
  }
  return service;
}
