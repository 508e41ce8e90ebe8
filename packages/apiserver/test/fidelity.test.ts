// Where the embedded server must answer as kube-apiserver does for clients
// nobody on the project wrote (the Python client sends watch=True; the Ruby
// client watches through the /watch/ prefix).
import assert from "node:assert/strict";
import { request } from "node:https";
import { after, before, test } from "node:test";
import { type ApiServer, startApiServer } from "../src/index.js";
import { ApiClient } from "./helpers/api-client.js";
import { lease } from "./helpers/lease.js";

let server: ApiServer;
let api: ApiClient;
const leases = "/apis/coordination.k8s.io/v1/namespaces/default/leases";

before(async () => {
  server = await startApiServer({ changeWindow: 50 });
  api = new ApiClient(server);
  await api.post(leases, lease("one"));
  await api.post(leases, lease("two"));
});

after(async () => {
  api.close();
  await server.stop();
});

const nameOf = (event: { object: Record<string, unknown> }) =>
  (event.object.metadata as { name: string }).name;

test("watch=True, watch=yes: any value but false or 0 is a watch (apiserver/pkg/endpoints/request/requestinfo.go)", {
  timeout: 10_000,
}, async () => {
  for (const value of ["True", "TRUE", "yes", "1"]) {
    const stream = await api.watch(`${leases}?watch=${value}&fieldSelector=metadata.name%3Done`);
    const first = await stream.next();
    assert.equal(first.type, "ADDED", value);
    assert.equal(nameOf(first), "one", value);
    stream.close();
  }
  for (const value of ["False", "0", "false"]) {
    const list = await api.get(`${leases}?watch=${value}`);
    assert.equal(list.body.kind, "LeaseList", value);
  }
});

test("allowWatchBookmarks=True asks for bookmarks as true does (apimachinery/pkg/runtime/conversion.go Convert_Slice_string_To_bool)", {
  timeout: 10_000,
}, async () => {
  const stream = await api.watch(
    `${leases}?watch=1&sendInitialEvents=True&allowWatchBookmarks=True&resourceVersionMatch=NotOlderThan`,
  );
  const seen: string[] = [];
  for (;;) {
    const event = await stream.next();
    seen.push(event.type);
    if (event.type === "BOOKMARK") break;
  }
  assert.deepEqual(seen, ["ADDED", "ADDED", "BOOKMARK"]);
  stream.close();
});

test("the deprecated /watch/ prefix: a collection, and one object by name (requestinfo.go specialVerbs)", {
  timeout: 10_000,
}, async () => {
  const all = await api.watch("/apis/coordination.k8s.io/v1/watch/namespaces/default/leases");
  assert.deepEqual([nameOf(await all.next()), nameOf(await all.next())].sort(), ["one", "two"]);
  all.close();
  const one = await api.watch("/apis/coordination.k8s.io/v1/watch/namespaces/default/leases/two");
  assert.equal(nameOf(await one.next()), "two");
  await api.patch(`${leases}/one`, { spec: { holderIdentity: "changed" } });
  await api.patch(`${leases}/two`, { spec: { holderIdentity: "changed" } });
  const changed = await one.next();
  assert.equal(changed.type, "MODIFIED");
  assert.equal(nameOf(changed), "two", "a named watch sees only its object");
  one.close();
  const everywhere = await api.watch("/apis/coordination.k8s.io/v1/watch/leases");
  assert.equal((await everywhere.next()).type, "ADDED");
  everywhere.close();
});

test("a named GET with ?watch=true is a plain GET: only a request without a name becomes a list or a watch (requestinfo.go NewRequestInfo, handlers/get.go GetResource)", async () => {
  const reply = await api.get(`${leases}/one?watch=true`);
  assert.equal(reply.status, 200);
  assert.equal(reply.body.kind, "Lease");
});

test("limit and timeoutSeconds are read with strconv.ParseInt and its error is 400 (runtime/conversion.go Convert_Slice_string_To_int64, handlers/get.go ListResource)", async () => {
  const refused: [string, string][] = [
    ["limit=abc", 'strconv.ParseInt: parsing "abc": invalid syntax'],
    ["limit=1.5", 'strconv.ParseInt: parsing "1.5": invalid syntax'],
    ["limit=", 'strconv.ParseInt: parsing "": invalid syntax'],
    ["limit=9223372036854775808", 'strconv.ParseInt: parsing "9223372036854775808": value out of range'],
    ["timeoutSeconds=abc", 'strconv.ParseInt: parsing "abc": invalid syntax'],
    ["watch=1&timeoutSeconds=soon", 'strconv.ParseInt: parsing "soon": invalid syntax'],
  ];
  for (const [query, message] of refused) {
    const reply = await api.get(`${leases}?${query}`);
    assert.equal(reply.status, 400, query);
    assert.equal(reply.body.reason, "BadRequest", query);
    assert.equal(reply.body.message, message, query);
  }
  // A sign is allowed; a limit not above 0 is no limit (etcd3/store.go GetList, cacher.go shouldDelegateList).
  const plus = await api.get(`${leases}?limit=%2B1`);
  assert.equal((plus.body.items as unknown[]).length, 1);
  assert.ok((plus.body.metadata as { continue?: string }).continue);
  const minus = await api.get(`${leases}?limit=-1`);
  assert.equal(minus.status, 200);
  assert.equal((minus.body.metadata as { continue?: string }).continue, undefined);
});

test("a watch with a timeout past Node's longest timer stays open: kube takes any timeoutSeconds as a duration (handlers/get.go ListResource); Node's timer ended it after 1 ms", {
  timeout: 10_000,
}, async () => {
  const stream = await api.watch(
    `${leases}?watch=1&timeoutSeconds=3000000&fieldSelector=metadata.name%3Done`,
  );
  assert.equal((await stream.next()).type, "ADDED");
  const ended = await Promise.race([
    stream.ended.then(() => true),
    new Promise((r) => setTimeout(() => r(false), 300)),
  ]);
  assert.equal(ended, false, "still open after 300 ms");
  stream.close();
});

test("an object sent as text/plain is 415, one sent without a Content-Type is read as JSON (negotiation/negotiate.go)", async () => {
  const plain = await api.send("POST", leases, { body: lease("plain"), contentType: "text/plain" });
  assert.equal(plain.status, 415);
  assert.equal(plain.body.reason, "UnsupportedMediaType");
  assert.match(
    String(plain.body.message),
    /accepted media types include: application\/json, application\/yaml/,
  );
  const bare = await new Promise<number>((resolve, reject) => {
    const text = JSON.stringify(lease("bare"));
    const req = request(
      new URL(leases, server.url),
      {
        method: "POST",
        ca: server.caPem,
        headers: { Authorization: `Bearer ${server.token}`, "Content-Length": Buffer.byteLength(text) },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(text);
  });
  assert.equal(bare, 201);
});

test("a subresource the kind does not serve is 404, as a path with no route (a Lease has no status; endpoints/installer.go registers status only for a storage with one, go-restful answers 404)", async () => {
  const patched = await api.patch(`${leases}/one/status`, { status: {} });
  assert.equal(patched.status, 404);
  assert.equal(patched.body.reason, "NotFound");
  assert.equal((await api.get(`${leases}/one/status`)).status, 404);
  assert.equal((await api.get(`${leases}/one/scale`)).status, 404);
  const services = "/api/v1/namespaces/default/services";
  await api.post(services, {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "web" },
    spec: { ports: [{ port: 80 }] },
  });
  assert.equal((await api.patch(`${services}/web/status`, { status: {} })).status, 200, "a Service has one");
  assert.equal((await api.post(`${services}/web/status`, {})).status, 405, "which takes no POST");
});

/** A request sent with its path exactly as given: `new URL` would resolve `..` and `%2e%2e` first. */
function rawRequest(
  method: string,
  path: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        hostname,
        port,
        path,
        method,
        ca: server.caPem,
        headers: { Authorization: `Bearer ${server.token}` },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on("error", reject);
    req.end();
  });
}

test("a name of . or .., or with % in it, is 400 and never the parent (registry/generic/registry/store.go NamespaceKeyFunc, path.IsValidPathSegmentName)", async () => {
  const cases: [string, string, string][] = [
    ["GET", "/api/v1/namespaces/default/services/%2e%2e", `Name parameter invalid: "..": may not be '..'`],
    ["GET", "/api/v1/namespaces/default/services/%2E%2E", `Name parameter invalid: "..": may not be '..'`],
    ["GET", "/api/v1/namespaces/default/services/..", `Name parameter invalid: "..": may not be '..'`],
    ["GET", `${leases}/%2e`, `Name parameter invalid: ".": may not be '.'`],
    ["GET", `${leases}/a%25b`, `Name parameter invalid: "a%b": may not contain '%'`],
    ["DELETE", `${leases}/%2e%2e`, `Name parameter invalid: "..": may not be '..'`],
    ["GET", "/api/v1/namespaces/%2e%2e", `Name parameter invalid: "..": may not be '..'`],
  ];
  for (const [method, path, message] of cases) {
    const reply = await rawRequest(method, path);
    assert.equal(reply.status, 400, path);
    assert.equal(reply.body.reason, "BadRequest", path);
    assert.equal(reply.body.message, message, path);
  }
  // %2F splits the path, as Go's decoded URL.Path does: a name and a subresource no kind has.
  assert.equal((await rawRequest("GET", `${leases}/one%2Fx`)).status, 404);
  assert.equal((await rawRequest("GET", `${leases}/one`)).body.kind, "Lease");
});

async function currentRv(): Promise<number> {
  const listed = await api.get(leases);
  return Number((listed.body.metadata as { resourceVersion: string }).resourceVersion);
}

test("a list at a resourceVersion still to come waits for it, then is 504 Timeout: Too large resource version (cacher.go GetList, watch_cache.go waitUntilFreshAndBlock, storage/errors.go)", {
  timeout: 20_000,
}, async () => {
  const next = (await currentRv()) + 1;
  const waiting = api.get(`${leases}?resourceVersion=${next}`);
  await api.patch(`${leases}/two`, { metadata: { labels: { waited: "yes" } } });
  const listed = await waiting;
  assert.equal(listed.status, 200, listed.text);
  assert.ok(Number((listed.body.metadata as { resourceVersion: string }).resourceVersion) >= next);
  const waitedFor = (
    listed.body.items as { metadata: { name: string; labels?: Record<string, string> } }[]
  ).find((item) => item.metadata.name === "two");
  assert.equal(waitedFor?.metadata.labels?.waited, "yes", "the list shows the write it waited for");

  const far = (await currentRv()) + 1000;
  const tooLarge = await api.get(`${leases}?resourceVersion=${far}`);
  assert.equal(tooLarge.status, 504);
  assert.equal(tooLarge.body.reason, "Timeout");
  assert.match(
    String(tooLarge.body.message),
    new RegExp(`^Timeout: Too large resource version: ${far}, current: \\d+$`),
  );
  assert.deepEqual(tooLarge.body.details, {
    causes: [{ reason: "ResourceVersionTooLarge", message: "Too large resource version" }],
    retryAfterSeconds: 1,
  });
});

test("forged continue tokens are 400 as storage.DecodeContinue refuses them (apiserver/pkg/storage/continue.go, etcd3/store.go GetList)", async () => {
  const token = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const v = "meta.k8s.io/v1";
  const invalid = "invalid continue token: continue key is not valid";
  const cases: [string, string][] = [
    ["ab!cd", `${invalid}: illegal base64 data at input byte 2`],
    ["abcde", `${invalid}: illegal base64 data at input byte 4`],
    [token({ rv: 5, start: "default/one" }), `${invalid}: server does not recognize this encoded version `],
    [
      token({ v: "meta.k8s.io/v2", rv: 5, start: "default/one" }),
      `${invalid}: server does not recognize this encoded version meta.k8s.io/v2`,
    ],
    [
      token({ v, rv: 0, start: "default/one" }),
      `${invalid}: incorrect encoded start resourceVersion (version meta.k8s.io/v1)`,
    ],
    [token({ v, rv: 5, start: "" }), `${invalid}: encoded start key empty (version meta.k8s.io/v1)`],
    [token({ v, rv: 5, start: "default/../kube-system/x" }), `${invalid}: default/../kube-system/x`],
    [token({ v, rv: 5, start: "default/one/" }), `${invalid}: default/one/`],
    [
      token({ v, rv: "5", start: "default/one" }),
      `${invalid}: json: cannot unmarshal string into Go struct field continueToken.rv of type int64`,
    ],
    [
      token({ v, rv: 1.5, start: "default/one" }),
      `${invalid}: json: cannot unmarshal number 1.5 into Go struct field continueToken.rv of type int64`,
    ],
    [token([1]), `${invalid}: json: cannot unmarshal array into Go value of type storage.continueToken`],
  ];
  for (const [value, message] of cases) {
    const reply = await api.get(`${leases}?limit=1&continue=${value}`);
    assert.equal(reply.status, 400, value);
    assert.equal(reply.body.reason, "BadRequest", value);
    assert.equal(reply.body.message, message, value);
  }
  // Not JSON: kube's prefix, then the parser's own words.
  const garbled = await api.get(`${leases}?limit=1&continue=${Buffer.from("{rv").toString("base64url")}`);
  assert.equal(garbled.status, 400);
  assert.match(String(garbled.body.message), new RegExp(`^${invalid}: `));
  // A negative rv asks for the latest version: the rest after "default/one".
  const latest = await api.get(`${leases}?limit=5&continue=${token({ v, rv: -1, start: "default/one" })}`);
  assert.equal(latest.status, 200, latest.text);
  assert.deepEqual(
    (latest.body.items as { metadata: { name: string } }[]).map((i) => i.metadata.name),
    ["two"],
  );
});

test("resourceVersionMatch without resourceVersion or with continue is 422 ListOptions Invalid; a continue with a resourceVersion is 400 (internalversion/validation ValidateListOptions, etcd3/store.go GetList)", async () => {
  const first = await api.get(`${leases}?limit=1`);
  const next = (first.body.metadata as { continue: string }).continue;
  const withRv = await api.get(`${leases}?limit=1&continue=${next}&resourceVersion=1`);
  assert.equal(withRv.status, 400);
  assert.equal(withRv.body.message, "specifying resource version is not allowed when using continue");
  assert.equal((await api.get(`${leases}?limit=1&continue=${next}&resourceVersion=0`)).status, 200);
  const forbidden =
    'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden';
  const withMatch = await api.get(
    `${leases}?limit=1&continue=${next}&resourceVersion=1&resourceVersionMatch=NotOlderThan`,
  );
  assert.equal(withMatch.status, 422);
  assert.equal(withMatch.body.reason, "Invalid");
  assert.equal(withMatch.body.message, `${forbidden} when continue is provided`);
  const withoutRv = await api.get(`${leases}?resourceVersionMatch=Exact`);
  assert.equal(withoutRv.status, 422);
  assert.equal(withoutRv.body.message, `${forbidden} unless resourceVersion is provided`);
  const both = await api.get(`${leases}?limit=1&continue=${next}&resourceVersionMatch=Exact`);
  assert.equal(both.status, 422);
  assert.equal((both.body.details as { causes: unknown[] }).causes.length, 2, both.text);
});

test("a watch from a resourceVersion still to come waits for it, and sends only later changes (cacher/watch_cache.go getAllEventsSinceLocked, cache_watcher.go processInterval)", {
  timeout: 10_000,
}, async () => {
  const future = (await currentRv()) + 2;
  const stream = await api.watch(`${leases}?watch=1&resourceVersion=${future}`);
  for (let i = 0; i < 3; i++) await api.patch(`${leases}/one`, { metadata: { labels: { step: String(i) } } });
  const first = await stream.next();
  assert.equal(first.type, "MODIFIED", JSON.stringify(first.object));
  const meta = first.object.metadata as { resourceVersion: string; labels: Record<string, string> };
  assert.equal(Number(meta.resourceVersion), future + 1);
  assert.equal(meta.labels.step, "2");
  stream.close();
});

test("a watch with initial events at a resourceVersion still to come waits for it, then ends with a 504 ERROR event (cacher.go waitUntilWatchCacheFreshAndForceAllEvents, newErrWatcher)", {
  timeout: 20_000,
}, async () => {
  const next = (await currentRv()) + 1;
  const query = "watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan";
  const waiting = await api.watch(`${leases}?${query}&resourceVersion=${next}`);
  await api.patch(`${leases}/two`, { metadata: { labels: { initial: "waited" } } });
  const seen: { type: string; object: Record<string, unknown> }[] = [];
  for (let event = await waiting.next(); event.type !== "BOOKMARK"; event = await waiting.next())
    seen.push(event);
  const two = seen.find((e) => nameOf(e) === "two");
  assert.ok(two, "the initial events list every lease");
  assert.equal((two.object.metadata as { labels: Record<string, string> }).labels.initial, "waited");
  waiting.close();

  const far = (await currentRv()) + 1000;
  const stream = await api.watch(`${leases}?${query}&resourceVersion=${far}`);
  const error = await stream.next();
  assert.equal(error.type, "ERROR");
  assert.equal(error.object.code, 504);
  assert.equal(error.object.reason, "Timeout");
  assert.match(
    String(error.object.message),
    new RegExp(`^Timeout: Too large resource version: ${far}, current: \\d+$`),
  );
  await stream.ended;
});

test("a negative timeoutSeconds ends a watch at once, as kube-apiserver's expired watch timer does (handlers/get.go ListResource, handlers/watch.go serveWatch)", {
  timeout: 10_000,
}, async () => {
  const stream = await api.watch(`${leases}?watch=1&timeoutSeconds=-1`);
  await stream.ended;
});

test("a watch of one object whose field selector asks for another name is 400 (handlers/get.go ListResource, fields RequiresExactMatch)", {
  timeout: 10_000,
}, async () => {
  const one = "/apis/coordination.k8s.io/v1/watch/namespaces/default/leases/one";
  for (const selector of ["metadata.name%3Dtwo", "metadata.name!%3Done", "metadata.namespace%3Ddefault"]) {
    const reply = await api.get(`${one}?fieldSelector=${selector}`);
    assert.equal(reply.status, 400, selector);
    assert.equal(reply.body.message, "fieldSelector metadata.name doesn't match requested name", selector);
  }
  const stream = await api.watch(`${one}?fieldSelector=metadata.namespace%3Ddefault,metadata.name%3D%3Done`);
  const first = await stream.next();
  assert.equal(nameOf(first), "one");
  stream.close();
});

test("a JSON patch that does not apply is 422 Invalid with kube's generic message and empty details (handlers/patch.go applyJSPatch, errors.go NewGenericServerResponse)", async () => {
  const patch = (ops: unknown) =>
    api.send("PATCH", `${leases}/one`, { body: ops, contentType: "application/json-patch+json" });
  const failedTest = await patch([{ op: "test", path: "/spec/holderIdentity", value: "nobody" }]);
  const missingPath = await patch([{ op: "replace", path: "/spec/nothing/here", value: 1 }]);
  const removeMissing = await patch([{ op: "remove", path: "/metadata/labels/absent" }]);
  for (const reply of [failedTest, missingPath, removeMissing]) {
    assert.equal(reply.status, 422, reply.text);
    assert.deepEqual(reply.body, {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: "the server rejected our request due to an error in our request",
      reason: "Invalid",
      details: {},
      code: 422,
    });
  }
  const undecodable = await patch({ op: "add" });
  assert.equal(undecodable.status, 400, "a patch that is not a list of operations does not decode");
});

/** A CRD as Calico v3.32 publishes its own: apiVersion, kind, metadata and spec required at the top. */
const gauges = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "gauges.fidelity.example.com" },
  spec: {
    group: "fidelity.example.com",
    scope: "Namespaced",
    names: { plural: "gauges", singular: "gauge", kind: "Gauge", listKind: "GaugeList" },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: "object",
            required: ["apiVersion", "kind", "metadata", "spec"],
            properties: {
              apiVersion: { type: "string" },
              kind: { type: "string" },
              metadata: { type: "object", properties: { name: { type: "string", maxLength: 12 } } },
              spec: { type: "object", properties: { count: { type: "integer" } } },
            },
          },
        },
      },
    ],
  },
};
const gaugesPath = "/apis/fidelity.example.com/v1/namespaces/default/gauges";

function gauge(name: string, spec?: unknown): Record<string, unknown> {
  return {
    apiVersion: "fidelity.example.com/v1",
    kind: "Gauge",
    metadata: { name },
    ...(spec ? { spec } : {}),
  };
}

test("a CRD schema that requires metadata at the top accepts well-formed objects (apiextensions-apiserver customresource/validator.go validates the whole object)", async () => {
  const created = await api.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", gauges);
  assert.equal(created.status, 201, created.text);
  const ok = await api.post(gaugesPath, gauge("g-1", { count: 1 }));
  assert.equal(ok.status, 201, ok.text);
  const noSpec = await api.post(gaugesPath, gauge("g-2"));
  assert.equal(noSpec.status, 422);
  assert.match(
    String(noSpec.body.message),
    /^Gauge.fidelity.example.com "g-2" is invalid: \[spec: Required value, /,
  );
  // The schema's restriction on metadata.name still applies.
  const longName = await api.post(gaugesPath, gauge("g-name-too-long", { count: 1 }));
  assert.equal(longName.status, 422, longName.text);
  assert.match(String(longName.body.message), /metadata\.name: Too long/);
});

test("a patch of a built-in kind without a patch Content-Type is go-restful's 415; a custom resource's names the accepted types (server/handler.go serviceErrorHandler, handlers/patch.go PatchResource)", async () => {
  for (const contentType of ["text/plain", "application/json"]) {
    const reply = await api.send("PATCH", `${leases}/one`, { body: { spec: {} }, contentType });
    assert.equal(reply.status, 415, contentType);
    assert.equal(reply.body.reason, "UnsupportedMediaType");
    assert.equal(reply.body.message, "415: Unsupported Media Type");
    assert.deepEqual(reply.body.details, {});
  }
  const custom = await api.send("PATCH", `${gaugesPath}/g-1`, {
    body: { spec: {} },
    contentType: "text/plain",
  });
  assert.equal(custom.status, 415);
  assert.match(String(custom.body.message), /accepted media types include: application\/json-patch\+json/);
});

/** Gauges without required fields, with a printer column and a CEL rule over the counted integer. */
const counters = {
  ...gauges,
  metadata: { name: "counters.fidelity.example.com" },
  spec: {
    ...gauges.spec,
    names: { plural: "counters", singular: "counter", kind: "Counter", listKind: "CounterList" },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        additionalPrinterColumns: [
          { name: "Count", type: "integer", jsonPath: ".spec.count" },
          { name: "Extra", type: "string", jsonPath: ".spec.extra" },
        ],
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              spec: {
                type: "object",
                "x-kubernetes-validations": [
                  { rule: "self.count > 9007199254740993", message: "count too small" },
                ],
                properties: {
                  count: { type: "integer" },
                  ratio: { type: "number" },
                  extra: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
                },
              },
            },
          },
        },
      },
    ],
  },
};
const countersPath = "/apis/fidelity.example.com/v1/namespaces/default/counters";

test("int64 integers past 2^53 stay exact through create, patch, get, list, watch, tables and CEL (apimachinery/pkg/util/json: integers decode as int64)", {
  timeout: 10_000,
}, async () => {
  const crd = await api.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", counters);
  assert.equal(crd.status, 201, crd.text);
  // Calico's IPAM block sequenceNumber, for one.
  const big = "1764493800123456793";
  const bigger = `${big.slice(0, -1)}9`;
  const text = `{"apiVersion":"fidelity.example.com/v1","kind":"Counter","metadata":{"name":"g-big"},"spec":{"count":${big},"ratio":${big},"extra":{"nested":[${big},-9223372036854775808]}}}`;
  const created = await api.post(countersPath, text);
  assert.equal(created.status, 201, created.text);
  assert.match(created.text, new RegExp(`"count":${big}[,}]`));
  const got = await api.get(`${countersPath}/g-big`);
  assert.match(got.text, new RegExp(`"count":${big}[,}]`));
  assert.match(got.text, new RegExp(`"nested":\\[${big},-9223372036854775808\\]`));
  // The decoder does not know the schema: an integer in a field of type number stays int64 too.
  assert.match(got.text, new RegExp(`"ratio":${big}[,}]`));
  const table = await api.get(`${countersPath}/g-big`, {
    accept: "application/json;as=Table;v=v1;g=meta.k8s.io",
  });
  assert.equal(table.status, 200, table.text);
  assert.match(
    table.text,
    new RegExp(`"cells":\\["g-big",${big},"\\{\\\\"nested\\\\":\\[${big},-9223372036854775808\\]\\}"`),
  );
  const tooSmall = await api.post(
    countersPath,
    '{"apiVersion":"fidelity.example.com/v1","kind":"Counter","metadata":{"name":"g-small"},"spec":{"count":9007199254740993}}',
  );
  assert.equal(tooSmall.status, 422, "CEL compares the exact value: 2^53 + 1 is not past itself");
  assert.match(String(tooSmall.body.message), /count too small/);
  const stream = await api.watch(`${countersPath}?watch=1&fieldSelector=metadata.name%3Dg-big`);
  await stream.next();
  const patched = await api.send("PATCH", `${countersPath}/g-big`, {
    body: `{"spec":{"count":${bigger}}}`,
    contentType: "application/merge-patch+json",
  });
  assert.equal(patched.status, 200, patched.text);
  assert.match(patched.text, new RegExp(`"count":${bigger}[,}]`));
  const modified = await stream.next();
  assert.equal(modified.type, "MODIFIED");
  assert.match(modified.line, new RegExp(`"count":${bigger}[,}]`));
  stream.close();
  const listed = await api.get(countersPath);
  assert.match(listed.text, new RegExp(`"count":${bigger}[,}]`));
  const jsonPatch = await api.send("PATCH", `${countersPath}/g-big`, {
    body: `[{"op":"test","path":"/spec/count","value":${bigger}}]`,
    contentType: "application/json-patch+json",
  });
  assert.equal(jsonPatch.status, 200, "a test op compares the exact value");
  const applied = await api.send("PATCH", `${countersPath}/g-yaml?fieldManager=test`, {
    body: `apiVersion: fidelity.example.com/v1\nkind: Counter\nmetadata:\n  name: g-yaml\nspec:\n  count: ${big}\n  ratio: 1\n`,
    contentType: "application/apply-patch+yaml",
  });
  assert.equal(applied.status, 201, applied.text);
  assert.match(applied.text, new RegExp(`"count":${big},"ratio":1[,}]`), "YAML integers too");
});
