// behaviour.md "Calico clusters": which shape the facts mean, and what lbipam may write there.
import assert from "node:assert/strict";
import { it } from "node:test";
import { type ClusterShape, clusterShape, OWN_CRD_LABEL, type ShapeFacts } from "../src/cluster-shape.js";

const own = { [OWN_CRD_LABEL.key]: OWN_CRD_LABEL.value };

it("tells the shapes apart, and writes Calico's objects only in a cluster of lbipam's own CRDs", () => {
  const steps: [string, ShapeFacts, ClusterShape, string, boolean, RegExp | undefined][] = [
    [
      "lbipam's CRDs",
      { v3PoolCrdLabels: own, v1PoolCrd: false, calicoApiService: false },
      "lbipam",
      "projectcalico.org/v3",
      true,
      undefined,
    ],
    [
      "no IPPool API at all",
      { v3PoolCrdLabels: undefined, v1PoolCrd: false, calicoApiService: false },
      "lbipam",
      "projectcalico.org/v3",
      true,
      /no IPPool API/,
    ],
    [
      "Calico's native v3 CRDs",
      { v3PoolCrdLabels: { "app.kubernetes.io/name": "calico" }, v1PoolCrd: false, calicoApiService: false },
      "calico-v3",
      "projectcalico.org/v3",
      false,
      undefined,
    ],
    [
      "Calico's API server",
      { v3PoolCrdLabels: undefined, v1PoolCrd: true, calicoApiService: true },
      "calico-v3",
      "projectcalico.org/v3",
      false,
      undefined,
    ],
    [
      "Calico's API server over lbipam's CRDs",
      { v3PoolCrdLabels: own, v1PoolCrd: true, calicoApiService: true },
      "calico-v3",
      "projectcalico.org/v3",
      false,
      /delete them/,
    ],
    [
      "Calico's v1 CRDs",
      { v3PoolCrdLabels: undefined, v1PoolCrd: true, calicoApiService: false },
      "calico-v1",
      "crd.projectcalico.org/v1",
      false,
      undefined,
    ],
    [
      "Calico's v1 CRDs beside lbipam's",
      { v3PoolCrdLabels: own, v1PoolCrd: true, calicoApiService: false },
      "calico-v1",
      "crd.projectcalico.org/v1",
      false,
      /native v3 mode/,
    ],
  ];
  for (const [what, facts, shape, api, owns, warning] of steps) {
    const decision = clusterShape(facts);
    assert.equal(decision.shape, shape, what);
    assert.equal(`${decision.group}/${decision.version}`, api, what);
    assert.equal(decision.ownsCalicoObjects, owns, what);
    if (warning) assert.match(decision.warning ?? "", warning, what);
    else assert.equal(decision.warning, undefined, what);
  }
});

it("reads Calico's IPAM blocks where Calico keeps them: v1 wherever that CRD exists (also behind Calico's API server), v3 in native mode, none in lbipam's own shape", () => {
  const steps: [string, ShapeFacts, string | undefined][] = [
    ["lbipam's CRDs", { v3PoolCrdLabels: own, v1PoolCrd: false, calicoApiService: false }, undefined],
    [
      "Calico's v1 CRDs",
      { v3PoolCrdLabels: undefined, v1PoolCrd: true, calicoApiService: false, v1BlockCrd: true },
      "crd.projectcalico.org/v1",
    ],
    [
      "Calico's API server over its v1 datastore",
      { v3PoolCrdLabels: undefined, v1PoolCrd: true, calicoApiService: true, v1BlockCrd: true },
      "crd.projectcalico.org/v1",
    ],
    [
      "Calico's native v3 CRDs",
      { v3PoolCrdLabels: {}, v1PoolCrd: false, calicoApiService: false, v3BlockCrd: true },
      "projectcalico.org/v3",
    ],
    [
      "Calico's native v3 CRDs beside a left-over v1 IPAMBlock CRD",
      { v3PoolCrdLabels: {}, v1PoolCrd: false, calicoApiService: false, v1BlockCrd: true, v3BlockCrd: true },
      "projectcalico.org/v3",
    ],
    [
      "Calico's v1 CRDs without the IPAMBlock CRD",
      { v3PoolCrdLabels: undefined, v1PoolCrd: true, calicoApiService: false },
      undefined,
    ],
    [
      "an IPAMBlock CRD beside lbipam's own CRDs",
      { v3PoolCrdLabels: own, v1PoolCrd: false, calicoApiService: false, v3BlockCrd: true },
      undefined,
    ],
  ];
  for (const [what, facts, blocks] of steps) {
    const decision = clusterShape(facts);
    assert.equal(decision.blocks && `${decision.blocks.group}/${decision.blocks.version}`, blocks, what);
  }
});
