// Watches every Service status the API server stores and records each moment
// an address is shown by two Services at once, and the first addresses each
// Service was shown with.
import type { V1Service } from "@kubernetes/client-node";
import { Informer } from "../../src/controller/informer.js";
import { RestClient } from "../../src/controller/rest-client.js";
import { quietLogger, type TestCluster } from "./cluster.js";

export const ipsOf = (service: V1Service): string[] =>
  (service.status?.loadBalancer?.ingress ?? []).map((entry) => entry.ip ?? "").filter(Boolean);

export interface StatusWatch {
  violations: string[];
  firstSeen: Map<string, string[]>;
  stop(): Promise<void>;
}

export async function watchStatuses(cluster: TestCluster, namespace: string): Promise<StatusWatch> {
  const shown = new Map<string, string[]>();
  const firstSeen = new Map<string, string[]>();
  const violations: string[] = [];
  const observe = (service: V1Service) => {
    const key = service.metadata?.name ?? "";
    const ips = ipsOf(service);
    shown.set(key, ips);
    if (ips.length > 0 && !firstSeen.has(key)) firstSeen.set(key, ips);
    const holders = new Map<string, string>();
    for (const [name, list] of shown) {
      for (const ip of list) {
        const other = holders.get(ip);
        if (other !== undefined) violations.push(`${ip} shown by ${other} and ${name} at once`);
        holders.set(ip, name);
      }
    }
  };
  const rest = new RestClient(cluster.kubeconfig, 1);
  const informer = new Informer<V1Service>(rest, {
    resource: "services",
    path: `/api/v1/namespaces/${namespace}/services`,
    logger: quietLogger,
    onAdd: observe,
    onUpdate: observe,
    onDelete: (service) => shown.delete(service.metadata?.name ?? ""),
  });
  informer.start();
  await informer.synced;
  return {
    violations,
    firstSeen,
    stop: async () => {
      await informer.stop();
      rest.close();
    },
  };
}
