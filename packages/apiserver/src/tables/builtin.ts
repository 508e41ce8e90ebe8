// The tables kube-apiserver's printers produce for the built-in kinds this server serves
// (pkg/printers/internalversion), cells computed as the server does with Wide on.
import type { KubeObject } from "../types.js";
import { AGE_COLUMN, column, NAME_COLUMN } from "./columns.js";
import { age } from "./duration.js";
import type { TableSpec } from "./table.js";

type Json = Record<string, unknown>;

function record(value: unknown): Json {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** `k=v,k2=v2` in key order, or `<none>` (labels.FormatLabels). */
function formatLabels(labels: unknown): string {
  const entries = Object.entries(record(labels)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? "<none>" : entries.map(([k, v]) => `${k}=${text(v)}`).join(",");
}

/** PORT(S): `80/TCP`, or `80:31234/TCP` with a node port. */
function servicePorts(ports: unknown): string {
  const list = Array.isArray(ports) ? ports.map(record) : [];
  return list
    .map((p) => {
      const nodePort = typeof p.nodePort === "number" && p.nodePort > 0 ? `:${p.nodePort}` : "";
      return `${p.port}${nodePort}/${text(p.protocol)}`;
    })
    .join(",");
}

function loadBalancerAddresses(status: Json): string {
  const found = new Set<string>();
  for (const ingress of Array.isArray(record(status.loadBalancer).ingress)
    ? (record(status.loadBalancer).ingress as unknown[])
    : []) {
    const item = record(ingress);
    if (text(item.ip)) found.add(text(item.ip));
    else if (text(item.hostname)) found.add(text(item.hostname));
  }
  return [...found].sort().join(",");
}

/** EXTERNAL-IP: external IPs, load balancer ingress (`<pending>` until there is one), or the external name. */
function serviceExternalIP(service: KubeObject): string {
  const spec = record(service.spec);
  const externalIPs = strings(spec.externalIPs);
  switch (spec.type) {
    case "ClusterIP":
    case "NodePort":
      return externalIPs.length > 0 ? externalIPs.join(",") : "<none>";
    case "LoadBalancer": {
      const lb = loadBalancerAddresses(record(service.status));
      if (externalIPs.length > 0) return [...(lb ? lb.split(",") : []), ...externalIPs].join(",");
      return lb || "<pending>";
    }
    case "ExternalName":
      return text(spec.externalName);
    default:
      return "<unknown>";
  }
}

export const SERVICE_TABLE: TableSpec = {
  columns: [
    NAME_COLUMN,
    column("Type", "The type of the service."),
    column("Cluster-IP", "The cluster ip of the service."),
    column("External-IP", "The external ip of the service."),
    column("Port(s)", "The ports of the service."),
    AGE_COLUMN,
    column("Selector", "The label selector of the pods the service routes to.", { priority: 1 }),
  ],
  cells(service, now) {
    const spec = record(service.spec);
    return [
      service.metadata?.name ?? "",
      text(spec.type),
      strings(spec.clusterIPs)[0] ?? "<none>",
      serviceExternalIP(service),
      servicePorts(spec.ports) || "<none>",
      age(service.metadata?.creationTimestamp, now),
      formatLabels(spec.selector),
    ];
  },
};

export const NAMESPACE_TABLE: TableSpec = {
  columns: [NAME_COLUMN, column("Status", "The status of the namespace"), AGE_COLUMN],
  cells: (ns, now) => [
    ns.metadata?.name ?? "",
    text(record(ns.status).phase),
    age(ns.metadata?.creationTimestamp, now),
  ],
};

export const LEASE_TABLE: TableSpec = {
  columns: [NAME_COLUMN, column("Holder", "The identity of the lease holder."), AGE_COLUMN],
  cells: (lease, now) => [
    lease.metadata?.name ?? "",
    text(record(lease.spec).holderIdentity),
    age(lease.metadata?.creationTimestamp, now),
  ],
};

/** The core/v1 field names of an Event in either API's shape. */
function coreEventFields(event: KubeObject) {
  const modern = event.apiVersion === "events.k8s.io/v1";
  return {
    involved: record(modern ? event.regarding : event.involvedObject),
    source: record(modern ? event.deprecatedSource : event.source),
    message: text(modern ? event.note : event.message),
    firstTimestamp: modern ? event.deprecatedFirstTimestamp : event.firstTimestamp,
    lastTimestamp: modern ? event.deprecatedLastTimestamp : event.lastTimestamp,
    count: modern ? event.deprecatedCount : event.count,
    reportingController: text(modern ? event.reportingController : event.reportingComponent),
  };
}

export const EVENT_TABLE: TableSpec = {
  columns: [
    column("Last Seen", "When the event was last observed."),
    column("Type", "The type of the event (Normal, Warning)."),
    column("Reason", "Why the event was reported."),
    column("Object", "The object the event is about."),
    column("Subobject", "The part of the object the event is about.", { priority: 1 }),
    column("Source", "The component that reported the event.", { priority: 1 }),
    column("Message", "What happened."),
    column("First Seen", "When the event was first observed.", { priority: 1 }),
    column("Count", "How often the event was observed.", { priority: 1 }),
    column("Name", "The name of the event.", { priority: 1, format: "name" }),
  ],
  cells(event, now) {
    const f = coreEventFields(event);
    const firstSeen = f.firstTimestamp ? age(f.firstTimestamp, now) : age(event.eventTime, now);
    let lastSeen = f.lastTimestamp ? age(f.lastTimestamp, now) : firstSeen;
    let count = typeof f.count === "number" ? f.count : 0;
    const series = event.series === undefined || event.series === null ? undefined : record(event.series);
    if (series) {
      lastSeen = age(series.lastObservedTime, now);
      count = typeof series.count === "number" ? series.count : 0;
    } else if (count === 0) {
      // Singleton events of the new API carry no count.
      count = 1;
    }
    const kind = text(f.involved.kind).toLowerCase();
    const name = text(f.involved.name);
    const component = text(f.source.component) || f.reportingController;
    const instance = text(f.source.host) || text(event.reportingInstance);
    return [
      lastSeen,
      text(event.type),
      text(event.reason),
      name ? `${kind}/${name}` : kind,
      text(f.involved.fieldPath),
      instance ? `${component}, ${instance}` : component,
      f.message.trim(),
      firstSeen,
      count,
      event.metadata?.name ?? "",
    ];
  },
};

/** What kube-apiserver's default table convertor gives kinds without a printer (CustomResourceDefinitions among them). */
export const DEFAULT_TABLE: TableSpec = {
  columns: [NAME_COLUMN, column("Created At", "When the object was created.", { type: "date" })],
  // Go formats a missing timestamp as its zero time.
  cells: (obj) => [obj.metadata?.name ?? "", obj.metadata?.creationTimestamp ?? "0001-01-01T00:00:00Z"],
};

export const CUSTOM_RESOURCE_DEFINITION_TABLE = DEFAULT_TABLE;

/** NAME and AGE only: what custom resources without printer columns show. */
export const NAME_AGE_TABLE: TableSpec = {
  // The Age column a CRD gets by default is date-typed; the server sends the cell already humanized.
  columns: [NAME_COLUMN, { ...AGE_COLUMN, type: "date" }],
  cells: (obj, now) => [obj.metadata?.name ?? "", age(obj.metadata?.creationTimestamp, now)],
};
