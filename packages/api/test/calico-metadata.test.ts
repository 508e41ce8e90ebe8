// Calico's v1 objects keep their v3 metadata as JSON in projectcalico.org/metadata
// (libcalico-go lib/backend/k8s/resources/resources.go, ConvertK8sResourceToCalicoResource):
// its annotations lie over the v1 object's own.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CALICO_METADATA_ANNOTATION,
  CALICO_METADATA_BYTES,
  type IPPool,
  ownAnnotations,
  POOL_CONDITION_TYPE,
  PoolReason,
  poolCondition,
  toPoolView,
} from "../src/index.js";

const metadataOf = (annotations: Record<string, unknown>) =>
  JSON.stringify({ annotations, creationTimestamp: null });

const v1Pool = (annotations: Record<string, string>): IPPool => ({
  metadata: { name: "lb", annotations },
  spec: { cidr: "10.0.0.0/24", allowedUses: ["LoadBalancer"] },
});

describe("ownAnnotations", () => {
  it("reads lbipam.io/ annotations from the v1 object and from Calico's v3 metadata, the metadata's over the object's", () => {
    const read = ownAnnotations({
      annotations: {
        "lbipam.io/priority": "5",
        "lbipam.io/avoid-buggy-ips": "true",
        "other.io/x": "y",
        [CALICO_METADATA_ANNOTATION]: metadataOf({ "lbipam.io/priority": "1", "kubectl.io/z": "w" }),
      },
    });
    assert.deepEqual(read, {
      annotations: { "lbipam.io/priority": "1", "lbipam.io/avoid-buggy-ips": "true" },
      problem: undefined,
    });
  });

  it("a metadata annotation without annotations, or none at all, leaves the object's own", () => {
    const own = { "lbipam.io/priority": "2" };
    const extras: Record<string, string>[] = [{}, { [CALICO_METADATA_ANNOTATION]: "{}" }];
    for (const extra of extras) {
      assert.deepEqual(ownAnnotations({ annotations: { ...own, ...extra } }), {
        annotations: own,
        problem: undefined,
      });
    }
    assert.deepEqual(ownAnnotations(undefined), { annotations: {}, problem: undefined });
  });

  // [case, annotation value, problem]
  const unreadable: [string, string, RegExp][] = [
    ["not JSON", "{annotations:", /not JSON/],
    ["not an object", "[1]", /not a JSON object/],
    [
      "annotations not strings",
      JSON.stringify({ annotations: { "lbipam.io/priority": 1 } }),
      /map of strings/,
    ],
    [
      "too long",
      metadataOf({ "lbipam.io/priority": "1", pad: "x".repeat(CALICO_METADATA_BYTES) }),
      /longer than/,
    ],
  ];
  for (const [what, value, problem] of unreadable) {
    it(`metadata ${what}: a problem naming the annotation, the object's own annotations still read`, () => {
      const read = ownAnnotations({
        annotations: { "lbipam.io/priority": "3", [CALICO_METADATA_ANNOTATION]: value },
      });
      assert.deepEqual(read.annotations, { "lbipam.io/priority": "3" });
      assert.match(read.problem ?? "", new RegExp(`^${CALICO_METADATA_ANNOTATION}: `));
      assert.match(read.problem ?? "", problem);
    });
  }
});

describe("toPoolView of a Calico v1 pool", () => {
  it("takes priority, service selector and avoid-buggy-ips from the metadata annotation", () => {
    const view = toPoolView(
      v1Pool({
        [CALICO_METADATA_ANNOTATION]: metadataOf({
          "lbipam.io/priority": "7",
          "lbipam.io/service-selector": "app == 'web'",
          "lbipam.io/avoid-buggy-ips": "true",
        }),
      }),
    );
    assert.equal(view.priority, 7);
    assert.equal(view.serviceMatcher?.({ app: "web" }), true);
    assert.equal(view.serviceMatcher?.({ app: "db" }), false);
    assert.equal(view.definition?.avoidBuggyIps, true);
    assert.equal(view.annotationError, undefined);
  });

  it("unreadable metadata makes the pool InvalidPoolAnnotation, the rest of it read", () => {
    const view = toPoolView(v1Pool({ [CALICO_METADATA_ANNOTATION]: "not json", "lbipam.io/priority": "4" }));
    assert.equal(view.priority, 4);
    assert.equal(view.cidr?.prefixLength, 24);
    assert.deepEqual(view.problems, []);
    const condition = poolCondition(view, { overlappedBy: undefined });
    assert.equal(condition.type, POOL_CONDITION_TYPE);
    assert.equal(condition.reason, PoolReason.InvalidPoolAnnotation);
    assert.match(condition.message, /projectcalico.org\/metadata: not JSON/);
  });
});
