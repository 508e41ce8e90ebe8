// Calico's CRDs as the tests emulate a Calico cluster on the embedded API server,
// one directory of CRD manifests per shape (behaviour.md "Calico clusters"):
// its v1 CRDs (written from Calico's published field names in
// test/fixtures/calico-v1-crds), its native v3 CRDs, and its API server (v3
// served over the v1 datastore, registered by APIService v3.projectcalico.org).
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CALICO_LB_AFFINITY, type ClusterShape, calicoServiceHandle } from "@lbipam/api";
import { parse, stringify } from "yaml";
import { crdDirectory, type TestCluster } from "./cluster.js";

export const calicoV1Crds = fileURLToPath(new URL("../../../test/fixtures/calico-v1-crds", import.meta.url));

/**
 * lbipam's CRDs as Calico's native v3 ones would be: the same names, without
 * lbipam's label; and Calico's IPAMBlock CRD served in projectcalico.org/v3
 * (lbipam has none), with the v1 fixture's schema.
 */
export function calicoNativeV3Crds(): string {
  const dir = unlabelledOwnCrds();
  const blocks = parse(readFileSync(join(calicoV1Crds, "crd.projectcalico.org_ipamblocks.yaml"), "utf8")) as {
    metadata: { name: string };
    spec: { group: string; versions: { name: string }[] };
  };
  blocks.metadata.name = "ipamblocks.projectcalico.org";
  blocks.spec.group = "projectcalico.org";
  blocks.spec.versions[0]!.name = "v3";
  writeFileSync(join(dir, "ipamblocks.projectcalico.org.yaml"), stringify(blocks));
  return dir;
}

const apiServiceCrd = fileURLToPath(
  new URL("../../../test/fixtures/calico-apiserver/apiservices.apiregistration.k8s.io.yaml", import.meta.url),
);

/** What Calico's API server registers, created in a cluster of calicoApiServerCrds(). */
export const CALICO_API_SERVICE = {
  apiVersion: "apiregistration.k8s.io/v1",
  kind: "APIService",
  metadata: { name: "v3.projectcalico.org" },
  spec: {
    group: "projectcalico.org",
    version: "v3",
    service: { name: "calico-api", namespace: "calico-apiserver" },
  },
};

/**
 * Calico's API server: its projectcalico.org/v3 kinds (lbipam's CRDs without
 * the label stand in for what it serves), its v1 datastore CRDs (the IPAM
 * blocks stay there), and the APIService kind to register it with.
 */
export function calicoApiServerCrds(): string {
  const dir = unlabelledOwnCrds();
  for (const file of readdirSync(calicoV1Crds)) copyFileSync(join(calicoV1Crds, file), join(dir, file));
  copyFileSync(apiServiceCrd, join(dir, "apiservices.apiregistration.k8s.io.yaml"));
  return dir;
}

/** lbipam's CRDs without its label, as Calico's own v3 kinds would be. */
function unlabelledOwnCrds(): string {
  const dir = mkdtempSync(join(tmpdir(), "calico-v3-crds-"));
  for (const file of readdirSync(crdDirectory).filter((name) => name.endsWith(".yaml"))) {
    const crd = parse(readFileSync(join(crdDirectory, file), "utf8")) as { metadata: { labels?: object } };
    delete crd.metadata.labels;
    writeFileSync(join(dir, file), stringify(crd));
  }
  return dir;
}

interface Api {
  group: string;
  version: string;
}

/** One shape of Calico cluster as the tests emulate it. */
export interface CalicoShape {
  what: string;
  shape: ClusterShape;
  /** A directory of its CRDs (new each call). */
  crds: () => string;
  /** Where its pools, reservations and configuration are. */
  pools: Api;
  /** Where its IPAM blocks are. */
  blocks: Api;
  /** What else the cluster has besides its CRDs. */
  setUp: (cluster: TestCluster) => Promise<void>;
}

const V1 = { group: "crd.projectcalico.org", version: "v1" };
const V3 = { group: "projectcalico.org", version: "v3" };
const nothing = async () => {};

export const CALICO_SHAPES: CalicoShape[] = [
  {
    what: "Calico's v1 CRDs",
    shape: "calico-v1",
    crds: () => calicoV1Crds,
    pools: V1,
    blocks: V1,
    setUp: nothing,
  },
  {
    what: "Calico's API server",
    shape: "calico-v3",
    crds: calicoApiServerCrds,
    pools: V3,
    blocks: V1,
    setUp: async (cluster) => {
      await cluster.custom.createClusterCustomObject({
        group: "apiregistration.k8s.io",
        version: "v1",
        plural: "apiservices",
        body: CALICO_API_SERVICE,
      });
    },
  },
  {
    what: "Calico's native v3 CRDs",
    shape: "calico-v3",
    crds: calicoNativeV3Crds,
    pools: V3,
    blocks: V3,
    setUp: nothing,
  },
];

/** A block as Calico's LoadBalancer controller writes it: affinity virtual:load-balancer, one attribute per allocation. */
export function calicoBlock(
  api: { group: string; version: string },
  cidr: string,
  allocations: { ordinal: number; namespace: string; service: string; uid: string }[],
  size = 4,
) {
  return {
    apiVersion: `${api.group}/${api.version}`,
    kind: "IPAMBlock",
    metadata: { name: cidr.replace(/[./]/g, "-") },
    spec: {
      cidr,
      affinity: CALICO_LB_AFFINITY,
      allocations: Array.from({ length: size }, (_, ordinal) => {
        const index = allocations.findIndex((a) => a.ordinal === ordinal);
        return index < 0 ? null : index;
      }),
      attributes: allocations.map(({ namespace, service, uid }) => ({
        handle_id: calicoServiceHandle({ name: service, namespace, uid }),
        secondary: { namespace, service, type: "LoadBalancer" },
      })),
      unallocated: Array.from({ length: size }, (_, i) => i).filter(
        (ordinal) => !allocations.some((a) => a.ordinal === ordinal),
      ),
      sequenceNumber: 1,
      strictAffinity: false,
    },
  };
}
