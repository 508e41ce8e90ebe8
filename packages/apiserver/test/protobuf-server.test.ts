// Protobuf request bodies over HTTP: create, update and delete of the built-in kinds as client-go
// typed clients send them, 415 for custom resources, 400 for malformed bodies.
import assert from "node:assert/strict";
import { request } from "node:https";
import { after, before, describe, it } from "node:test";
import { type ApiServer, startApiServer } from "../src/index.js";
import { ApiClient } from "./helpers/api-client.js";
import { envelope, type ProtoWriter, proto } from "./helpers/protobuf-writer.js";

const protobuf = "application/vnd.kubernetes.protobuf";

let server: ApiServer;
let api: ApiClient;

interface Reply {
  status: number;
  contentType: string | undefined;
  body: Record<string, unknown>;
}

/** Sends a binary body as kubectl does (protobuf, accepting protobuf or JSON). */
function send(method: string, path: string, body: Uint8Array, contentType = protobuf): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, server.url),
      {
        method,
        ca: server.caPem,
        headers: {
          Authorization: `Bearer ${server.token}`,
          "Content-Type": contentType,
          Accept: `${protobuf},application/json`,
          "Content-Length": body.length,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers["content-type"],
            body: JSON.parse(text) as Record<string, unknown>,
          });
        });
      },
    );
    req.on("error", reject);
    req.end(Buffer.from(body));
  });
}

const meta =
  (name: string, namespace = "", resourceVersion = "", uid = "") =>
  (m: ProtoWriter) =>
    m
      .string(1, name)
      .string(2, "")
      .string(3, namespace)
      .string(4, "")
      .string(5, uid)
      .string(6, resourceVersion)
      .varint(7, 0)
      .message(8, () => {});

const microTime = (seconds: number) => (t: ProtoWriter) => t.varint(1, seconds).varint(2, 0);

function leaseBody(name: string, holder: string, resourceVersion = "", uid = ""): Uint8Array {
  return envelope(
    "coordination.k8s.io/v1",
    "Lease",
    proto((w) =>
      w
        .message(1, meta(name, "default", resourceVersion, uid))
        .message(2, (s) =>
          s
            .string(1, holder)
            .varint(2, 15)
            .message(3, microTime(1_700_000_000))
            .message(4, microTime(1_700_000_010))
            .varint(5, 0),
        ),
    ),
  );
}

function deleteOptions(uid: string): Uint8Array {
  return envelope(
    "coordination.k8s.io/v1",
    "DeleteOptions",
    proto((w) => w.message(2, (p) => p.string(1, uid))),
  );
}

const widgetCrd = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "widgets.example.com" },
  spec: {
    group: "example.com",
    scope: "Cluster",
    names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
      },
    ],
  },
};

before(async () => {
  server = await startApiServer();
  api = new ApiClient(server);
  const created = await api.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widgetCrd);
  assert.equal(created.status, 201, created.text);
});

after(async () => {
  api.close();
  await server.stop();
});

describe("protobuf request bodies", () => {
  it("create a Namespace; the answer is JSON", async () => {
    const body = envelope(
      "v1",
      "Namespace",
      proto((w) =>
        w
          .message(1, (m) => meta("pb-team")(m).map(11, { team: "a" }))
          .message(2, () => {})
          .message(3, (s) => s.string(1, "")),
      ),
    );
    const created = await send("POST", "/api/v1/namespaces", body);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.match(created.contentType ?? "", /^application\/json/);
    const got = await api.get("/api/v1/namespaces/pb-team");
    assert.equal(got.status, 200);
    const metadata = got.body.metadata as Record<string, unknown>;
    assert.deepEqual(metadata.labels, { team: "a", "kubernetes.io/metadata.name": "pb-team" });
    assert.deepEqual(got.body.status, { phase: "Active" });
  });

  it("create a Service with a named targetPort and a pointer field set to false", async () => {
    const body = envelope(
      "v1",
      "Service",
      proto((w) =>
        w.message(1, meta("pb-web", "default")).message(2, (s) =>
          s
            .message(1, (p) =>
              p
                .string(1, "http")
                .string(2, "TCP")
                .varint(3, 80)
                .message(4, (v) => v.varint(1, 1).varint(2, 0).string(3, "web"))
                .varint(5, 0),
            )
            .message(1, (p) =>
              p
                .string(1, "metrics")
                .string(2, "TCP")
                .varint(3, 9090)
                .message(4, (v) => v.varint(1, 0).varint(2, 0).string(3, "")),
            )
            .map(2, { app: "web" })
            .string(3, "")
            .string(4, "LoadBalancer")
            .varint(20, false)
            .string(21, "lbipam.example.com/lb"),
        ),
      ),
    );
    const created = await send("POST", "/api/v1/namespaces/default/services", body);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const got = await api.get("/api/v1/namespaces/default/services/pb-web");
    const spec = got.body.spec as Record<string, unknown>;
    assert.equal(spec.type, "LoadBalancer");
    assert.equal(spec.allocateLoadBalancerNodePorts, false);
    assert.equal(spec.loadBalancerClass, "lbipam.example.com/lb");
    assert.deepEqual(spec.selector, { app: "web" });
    const ports = spec.ports as Record<string, unknown>[];
    assert.deepEqual(
      ports.map((p) => [p.name, p.port, p.targetPort, p.protocol]),
      [
        ["http", 80, "web", "TCP"],
        ["metrics", 9090, 9090, "TCP"],
      ],
    );
    assert.match(String(spec.clusterIP), /^\d+\.\d+\.\d+\.\d+$/);
  });

  it("create an Event (core/v1)", async () => {
    const body = envelope(
      "v1",
      "Event",
      proto((w) =>
        w
          .message(1, meta("pb-web.1", "default"))
          .message(2, (o) => o.string(1, "Service").string(2, "default").string(3, "pb-web").string(5, "v1"))
          .string(3, "IPAllocated")
          .string(4, "allocated")
          .message(5, (s) => s.string(1, "lbipam"))
          .message(6, (t) => t.varint(1, 1_700_000_000))
          .message(7, (t) => t.varint(1, 1_700_000_000))
          .varint(8, 1)
          .string(9, "Normal")
          .message(10, () => {})
          .string(14, "")
          .string(15, ""),
      ),
    );
    const created = await send("POST", "/api/v1/namespaces/default/events", body);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.reason, "IPAllocated");
    assert.equal(created.body.firstTimestamp, "2023-11-14T22:13:20Z");
    assert.deepEqual(created.body.involvedObject, {
      kind: "Service",
      namespace: "default",
      name: "pb-web",
      apiVersion: "v1",
    });
  });

  it("create and update a Lease; delete it with protobuf DeleteOptions and preconditions", async () => {
    const leases = "/apis/coordination.k8s.io/v1/namespaces/default/leases";
    const created = await send("POST", leases, leaseBody("pb-leader", "pod-a"));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body.spec, {
      holderIdentity: "pod-a",
      leaseDurationSeconds: 15,
      acquireTime: "2023-11-14T22:13:20.000000Z",
      renewTime: "2023-11-14T22:13:30.000000Z",
      leaseTransitions: 0,
    });
    const metadata = created.body.metadata as { resourceVersion: string; uid: string };
    const updated = await send(
      "PUT",
      `${leases}/pb-leader`,
      leaseBody("pb-leader", "pod-b", metadata.resourceVersion, metadata.uid),
    );
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.equal((updated.body.spec as Record<string, unknown>).holderIdentity, "pod-b");
    const stale = await send(
      "PUT",
      `${leases}/pb-leader`,
      leaseBody("pb-leader", "pod-c", metadata.resourceVersion),
    );
    assert.equal(stale.status, 409);

    const refused = await send("DELETE", `${leases}/pb-leader`, deleteOptions("not-the-uid"));
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    const deleted = await send("DELETE", `${leases}/pb-leader`, deleteOptions(metadata.uid));
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    assert.equal((await api.get(`${leases}/pb-leader`)).status, 404);
  });

  it("a custom resource sent as protobuf is 415 UnsupportedMediaType", async () => {
    const body = envelope(
      "example.com/v1",
      "Widget",
      proto((w) => w.message(1, meta("w1"))),
    );
    const reply = await send("POST", "/apis/example.com/v1/widgets", body);
    assert.equal(reply.status, 415);
    assert.deepEqual(reply.body, {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message:
        "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml",
      reason: "UnsupportedMediaType",
      code: 415,
    });
    assert.equal((await api.get("/apis/example.com/v1/widgets/w1")).status, 404);
  });

  it("a malformed protobuf body is 400 BadRequest", async () => {
    const reply = await send("POST", "/api/v1/namespaces", Buffer.from("k8s\0\x0a\x7f"));
    assert.equal(reply.status, 400);
    assert.equal(reply.body.reason, "BadRequest");
    assert.match(
      String(reply.body.message),
      /^Namespace in version "v1" cannot be handled as a Namespace: error decoding body: length 127 /,
    );
    const json = await send("POST", "/api/v1/namespaces", Buffer.from('{"metadata":{"name":"x"}}'));
    assert.equal(json.status, 400);
    assert.match(String(json.body.message), /does not appear to be a protobuf message/);
  });

  it("the kind in the envelope must match the resource, as in JSON", async () => {
    const body = envelope(
      "v1",
      "Namespace",
      proto((w) => w.message(1, meta("misplaced", "default"))),
    );
    const reply = await send("POST", "/api/v1/namespaces/default/services", body);
    assert.equal(reply.status, 400);
    assert.match(
      String(reply.body.message),
      /the kind in the data \(Namespace\) does not match the expected kind/,
    );
  });
});
