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
}

export interface ShapeDecision {
  shape: ClusterShape;
  /** Where pools, reservations and the configuration are read. */
  group: "projectcalico.org" | "crd.projectcalico.org";
  version: "v3" | "v1";
  /** lbipam may write IPPool status and the KubeControllersConfiguration. */
  ownsCalicoObjects: boolean;
  /** One line for the log and /readyz. */
  message: string;
  /** Something the operator should fix, if any. */
  warning: string | undefined;
}

const V3 = { group: "projectcalico.org", version: "v3" } as const;
const V1 = { group: "crd.projectcalico.org", version: "v1" } as const;
const WRITES_NOTHING = "writes no IPPool status and no KubeControllersConfiguration (Calico's)";

/** The three objects whose presence tells the shape, read by name (deploy/rbac.yaml grants exactly these). */
export const SHAPE_OBJECTS = {
  v3PoolCrd: "ippools.projectcalico.org",
  v1PoolCrd: "ippools.crd.projectcalico.org",
  calicoApiService: "v3.projectcalico.org",
} as const;

/** The objects as read (undefined: not found), whichever client read them. */
export interface ShapeObjects {
  v3PoolCrd: { metadata?: { labels?: Record<string, string> } } | undefined;
  v1PoolCrd: unknown;
  calicoApiService: unknown;
}

/** The shape, from the objects SHAPE_OBJECTS names as read. */
export function clusterShapeOf(objects: ShapeObjects): ShapeDecision {
  return clusterShape({
    v3PoolCrdLabels: objects.v3PoolCrd === undefined ? undefined : (objects.v3PoolCrd.metadata?.labels ?? {}),
    v1PoolCrd: objects.v1PoolCrd !== undefined,
    calicoApiService: objects.calicoApiService !== undefined,
  });
}

export function clusterShape(facts: ShapeFacts): ShapeDecision {
  const ownV3 = facts.v3PoolCrdLabels?.[OWN_CRD_LABEL.key] === OWN_CRD_LABEL.value;
  if (facts.calicoApiService) {
    return {
      shape: "calico-v3",
      ...V3,
      ownsCalicoObjects: false,
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
      message: `Calico's native projectcalico.org/v3 CRDs: reads Calico's pools, ${WRITES_NOTHING}`,
      warning: undefined,
    };
  }
  return {
    shape: "lbipam",
    ...V3,
    ownsCalicoObjects: true,
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
