// ValidateService / ValidateServiceUpdate / ValidateServiceStatusUpdate of pkg/apis/core/validation.
import type { FieldCause } from "../types.js";
import { duplicate, forbidden, invalid, invalidEach, notSupported, required } from "../validation/field.js";
import {
  validateCoreObjectMeta,
  validateCoreObjectMetaUpdate,
  validateLabels,
} from "../validation/metadata.js";
import {
  isDns1123Label,
  isDns1123Subdomain,
  isQualifiedName,
  maxLenError,
  nameIsDns1035Label,
} from "../validation/names.js";
import { parseCIDR, parseIP } from "./ip.js";
import { validateClusterIPFields, validateUpgradeDowngrade, validIPCause } from "./service-ip-validation.js";
import {
  externallyAccessible,
  isHeadlessService,
  needsHealthCheckNodePort,
  type Service,
  type ServicePort,
  type ServiceSpec,
} from "./service-shape.js";

const SERVICE_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"];
const PROTOCOLS = ["SCTP", "TCP", "UDP"];
const SESSION_AFFINITIES = ["ClientIP", "None"];
const TRAFFIC_POLICIES = ["Cluster", "Local"];
const MAX_CLIENT_IP_AFFINITY_SECONDS = 86400;
const PORT_RANGE = "must be between 1 and 65535, inclusive";

function isValidPortNum(port: number | undefined): boolean {
  return port !== undefined && Number.isInteger(port) && port >= 1 && port <= 65535;
}

function portNameErrors(name: string): string[] {
  const errs: string[] = [];
  if (name.length > 15) errs.push(maxLenError(15));
  if (!/^[-a-z0-9]+$/.test(name))
    errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (!/[a-z]/.test(name)) errs.push("must contain at least one letter (a-z)");
  if (name.includes("--")) errs.push("must not contain consecutive hyphens");
  if (name.startsWith("-") || name.endsWith("-")) errs.push("must not begin or end with a hyphen");
  return errs;
}

function validatePort(
  port: ServicePort,
  requireName: boolean,
  names: Set<string>,
  path: string,
): FieldCause[] {
  const causes: FieldCause[] = [];
  if (requireName && !port.name) causes.push(required(`${path}.name`));
  else if (port.name) {
    causes.push(...invalidEach(`${path}.name`, port.name, isDns1123Label(port.name)));
    if (names.has(port.name)) causes.push(duplicate(`${path}.name`, port.name));
    else names.add(port.name);
  }
  if (!isValidPortNum(port.port)) causes.push(invalid(`${path}.port`, port.port ?? 0, PORT_RANGE));
  if (!port.protocol) causes.push(required(`${path}.protocol`));
  else if (!PROTOCOLS.includes(port.protocol))
    causes.push(notSupported(`${path}.protocol`, port.protocol, PROTOCOLS));
  const target = port.targetPort;
  if (typeof target === "string")
    causes.push(...invalidEach(`${path}.targetPort`, target, portNameErrors(target)));
  else if (!isValidPortNum(target)) causes.push(invalid(`${path}.targetPort`, target ?? 0, PORT_RANGE));
  if (port.appProtocol !== undefined) {
    causes.push(...invalidEach(`${path}.appProtocol`, port.appProtocol, isQualifiedName(port.appProtocol)));
  }
  return causes;
}

function nonSpecialIP(field: string, ip: string): FieldCause[] {
  const parsed = parseIP(ip);
  if (!parsed) return [];
  const v = parsed.value;
  const v4 = parsed.family === "IPv4";
  if (v === 0n) return [invalid(field, ip, `may not be unspecified (${ip})`)];
  if ((v4 && v >> 24n === 127n) || (!v4 && v === 1n)) {
    return [invalid(field, ip, "may not be in the loopback range (127.0.0.0/8, ::1/128)")];
  }
  if ((v4 && v >> 16n === 0xa9fen) || (!v4 && v >> 118n === 0x3fan)) {
    return [invalid(field, ip, "may not be in the link-local range (169.254.0.0/16, fe80::/10)")];
  }
  if ((v4 && v >> 8n === 0xe00000n) || (!v4 && ((v >> 112n) & 0xff0fn) === 0xff02n)) {
    return [invalid(field, ip, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)")];
  }
  return [];
}

function validateLoadBalancerClass(next: ServiceSpec, prev: ServiceSpec | undefined): FieldCause[] {
  const causes: FieldCause[] = [];
  if (
    prev?.type === "LoadBalancer" &&
    next.type === "LoadBalancer" &&
    prev.loadBalancerClass !== next.loadBalancerClass
  ) {
    causes.push(invalid("spec.loadBalancerClass", next.loadBalancerClass ?? null, "may not change once set"));
  }
  if (next.type !== "LoadBalancer") {
    if (next.loadBalancerClass !== undefined) {
      causes.push(forbidden("spec.loadBalancerClass", "may only be used when `type` is 'LoadBalancer'"));
    }
  } else if (next.loadBalancerClass !== undefined) {
    causes.push(
      ...invalidEach(
        "spec.loadBalancerClass",
        next.loadBalancerClass,
        isQualifiedName(next.loadBalancerClass),
      ),
    );
  }
  return causes;
}

function validateTrafficPolicies(spec: ServiceSpec): FieldCause[] {
  const causes: FieldCause[] = [];
  if (!externallyAccessible(spec)) {
    if (spec.externalTrafficPolicy) {
      causes.push(
        invalid(
          "spec.externalTrafficPolicy",
          spec.externalTrafficPolicy,
          "may only be set for externally-accessible services",
        ),
      );
    }
  } else if (!spec.externalTrafficPolicy) {
    causes.push(required("spec.externalTrafficPolicy"));
  } else if (!TRAFFIC_POLICIES.includes(spec.externalTrafficPolicy)) {
    causes.push(notSupported("spec.externalTrafficPolicy", spec.externalTrafficPolicy, TRAFFIC_POLICIES));
  }
  const healthCheckNodePort = spec.healthCheckNodePort ?? 0;
  if (!needsHealthCheckNodePort(spec)) {
    if (healthCheckNodePort !== 0) {
      causes.push(
        invalid(
          "spec.healthCheckNodePort",
          healthCheckNodePort,
          "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
        ),
      );
    }
  } else if (healthCheckNodePort === 0) {
    causes.push(required("spec.healthCheckNodePort"));
  } else if (!isValidPortNum(healthCheckNodePort)) {
    causes.push(invalid("spec.healthCheckNodePort", healthCheckNodePort, PORT_RANGE));
  }
  if (spec.internalTrafficPolicy === undefined) {
    if (spec.type === "NodePort" || spec.type === "LoadBalancer" || spec.type === "ClusterIP") {
      causes.push(required("spec.internalTrafficPolicy"));
    }
  } else if (!TRAFFIC_POLICIES.includes(spec.internalTrafficPolicy)) {
    causes.push(notSupported("spec.internalTrafficPolicy", spec.internalTrafficPolicy, TRAFFIC_POLICIES));
  }
  return causes;
}

/** Go prints the internal ServicePort key of a duplicate port with its exported field names. */
function internalPortKey(port: ServicePort): Record<string, unknown> {
  return {
    Name: "",
    Protocol: port.protocol ?? "",
    AppProtocol: null,
    Port: port.port ?? 0,
    TargetPort: 0,
    NodePort: 0,
  };
}

function validateSpec(service: Service): FieldCause[] {
  const spec = service.spec ?? {};
  const headless = isHeadlessService(spec);
  const ports = spec.ports ?? [];
  const causes: FieldCause[] = [];
  if (ports.length === 0 && !headless && spec.type !== "ExternalName") causes.push(required("spec.ports"));
  if ((spec.type === "LoadBalancer" || spec.type === "NodePort") && headless) {
    causes.push(
      invalid(
        "spec.clusterIPs[0]",
        spec.clusterIPs?.[0] ?? "",
        `may not be set to 'None' for ${spec.type} services`,
      ),
    );
  }
  if (spec.type === "ExternalName") {
    if ((spec.clusterIPs?.length ?? 0) > 0)
      causes.push(forbidden("spec.clusterIPs", "may not be set for ExternalName services"));
    if ((spec.ipFamilies?.length ?? 0) > 0)
      causes.push(forbidden("spec.ipFamilies", "may not be set for ExternalName services"));
    if (spec.ipFamilyPolicy !== undefined) {
      causes.push(forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services"));
    }
    // A trailing dot marks the name as fully qualified.
    const cname = (spec.externalName ?? "").replace(/\.$/, "");
    if (cname) causes.push(...invalidEach("spec.externalName", cname, isDns1123Subdomain(cname)));
    else causes.push(required("spec.externalName"));
  }
  const names = new Set<string>();
  ports.forEach((port, i) => {
    causes.push(...validatePort(port, ports.length > 1, names, `spec.ports[${i}]`));
  });
  if (spec.selector) causes.push(...validateLabels(spec.selector, "spec.selector"));
  if (!spec.sessionAffinity) causes.push(required("spec.sessionAffinity"));
  else if (!SESSION_AFFINITIES.includes(spec.sessionAffinity)) {
    causes.push(notSupported("spec.sessionAffinity", spec.sessionAffinity, SESSION_AFFINITIES));
  }
  if (spec.sessionAffinity === "ClientIP") {
    const config = spec.sessionAffinityConfig;
    const detail = "when session affinity type is ClientIP";
    const timeout = config?.clientIP?.timeoutSeconds;
    if (!config) causes.push(required("spec.sessionAffinityConfig", detail));
    else if (!config.clientIP) causes.push(required("spec.sessionAffinityConfig.clientIP", detail));
    else if (timeout === undefined)
      causes.push(required("spec.sessionAffinityConfig.clientIP.timeoutSeconds", detail));
    else if (timeout <= 0 || timeout > MAX_CLIENT_IP_AFFINITY_SECONDS) {
      causes.push(
        invalid(
          "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
          timeout,
          `must be greater than 0 and less than ${MAX_CLIENT_IP_AFFINITY_SECONDS}`,
        ),
      );
    }
  } else if (spec.sessionAffinity === "None" && spec.sessionAffinityConfig !== undefined) {
    causes.push(forbidden("spec.sessionAffinityConfig", "must not be set when session affinity is None"));
  }
  causes.push(...validateClusterIPFields(spec));
  (spec.externalIPs ?? []).forEach((ip, i) => {
    const field = `spec.externalIPs[${i}]`;
    const errs = validIPCause(field, ip);
    causes.push(...(errs.length > 0 ? errs : nonSpecialIP(field, ip)));
  });
  if (!spec.type) causes.push(required("spec.type"));
  else if (!SERVICE_TYPES.includes(spec.type))
    causes.push(notSupported("spec.type", spec.type, SERVICE_TYPES));
  if (spec.type === "ClusterIP") {
    ports.forEach((port, i) => {
      if (port.nodePort)
        causes.push(forbidden(`spec.ports[${i}].nodePort`, "may not be used when `type` is 'ClusterIP'"));
    });
  }
  const nodePorts = new Set<string>();
  const servicePorts = new Set<string>();
  ports.forEach((port, i) => {
    if (port.nodePort) {
      const key = `${port.protocol}/${port.nodePort}`;
      if (nodePorts.has(key)) causes.push(duplicate(`spec.ports[${i}].nodePort`, port.nodePort));
      nodePorts.add(key);
    }
  });
  ports.forEach((port, i) => {
    const key = `${port.protocol}/${port.port}`;
    if (servicePorts.has(key)) causes.push(duplicate(`spec.ports[${i}]`, internalPortKey(port)));
    servicePorts.add(key);
  });
  const ranges = spec.loadBalancerSourceRanges ?? [];
  if (ranges.length > 0) {
    // kube names this path with a capital L.
    if (spec.type !== "LoadBalancer") {
      causes.push(
        forbidden("spec.LoadBalancerSourceRanges", "may only be used when `type` is 'LoadBalancer'"),
      );
    }
    ranges.forEach((range, i) => {
      const value = range.trim();
      if (!parseCIDR(value)) {
        causes.push(
          invalid(
            `spec.LoadBalancerSourceRanges[${i}]`,
            value,
            "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)",
          ),
        );
      }
    });
  }
  if (spec.allocateLoadBalancerNodePorts !== undefined && spec.type !== "LoadBalancer") {
    causes.push(
      forbidden("spec.allocateLoadBalancerNodePorts", "may only be used when `type` is 'LoadBalancer'"),
    );
  }
  if (spec.type === "LoadBalancer" && spec.allocateLoadBalancerNodePorts === undefined) {
    // kube reports this one without the `spec.` prefix.
    causes.push(required("allocateLoadBalancerNodePorts"));
  }
  causes.push(...validateLoadBalancerClass(spec, undefined));
  causes.push(...validateTrafficPolicies(spec));
  return causes;
}

/** Validation of a Service on create (after defaulting and allocation). */
export function validateService(service: Service): FieldCause[] {
  return [...validateCoreObjectMeta(service.metadata, true, nameIsDns1035Label), ...validateSpec(service)];
}

/** Validation of a Service on update (`next` as it would be stored). */
export function validateServiceUpdate(next: Service, prev: Service): FieldCause[] {
  const nextSpec = next.spec ?? {};
  const prevSpec = prev.spec ?? {};
  return [
    ...validateCoreObjectMetaUpdate(next.metadata, prev.metadata),
    ...validateUpgradeDowngrade(nextSpec, prevSpec),
    ...validateLoadBalancerClass(nextSpec, prevSpec),
    ...(needsHealthCheckNodePort(prevSpec) &&
    needsHealthCheckNodePort(nextSpec) &&
    nextSpec.healthCheckNodePort !== prevSpec.healthCheckNodePort
      ? [forbidden("spec.healthCheckNodePort", "field is immutable")]
      : []),
    ...validateSpec(next),
  ];
}
