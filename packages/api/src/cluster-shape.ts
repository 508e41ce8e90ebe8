// Which kind of cluster lbipam runs in (behaviour.md "Calico clusters"), from
// what the API server says exists. Pure: the controller and the plugin read
// the facts (two CRDs and one APIService), this decides.
//   calico-v3  Calico's API server (APIService v3.projectcalico.org), or
//              Calico's own native v3 CRDs (ippools.projectcalico.org without
//              lbipam's label): pools, reservations and the configuration are
//              Calico's objects in projectcalico.org/v3.
//   calico-v1  Calico's crd.projectcalico.org/v1 CRDs: read there (same spec
//              fields). As Calico's installers decide it, v1 present means
//              not native v3 (they choose native v3 only when
//              projectcalico.org is present and crd.projectcalico.org absent).
//   lbipam     lbipam's own CRDs (labelled app.kubernetes.io/part-of: lbipam),
//              no Calico.
// In the Calico shapes lbipam writes nothing Calico reads or owns: no IPPool
// status, no KubeControllersConfiguration (created or status).

export type ClusterShape = "lbipam" | "calico-v3" | "calico-v1";

/** The label lbipam's own CRDs carry (deploy/crds), telling them from Calico's. */
export const OWN_CRD_LABEL = { key: "app.kubernetes.io/part-of", value: "lbipam" } as const;

export interface ShapeFacts {
  /** Labels of the CRD ippools.projectcalico.org; undefined when there is none. */
  v3PoolCrdLabels: Readonly<Record<string, string>> | undefined;
  /** The CRD ippools.crd.projectcalico.org exists. */
  v1PoolCrd: boolean;
  /** The APIService v3.projectcalico.org exists (Calico's API server). */
  calicoApiService: boolean;
  /** The CRD ipamblocks.crd.projectcalico.org exists. */
  v1BlockCrd?: boolean;
  /** The CRD ipamblocks.projectcalico.org exists (Calico's native v3 mode: lbipam has none). */
  v3BlockCrd?: boolean;
}

export interface ShapeDecision {
  shape: ClusterShape;
  /** Where pools, reservations and the configuration are read. */
  group: "projectcalico.org" | "crd.projectcalico.org";
  version: "v3" | "v1";
  /** lbipam may write IPPool status and the KubeControllersConfiguration. */
  ownsCalicoObjects: boolean;
  /**
   * Where Calico's IPAM blocks are read (calico-blocks.ts), if the cluster
   * has them: crd.projectcalico.org/v1 (also behind Calico's API server, whose
   * datastore they are), or projectcalico.org/v3 in native v3 mode.
   */
  blocks: { group: "projectcalico.org" | "crd.projectcalico.org"; version: "v3" | "v1" } | undefined;
  /** One line for the log and /readyz. */
  message: string;
  /** Something the operator should fix, if any. */
  warning: string | undefined;
}

const V3 = { group: "projectcalico.org", version: "v3" } as const;
const V1 = { group: "crd.projectcalico.org", version: "v1" } as const;
const WRITES_NOTHING = "writes no IPPool status and no KubeControllersConfiguration (Calico's)";

/** The objects whose presence tells the shape, read by name (deploy/rbac.yaml grants exactly these). */
export const SHAPE_OBJECTS = {
  v3PoolCrd: "ippools.projectcalico.org",
  v1PoolCrd: "ippools.crd.projectcalico.org",
  calicoApiService: "v3.projectcalico.org",
  v1BlockCrd: "ipamblocks.crd.projectcalico.org",
  v3BlockCrd: "ipamblocks.projectcalico.org",
} as const;

/** The objects as read (undefined: not found), whichever client read them. */
export interface ShapeObjects {
  v3PoolCrd: { metadata?: { labels?: Record<string, string> } } | undefined;
  v1PoolCrd: unknown;
  calicoApiService: unknown;
  /** Read only in a Calico shape (isCalicoShape); undefined otherwise. */
  v1BlockCrd?: unknown;
  v3BlockCrd?: unknown;
}

/** The shape, from the objects SHAPE_OBJECTS names as read. */
export function clusterShapeOf(objects: ShapeObjects): ShapeDecision {
  return clusterShape({
    v3PoolCrdLabels: objects.v3PoolCrd === undefined ? undefined : (objects.v3PoolCrd.metadata?.labels ?? {}),
    v1PoolCrd: objects.v1PoolCrd !== undefined,
    calicoApiService: objects.calicoApiService !== undefined,
    v1BlockCrd: objects.v1BlockCrd !== undefined,
    v3BlockCrd: objects.v3BlockCrd !== undefined,
  });
}

/**
 * Where Calico keeps its IPAM blocks: in its v1 datastore (also behind its
 * API server), or in native v3 mode in projectcalico.org; undefined when
 * that CRD is missing (an informer on it would never sync).
 */
function blocksOf(facts: ShapeFacts, nativeV3: boolean): ShapeDecision["blocks"] {
  if (nativeV3) return facts.v3BlockCrd ? V3 : undefined;
  return facts.v1BlockCrd ? V1 : undefined;
}

/** Whether the facts of the pools alone make a Calico shape: only then are the IPAM block CRDs read. */
export function isCalicoShape(
  objects: Pick<ShapeObjects, "v3PoolCrd" | "v1PoolCrd" | "calicoApiService">,
): boolean {
  return clusterShapeOf({ ...objects, v1BlockCrd: undefined, v3BlockCrd: undefined }).shape !== "lbipam";
}

export function clusterShape(facts: ShapeFacts): ShapeDecision {
  const ownV3 = facts.v3PoolCrdLabels?.[OWN_CRD_LABEL.key] === OWN_CRD_LABEL.value;
  if (facts.calicoApiService) {
    return {
      shape: "calico-v3",
      ...V3,
      ownsCalicoObjects: false,
      blocks: blocksOf(facts, false),
      message: `Calico's API server serves projectcalico.org/v3: reads Calico's pools there, ${WRITES_NOTHING}`,
      warning: ownV3
        ? "lbipam's CRDs are installed but Calico's API server serves projectcalico.org/v3 instead: delete them (kubectl delete -f deploy/crds/)"
        : undefined,
    };
  }
  if (facts.v1PoolCrd) {
    return {
      shape: "calico-v1",
      ...V1,
      ownsCalicoObjects: false,
      blocks: blocksOf(facts, false),
      message: `Calico's crd.projectcalico.org/v1 CRDs: reads Calico's pools there, ${WRITES_NOTHING}`,
      warning: ownV3
        ? "lbipam's CRDs are installed beside Calico's v1 CRDs: nothing reads them, and Calico's installers take them for native v3 mode; delete them (kubectl delete -f deploy/crds/)"
        : undefined,
    };
  }
  if (facts.v3PoolCrdLabels !== undefined && !ownV3) {
    return {
      shape: "calico-v3",
      ...V3,
      ownsCalicoObjects: false,
      blocks: blocksOf(facts, true),
      message: `Calico's native projectcalico.org/v3 CRDs: reads Calico's pools, ${WRITES_NOTHING}`,
      warning: undefined,
    };
  }
  return {
    shape: "lbipam",
    ...V3,
    ownsCalicoObjects: true,
    blocks: undefined,
    message: "lbipam's own CRDs (no Calico): writes each LoadBalancer pool's status and the configuration's",
    warning:
      facts.v3PoolCrdLabels === undefined
        ? "no IPPool API: install lbipam's CRDs (kubectl apply -f deploy/crds/) or Calico"
        : undefined,
  };
}

/** The shape of a cluster with lbipam's own CRDs: what tests and `lbipam start` run in. */
export const OWN_SHAPE: ShapeDecision = clusterShape({
  v3PoolCrdLabels: { [OWN_CRD_LABEL.key]: OWN_CRD_LABEL.value },
  v1PoolCrd: false,
  calicoApiService: false,
});
