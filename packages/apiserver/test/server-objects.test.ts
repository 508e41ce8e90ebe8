// Object semantics over HTTP: create/get/update/delete, optimistic concurrency, the status
// subresource, generation, finalizers, namespaces, auth, and the Status bodies of failures.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type ApiServer, startApiServer } from "../src/index.js";
import { ApiClient } from "./helpers/api-client.js";

let server: ApiServer;
let api: ApiClient;

const crd = {
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
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              spec: { type: "object", properties: { size: { type: "integer", default: 1 } } },
              status: { type: "object", properties: { ready: { type: "boolean" } } },
            },
          },
        },
      },
    ],
  },
};

const services = "/api/v1/namespaces/default/services";
const widgets = "/apis/example.com/v1/widgets";

function service(name: string, extra: Record<string, unknown> = {}) {
  return { apiVersion: "v1", kind: "Service", metadata: { name, ...extra }, spec: { ports: [{ port: 80 }] } };
}

before(async () => {
  server = await startApiServer();
  api = new ApiClient(server);
  const created = await api.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
  assert.equal(created.status, 201, created.text);
});

after(async () => {
  api.close();
  await server.stop();
});

test("requests without the bearer token get 401; /version needs none", async () => {
  const denied = await api.get(services, { token: null });
  assert.equal(denied.status, 401);
  assert.equal(denied.body.reason, "Unauthorized");
  assert.equal((await api.get(services, { token: "wrong" })).status, 401);
  const version = await api.get("/version", { token: null });
  assert.equal(version.status, 200);
  assert.equal(version.body.major, "1");
});

test("the four standard namespaces exist", async () => {
  const list = await api.get("/api/v1/namespaces");
  const names = (list.body.items as { metadata: { name: string } }[]).map((n) => n.metadata.name).sort();
  assert.deepEqual(names, ["default", "kube-node-lease", "kube-public", "kube-system"]);
});

test("create sets uid, creationTimestamp and resourceVersion; a second create is AlreadyExists", async () => {
  const created = await api.post(services, service("svc-a"));
  assert.equal(created.status, 201, created.text);
  const meta = created.body.metadata as Record<string, string>;
  assert.match(meta.uid!, /^[0-9a-f-]{36}$/);
  assert.match(meta.creationTimestamp!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.match(meta.resourceVersion!, /^\d+$/);
  const again = await api.post(services, service("svc-a"));
  assert.equal(again.status, 409);
  assert.equal(again.body.reason, "AlreadyExists");
  assert.equal(again.body.message, 'services "svc-a" already exists');
});

test("every write gets a larger resourceVersion", async () => {
  const a = await api.post(services, service("svc-rv1"));
  const b = await api.post(services, service("svc-rv2"));
  const rv = (r: typeof a) => Number((r.body.metadata as Record<string, string>).resourceVersion);
  assert.ok(rv(b) > rv(a));
});

test("update with a stale resourceVersion is a Conflict with kube's message", async () => {
  const created = await api.post(services, service("svc-conflict"));
  const first = created.body as { metadata: Record<string, unknown> };
  const updated = await api.put(`${services}/svc-conflict`, {
    ...first,
    metadata: { ...first.metadata, labels: { a: "1" } },
  });
  assert.equal(updated.status, 200, updated.text);
  const stale = await api.put(`${services}/svc-conflict`, {
    ...first,
    metadata: { ...first.metadata, labels: { a: "2" } },
  });
  assert.equal(stale.status, 409);
  assert.equal(stale.body.reason, "Conflict");
  assert.equal(
    stale.body.message,
    'Operation cannot be fulfilled on services "svc-conflict": the object has been modified; please apply your changes to the latest version and try again',
  );
});

test("a write that changes nothing keeps the resourceVersion", async () => {
  const created = await api.post(services, service("svc-noop"));
  const rv = (created.body.metadata as Record<string, string>).resourceVersion;
  const same = await api.put(`${services}/svc-noop`, created.body);
  assert.equal((same.body.metadata as Record<string, string>).resourceVersion, rv);
});

test("the main endpoint ignores status; /status changes only status", async () => {
  const lb = service("svc-status");
  await api.post(services, { ...lb, spec: { ...lb.spec, type: "LoadBalancer" } });
  const viaMain = await api.patch(`${services}/svc-status`, {
    status: { loadBalancer: { ingress: [{ ip: "10.0.0.1" }] } },
  });
  assert.equal(viaMain.status, 200);
  assert.deepEqual(viaMain.body.status, { loadBalancer: {} });
  const viaStatus = await api.patch(`${services}/svc-status/status`, {
    metadata: { labels: { ignored: "yes" } },
    spec: { ports: [{ port: 9999 }] },
    status: { loadBalancer: { ingress: [{ ip: "10.0.0.1" }] } },
  });
  assert.equal(viaStatus.status, 200, viaStatus.text);
  assert.deepEqual(viaStatus.body.status, { loadBalancer: { ingress: [{ ip: "10.0.0.1", ipMode: "VIP" }] } });
  assert.deepEqual(
    (viaStatus.body.spec as { ports: { port: number }[] }).ports.map((p) => p.port),
    [80],
  );
  assert.equal((viaStatus.body.metadata as { labels?: unknown }).labels, undefined);
});

test("Services are defaulted and allocated as kube-apiserver does it", async () => {
  const created = await api.post(services, {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "svc-lb" },
    spec: { type: "LoadBalancer", ports: [{ port: 80 }] },
  });
  assert.equal(created.status, 201, created.text);
  const spec = created.body.spec as {
    clusterIP: string;
    clusterIPs: string[];
    ipFamilies: string[];
    ipFamilyPolicy: string;
    ports: { port: number; protocol: string; targetPort: number; nodePort: number }[];
  };
  assert.match(spec.clusterIP, /^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/);
  assert.deepEqual(spec.clusterIPs, [spec.clusterIP]);
  assert.deepEqual(spec.ipFamilies, ["IPv4"]);
  assert.equal(spec.ipFamilyPolicy, "SingleStack");
  const port = spec.ports[0]!;
  assert.equal(port.protocol, "TCP");
  assert.equal(port.targetPort, 80);
  assert.ok(port.nodePort >= 30000 && port.nodePort <= 32767, String(port.nodePort));
  const clash = await api.post(services, {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "svc-clash" },
    spec: { type: "NodePort", ports: [{ port: 80, nodePort: port.nodePort }] },
  });
  assert.equal(clash.status, 422);
  assert.match(String(clash.body.message), /provided port is already allocated/);
  assert.equal((await api.delete(`${services}/svc-lb`)).status, 200);
  const reuse = await api.post(services, {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "svc-clash" },
    spec: { type: "NodePort", ports: [{ port: 80, nodePort: port.nodePort }] },
  });
  assert.equal(reuse.status, 201, reuse.text);
  const noPorts = await api.post(services, {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "svc-empty" },
    spec: {},
  });
  assert.equal(noPorts.status, 422);
  assert.equal(noPorts.body.message, 'Service "svc-empty" is invalid: spec.ports: Required value');
});

test("custom resources: generation moves on spec changes only, defaults apply, status is a subresource", async () => {
  const created = await api.post(widgets, {
    apiVersion: "example.com/v1",
    kind: "Widget",
    metadata: { name: "w1" },
    spec: {},
    status: { ready: true },
  });
  assert.equal(created.status, 201, created.text);
  assert.equal((created.body.metadata as Record<string, number>).generation, 1);
  assert.deepEqual(created.body.spec, { size: 1 });
  assert.equal(created.body.status, undefined);
  const status = await api.patch(`${widgets}/w1/status`, { status: { ready: true } });
  assert.equal((status.body.metadata as Record<string, number>).generation, 1);
  assert.deepEqual(status.body.status, { ready: true });
  const labelled = await api.patch(`${widgets}/w1`, { metadata: { labels: { x: "y" } } });
  assert.equal((labelled.body.metadata as Record<string, number>).generation, 1);
  const resized = await api.patch(`${widgets}/w1`, { spec: { size: 3 } });
  assert.equal((resized.body.metadata as Record<string, number>).generation, 2);
});

test("strategic merge patch on a custom resource is 415 with the real message", async () => {
  const refused = await api.send("PATCH", `${widgets}/w1`, {
    body: { spec: { size: 4 } },
    contentType: "application/strategic-merge-patch+json",
  });
  assert.equal(refused.status, 415);
  assert.equal(refused.body.reason, "UnsupportedMediaType");
  assert.equal(
    refused.body.message,
    "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
  );
});

test("unknown fields: Strict refuses with 400, Warn answers with a Warning header", async () => {
  const body = {
    apiVersion: "example.com/v1",
    kind: "Widget",
    metadata: { name: "w-strict" },
    spec: { foo: 1 },
  };
  const strict = await api.post(`${widgets}?fieldValidation=Strict`, body);
  assert.equal(strict.status, 400);
  assert.equal(strict.body.message, 'strict decoding error: unknown field "spec.foo"');
  const warned = await api.post(`${widgets}?fieldValidation=Warn`, body);
  assert.equal(warned.status, 201);
  assert.match(String(warned.headers.warning), /unknown field \\"spec.foo\\"/);
  assert.deepEqual(warned.body.spec, { size: 1 });
});

test("unknown fields of built-in kinds: Strict refuses as the Go decoder does, Warn drops them", async () => {
  const body = { ...service("svc-unknown"), spec: { ports: [{ port: 80 }], foo: "bar" } };
  const strict = await api.post(`${services}?fieldValidation=Strict`, body);
  assert.equal(strict.status, 400);
  assert.equal(
    strict.body.message,
    'Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.foo"',
  );
  const warned = await api.post(services, body);
  assert.equal(warned.status, 201);
  assert.match(String(warned.headers.warning), /unknown field \\"spec.foo\\"/);
  assert.equal((warned.body.spec as { foo?: string }).foo, undefined);
});

test("finalizers: delete marks the object, removing the last finalizer deletes it", async () => {
  await api.post(services, service("svc-final", { finalizers: ["example.com/hold"] }));
  const deleting = await api.delete(`${services}/svc-final`);
  assert.equal(deleting.status, 200);
  assert.ok((deleting.body.metadata as Record<string, string>).deletionTimestamp);
  assert.equal((await api.get(`${services}/svc-final`)).status, 200);
  const released = await api.patch(`${services}/svc-final`, { metadata: { finalizers: null } });
  assert.equal(released.status, 200, released.text);
  const gone = await api.get(`${services}/svc-final`);
  assert.equal(gone.status, 404);
  assert.equal(gone.body.message, 'services "svc-final" not found');
});

test("namespaced objects need an existing namespace", async () => {
  const missing = await api.post("/api/v1/namespaces/nowhere/services", service("svc-x"));
  assert.equal(missing.status, 404);
  assert.equal(missing.body.message, 'namespaces "nowhere" not found');
});

test("deleting a namespace deletes its objects", async () => {
  assert.equal(
    (
      await api.post("/api/v1/namespaces", {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: "temp" },
      })
    ).status,
    201,
  );
  assert.equal((await api.post("/api/v1/namespaces/temp/services", service("inside"))).status, 201);
  assert.equal((await api.delete("/api/v1/namespaces/temp")).status, 200);
  assert.equal((await api.get("/api/v1/namespaces/temp/services/inside")).status, 404);
});

test("a namespace held by an object's finalizer stays Terminating until the object is gone", async () => {
  await api.post("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "held" } });
  const created = await api.get("/api/v1/namespaces/held");
  assert.deepEqual((created.body.spec as { finalizers: string[] }).finalizers, ["kubernetes"]);
  assert.equal((created.body.status as { phase: string }).phase, "Active");
  await api.post("/api/v1/namespaces/held/services", service("holder", { finalizers: ["example.com/hold"] }));
  const deleting = await api.delete("/api/v1/namespaces/held");
  assert.equal(deleting.status, 200);
  assert.equal((deleting.body.status as { phase: string }).phase, "Terminating");
  const refused = await api.post("/api/v1/namespaces/held/services", service("late"));
  assert.equal(refused.status, 403);
  assert.match(String(refused.body.message), /because it is being terminated/);
  assert.equal((await api.get("/api/v1/namespaces/held")).status, 200);
  await api.patch("/api/v1/namespaces/held/services/holder", { metadata: { finalizers: null } });
  assert.equal((await api.get("/api/v1/namespaces/held/services/holder")).status, 404);
  assert.equal((await api.get("/api/v1/namespaces/held")).status, 404);
});

test("Table answers carry the kind's columns", async () => {
  const table = await api.get(`${services}/svc-a`, {
    accept: "application/json;as=Table;v=v1;g=meta.k8s.io",
  });
  assert.equal(table.body.kind, "Table");
  const columns = (table.body.columnDefinitions as { name: string }[]).map((c) => c.name);
  assert.deepEqual(columns, ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector"]);
  const row = (table.body.rows as { cells: unknown[]; object: { kind: string } }[])[0]!;
  assert.equal(row.cells[0], "svc-a");
  assert.equal(row.object.kind, "PartialObjectMetadata");
});

test("bad requests get their real reasons", async () => {
  const invalidName = await api.post(services, service("Bad_Name"));
  assert.equal(invalidName.status, 422);
  assert.equal(invalidName.body.reason, "Invalid");
  assert.match(
    String(invalidName.body.message),
    /^Service "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a DNS-1035 label/,
  );
  const badJson = await api.post(services, "{not json");
  assert.equal(badJson.status, 400);
  assert.equal(badJson.body.reason, "BadRequest");
  const wrongVersion = await api.post(services, { ...service("svc-v"), apiVersion: "v2" });
  assert.equal(wrongVersion.status, 400);
  assert.equal(
    wrongVersion.body.message,
    "the API version in the data (v2) does not match the expected API version (v1)",
  );
  const noCollectionDelete = await api.delete("/api/v1/namespaces");
  assert.equal(noCollectionDelete.status, 405);
  assert.equal(noCollectionDelete.body.reason, "MethodNotAllowed");
  const unknownResource = await api.get("/api/v1/namespaces/default/pods");
  assert.equal(unknownResource.status, 404);
  const withVersion = await api.post(services, service("svc-rv", { resourceVersion: "42" }));
  assert.equal(withVersion.status, 500);
  assert.equal(withVersion.body.message, "resourceVersion should not be set on objects to be created");
  const badPath = await api.get("/api/v1/namespaces/default/services/%E0%A4%A");
  assert.equal(badPath.status, 400);
  const badPatchType = await api.send("PATCH", `${services}/svc-a`, { body: {}, contentType: "text/plain" });
  assert.equal(badPatchType.status, 415);
});

test("an injected 409 names the resource with its group, as a real conflict does", async () => {
  server.faults.failNext({ verb: "patch", resource: "widgets", subresource: "status", code: 409, count: 1 });
  const conflict = await api.patch(`${widgets}/w1/status`, { status: { ready: false } });
  assert.equal(conflict.status, 409);
  assert.equal(
    conflict.body.message,
    'Operation cannot be fulfilled on widgets.example.com "w1": the object has been modified; please apply your changes to the latest version and try again',
  );
  assert.equal((await api.patch(`${widgets}/w1/status`, { status: { ready: false } })).status, 200);
});

test("a warning about a non-ASCII field name is escaped into the header", async () => {
  const warned = await api.post(widgets, {
    apiVersion: "example.com/v1",
    kind: "Widget",
    metadata: { name: "w-unicode" },
    spec: { grö: 1 },
  });
  assert.equal(warned.status, 201, warned.text);
  assert.match(String(warned.headers.warning), /unknown field \\"spec.gr\\u00f6\\"/);
});
