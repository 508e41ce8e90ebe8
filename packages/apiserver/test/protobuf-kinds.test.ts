// The Kubernetes protobuf envelope and the schemas of the built-in kinds: bodies captured from
// kubectl 1.32 (-v=9) and bodies built field by field as client-go writes them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StatusError } from "../src/errors.js";
import {
  decodeEnvelope,
  decodeProtobufBody,
  decodeProtobufObject,
  ProtobufDecodeError,
  protobufMagic,
  UnsupportedProtobufKindError,
} from "../src/protobuf/index.js";
import { envelope, fromHex, type ProtoWriter, proto } from "./helpers/protobuf-writer.js";

// `kubectl create namespace foo`
const kubectlNamespace = fromHex(`
  6b 38 73 00 0a 0f 0a 02 76 31 12 09 4e 61 6d 65 73 70 61 63 65 12 1b 0a 13 0a 03 66 6f 6f
  12 00 1a 00 22 00 2a 00 32 00 38 00 42 00 12 00 1a 02 0a 00 1a 00 22 00`);

// `kubectl create service loadbalancer x --tcp=80:80`
const kubectlService = fromHex(`
  6b 38 73 00 0a 0d 0a 02 76 31 12 07 53 65 72 76 69 63 65 12 63 0a 1b 0a 01 78 12 00 1a 00
  22 00 2a 00 32 00 38 00 42 00 5a 08 0a 03 61 70 70 12 01 78 12 40 0a 18 0a 05 38 30 2d 38
  30 12 03 54 43 50 18 50 22 06 08 00 10 50 1a 00 28 00 12 08 0a 03 61 70 70 12 01 78 1a 00
  22 0c 4c 6f 61 64 42 61 6c 61 6e 63 65 72 3a 00 42 00 52 00 5a 00 60 00 68 00 1a 02 0a 00
  1a 00 22 00`);

const t = (iso: string) => (w: ProtoWriter) => w.varint(1, Date.parse(iso) / 1000);
const microT = (iso: string, nanos: number) => (w: ProtoWriter) =>
  w.varint(1, Date.parse(iso) / 1000).varint(2, nanos);

// ObjectMeta as gogo writes it: every non-pointer field, zero or not.
const meta = (w: ProtoWriter, name: string, namespace = "") =>
  w.message(1, (m) =>
    m
      .string(1, name)
      .string(2, "")
      .string(3, namespace)
      .string(4, "")
      .string(5, "")
      .string(6, "")
      .varint(7, 0)
      .message(8, () => {}),
  );

describe("envelope", () => {
  it("reads TypeMeta, raw, contentEncoding and contentType; skips unknown fields", () => {
    const raw = Uint8Array.of(1, 2, 3);
    const bytes = Uint8Array.from([
      ...protobufMagic,
      ...proto((w) =>
        w
          .message(1, (t) => t.string(1, "coordination.k8s.io/v1").string(2, "Lease").string(9, "x"))
          .varint(7, 1)
          .bytes(2, raw)
          .string(3, "")
          .string(4, ""),
      ),
    ]);
    const env = decodeEnvelope(bytes);
    assert.equal(env.apiVersion, "coordination.k8s.io/v1");
    assert.equal(env.kind, "Lease");
    assert.deepEqual([...env.raw], [1, 2, 3]);
    assert.equal(env.contentEncoding, "");
    assert.equal(env.contentType, "");
  });

  it("requires the k8s\\0 magic", () => {
    assert.throws(
      () => decodeEnvelope(Buffer.from('{"kind":"Namespace"}')),
      /does not appear to be a protobuf message, expected prefix \[107 56 115 0\]/,
    );
    assert.throws(() => decodeEnvelope(Uint8Array.of(0x6b, 0x38)), ProtobufDecodeError);
  });

  it("fails on a missing kind, a content encoding, or a wire type error in Unknown", () => {
    assert.throws(() => decodeProtobufObject(envelope("v1", "", new Uint8Array())), /'Kind' is missing/);
    const gzip = Uint8Array.from([
      ...protobufMagic,
      ...proto((w) => w.message(1, (t) => t.string(1, "v1").string(2, "Namespace")).string(3, "gzip")),
    ]);
    assert.throws(() => decodeProtobufObject(gzip), /unsupported content encoding "gzip"/);
    const bad = Uint8Array.from([...protobufMagic, ...proto((w) => w.varint(2, 1))]);
    assert.throws(() => decodeEnvelope(bad), /wrong wire type 0 for field raw/);
  });
});

describe("bodies captured from kubectl", () => {
  it("kubectl create namespace", () => {
    assert.deepEqual(decodeProtobufObject(kubectlNamespace), {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "foo" },
      spec: {},
      status: {},
    });
  });

  it("kubectl create service loadbalancer", () => {
    assert.deepEqual(decodeProtobufObject(kubectlService), {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "x", labels: { app: "x" } },
      spec: {
        ports: [{ name: "80-80", protocol: "TCP", port: 80, targetPort: 80 }],
        selector: { app: "x" },
        type: "LoadBalancer",
      },
      status: { loadBalancer: {} },
    });
  });
});

describe("built-in kinds", () => {
  it("Service with every spec field and a status", () => {
    const raw = proto((w) => {
      meta(w, "web", "prod");
      w.message(2, (s) =>
        s
          .message(1, (p) =>
            p
              .string(1, "http")
              .string(2, "TCP")
              .varint(3, 80)
              .message(4, (v) => v.varint(1, 1).varint(2, 0).string(3, "web"))
              .varint(5, 30080)
              .string(6, "kubernetes.io/h2c"),
          )
          .message(1, (p) => p.string(1, "dns").string(2, "UDP").varint(3, 53).varint(5, 0))
          .map(2, { app: "web" })
          .string(3, "10.96.0.10")
          .string(18, "10.96.0.10")
          .string(18, "fd00::10")
          .string(4, "LoadBalancer")
          .string(5, "192.0.2.1")
          .string(7, "ClientIP")
          .string(8, "198.51.100.7")
          .string(9, "10.0.0.0/8")
          .string(10, "")
          .string(11, "Local")
          .varint(12, 31000)
          .varint(13, true)
          .message(14, (c) => c.message(1, (ip) => ip.varint(1, 10800)))
          .string(19, "IPv4")
          .string(19, "IPv6")
          .string(17, "PreferDualStack")
          .varint(20, false)
          .string(21, "example.com/lb")
          .string(22, "Cluster")
          .string(23, "PreferClose")
          .string(99, "a field from a newer kubectl"),
      );
      w.message(3, (st) =>
        st
          .message(1, (lb) =>
            lb.message(1, (i) =>
              i
                .string(1, "198.51.100.7")
                .string(2, "")
                .string(3, "VIP")
                .message(4, (ps) => ps.varint(1, 80).string(2, "TCP")),
            ),
          )
          .message(2, (c) =>
            c
              .string(1, "Ready")
              .string(2, "True")
              .varint(3, 2)
              .message(4, t("2024-05-06T07:08:09Z"))
              .string(5, "Done")
              .string(6, ""),
          ),
      );
    });
    assert.deepEqual(decodeProtobufObject(envelope("v1", "Service", raw)), {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", namespace: "prod" },
      spec: {
        ports: [
          {
            name: "http",
            protocol: "TCP",
            port: 80,
            targetPort: "web",
            nodePort: 30080,
            appProtocol: "kubernetes.io/h2c",
          },
          { name: "dns", protocol: "UDP", port: 53 },
        ],
        selector: { app: "web" },
        clusterIP: "10.96.0.10",
        clusterIPs: ["10.96.0.10", "fd00::10"],
        type: "LoadBalancer",
        externalIPs: ["192.0.2.1"],
        sessionAffinity: "ClientIP",
        loadBalancerIP: "198.51.100.7",
        loadBalancerSourceRanges: ["10.0.0.0/8"],
        externalTrafficPolicy: "Local",
        healthCheckNodePort: 31000,
        publishNotReadyAddresses: true,
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
        ipFamilies: ["IPv4", "IPv6"],
        ipFamilyPolicy: "PreferDualStack",
        allocateLoadBalancerNodePorts: false,
        loadBalancerClass: "example.com/lb",
        internalTrafficPolicy: "Cluster",
        trafficDistribution: "PreferClose",
      },
      status: {
        loadBalancer: {
          ingress: [{ ip: "198.51.100.7", ipMode: "VIP", ports: [{ port: 80, protocol: "TCP" }] }],
        },
        conditions: [
          {
            type: "Ready",
            status: "True",
            observedGeneration: 2,
            lastTransitionTime: "2024-05-06T07:08:09Z",
            reason: "Done",
            message: "",
          },
        ],
      },
    });
  });

  it("ObjectMeta: times, maps, owner references, finalizers; managedFields skipped", () => {
    const raw = proto((w) =>
      w.message(1, (m) =>
        m
          .string(1, "a")
          .string(2, "gen-")
          .string(3, "ns")
          .string(4, "/api/v1/namespaces/ns/services/a")
          .string(5, "0b8f0d6e-uid")
          .string(6, "42")
          .varint(7, 3)
          .message(8, t("2024-01-01T00:00:00Z"))
          .message(9, t("2024-01-02T00:00:00Z"))
          .varint(10, 30)
          .map(11, { app: "a" })
          .map(12, { note: "x" })
          .message(13, (o) =>
            o.string(5, "apps/v1").string(1, "Deployment").string(3, "d").string(4, "u1").varint(6, true),
          )
          .message(13, (o) => o.string(1, "").string(3, "").string(4, "").string(5, ""))
          .string(14, "example.com/hold")
          .message(17, (mf) => mf.string(1, "kubectl").string(2, "Update")),
      ),
    );
    const object = decodeProtobufObject(envelope("v1", "Service", raw));
    assert.deepEqual(object.metadata, {
      name: "a",
      generateName: "gen-",
      namespace: "ns",
      selfLink: "/api/v1/namespaces/ns/services/a",
      uid: "0b8f0d6e-uid",
      resourceVersion: "42",
      generation: 3,
      creationTimestamp: "2024-01-01T00:00:00Z",
      deletionTimestamp: "2024-01-02T00:00:00Z",
      deletionGracePeriodSeconds: 30,
      labels: { app: "a" },
      annotations: { note: "x" },
      ownerReferences: [
        { apiVersion: "apps/v1", kind: "Deployment", name: "d", uid: "u1", controller: true },
        { apiVersion: "", kind: "", name: "", uid: "" },
      ],
      finalizers: ["example.com/hold"],
    });
  });

  it("Namespace with finalizers and a Terminating status", () => {
    const raw = proto((w) => {
      meta(w, "team");
      w.message(2, (s) => s.string(1, "kubernetes"));
      w.message(3, (s) =>
        s
          .string(1, "Terminating")
          .message(2, (c) =>
            c
              .string(1, "NamespaceDeletionContentFailure")
              .string(2, "False")
              .message(4, t("2024-02-03T04:05:06Z")),
          ),
      );
    });
    assert.deepEqual(decodeProtobufObject(envelope("v1", "Namespace", raw)), {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "team" },
      spec: { finalizers: ["kubernetes"] },
      status: {
        phase: "Terminating",
        conditions: [
          {
            type: "NamespaceDeletionContentFailure",
            status: "False",
            lastTransitionTime: "2024-02-03T04:05:06Z",
          },
        ],
      },
    });
  });

  it("core/v1 Event as client-go's recorder writes it", () => {
    const raw = proto((w) => {
      meta(w, "web.17a", "prod");
      w.message(2, (o) =>
        o.string(1, "Service").string(2, "prod").string(3, "web").string(4, "u").string(5, "v1"),
      );
      w.string(3, "IPAllocated").string(4, "allocated 192.0.2.10");
      w.message(5, (s) => s.string(1, "lbipam").string(2, ""));
      w.message(6, t("2024-03-04T05:06:07Z")).message(7, t("2024-03-04T05:06:08Z"));
      w.varint(8, 2).string(9, "Normal");
      w.message(10, () => {});
      w.string(12, "").string(14, "").string(15, "");
    });
    assert.deepEqual(decodeProtobufObject(envelope("v1", "Event", raw)), {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: "web.17a", namespace: "prod" },
      involvedObject: { kind: "Service", namespace: "prod", name: "web", uid: "u", apiVersion: "v1" },
      reason: "IPAllocated",
      message: "allocated 192.0.2.10",
      source: { component: "lbipam" },
      firstTimestamp: "2024-03-04T05:06:07Z",
      lastTimestamp: "2024-03-04T05:06:08Z",
      count: 2,
      type: "Normal",
      reportingComponent: "",
      reportingInstance: "",
    });
  });

  it("events.k8s.io/v1 Event with a series", () => {
    const raw = proto((w) => {
      meta(w, "e1", "prod");
      w.message(2, microT("2024-03-04T05:06:07Z", 123_456_789));
      w.message(3, (s) => s.varint(1, 3).message(2, microT("2024-03-04T05:07:00Z", 0)));
      w.string(4, "lbipam.example.com/controller")
        .string(5, "lbipam-0")
        .string(6, "Allocate")
        .string(7, "IPAllocated");
      w.message(8, (o) => o.string(1, "Service").string(3, "web"));
      w.string(10, "allocated").string(11, "Normal");
      w.message(12, () => {}).varint(15, 0);
    });
    assert.deepEqual(decodeProtobufObject(envelope("events.k8s.io/v1", "Event", raw)), {
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: { name: "e1", namespace: "prod" },
      eventTime: "2024-03-04T05:06:07.123456Z",
      series: { count: 3, lastObservedTime: "2024-03-04T05:07:00.000000Z" },
      reportingController: "lbipam.example.com/controller",
      reportingInstance: "lbipam-0",
      action: "Allocate",
      reason: "IPAllocated",
      regarding: { kind: "Service", name: "web" },
      note: "allocated",
      type: "Normal",
      deprecatedSource: {},
    });
  });

  it("coordination/v1 Lease: pointer fields are kept even when zero", () => {
    const raw = proto((w) => {
      meta(w, "lbipam-leader", "kube-system");
      w.message(2, (s) =>
        s
          .string(1, "pod-a")
          .varint(2, 15)
          .message(3, microT("2024-03-04T05:06:07Z", 5_000))
          .message(4, microT("2024-03-04T05:06:17Z", 0))
          .varint(5, 0),
      );
    });
    assert.deepEqual(decodeProtobufObject(envelope("coordination.k8s.io/v1", "Lease", raw)), {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: "lbipam-leader", namespace: "kube-system" },
      spec: {
        holderIdentity: "pod-a",
        leaseDurationSeconds: 15,
        acquireTime: "2024-03-04T05:06:07.000005Z",
        renewTime: "2024-03-04T05:06:17.000000Z",
        leaseTransitions: 0,
      },
    });
  });

  it("DeleteOptions under any group version", () => {
    const raw = proto((w) =>
      w
        .varint(1, 0)
        .message(2, (p) => p.string(1, "u-1").string(2, "7"))
        .string(4, "Foreground")
        .string(5, "All"),
    );
    for (const apiVersion of ["v1", "coordination.k8s.io/v1", "meta.k8s.io/v1"]) {
      assert.deepEqual(decodeProtobufObject(envelope(apiVersion, "DeleteOptions", raw)), {
        apiVersion,
        kind: "DeleteOptions",
        gracePeriodSeconds: 0,
        preconditions: { uid: "u-1", resourceVersion: "7" },
        propagationPolicy: "Foreground",
        dryRun: ["All"],
      });
    }
  });
});

describe("request bodies", () => {
  const what = 'Namespace in version "v1" cannot be handled as a Namespace';

  it("a kind without a schema is 415 UnsupportedMediaType", () => {
    const body = envelope(
      "projectcalico.org/v3",
      "IPPool",
      proto((w) => meta(w, "pool")),
    );
    assert.throws(() => decodeProtobufObject(body), UnsupportedProtobufKindError);
    assert.throws(
      () => decodeProtobufBody(body, what),
      (error: unknown) => {
        assert.ok(error instanceof StatusError);
        assert.equal(error.httpStatus, 415);
        assert.equal(error.reason, "UnsupportedMediaType");
        assert.equal(
          error.message,
          "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml",
        );
        return true;
      },
    );
  });

  it("a malformed body is 400 BadRequest in kube's wording", () => {
    const truncated = kubectlNamespace.subarray(0, kubectlNamespace.length - 10);
    assert.throws(
      () => decodeProtobufBody(truncated, what),
      (error: unknown) => {
        assert.ok(error instanceof StatusError);
        assert.equal(error.httpStatus, 400);
        assert.equal(error.reason, "BadRequest");
        assert.match(
          error.message,
          /^Namespace in version "v1" cannot be handled as a Namespace: error decoding body: /,
        );
        return true;
      },
    );
    assert.throws(() => decodeProtobufBody(Buffer.from("{}"), what), /expected prefix/);
  });
});
