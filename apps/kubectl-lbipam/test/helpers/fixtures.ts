// Test objects: the YAML fixtures (this file runs from dist/test/helpers) and small builders.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { IPPool, Service } from "@lbipam/api";
import { parseManifests } from "../../src/manifests.js";
import type { ClusterObjects } from "../../src/state.js";

export const fixtureDirectory = fileURLToPath(new URL("../../../test/fixtures", import.meta.url));

export function fixturePath(name: string): string {
  return `${fixtureDirectory}/${name}`;
}

export function fixtureObjects(...names: string[]): ClusterObjects {
  return parseManifests(
    names.map((name) => ({ source: name, text: readFileSync(fixturePath(name), "utf8") })),
  ).objects;
}

export function pool(
  name: string,
  spec: Partial<IPPool["spec"]> & { cidr: string },
  annotations?: Record<string, string>,
): IPPool {
  return {
    apiVersion: "projectcalico.org/v3",
    kind: "IPPool",
    metadata: { name, ...(annotations ? { annotations } : {}) },
    spec: { allowedUses: ["LoadBalancer"], ...spec },
  };
}

export function service(
  key: string,
  options: {
    created?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    spec?: Service["spec"];
    ingress?: string[];
  } = {},
): Service {
  const [namespace, name] = key.split("/") as [string, string];
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name,
      namespace,
      creationTimestamp: options.created,
      annotations: options.annotations,
      ...(options.labels ? { labels: options.labels } : {}),
    },
    spec: { type: "LoadBalancer", ...options.spec },
    status: options.ingress ? { loadBalancer: { ingress: options.ingress.map((ip) => ({ ip })) } } : {},
  };
}

export function objects(parts: Partial<ClusterObjects>): ClusterObjects {
  return { pools: [], reservations: [], services: [], namespaces: [], configuration: undefined, ...parts };
}
