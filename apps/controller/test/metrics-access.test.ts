// Who may read /metrics (metrics-access.ts), asked of the embedded API server's TokenReview and
// SubjectAccessReview over a real socket; the server's request counters tell how many reviews
// each decision cost, and a clock of the test's tells the caches' time
// (controller-runtime's pkg/metrics/filters/filters.go: token 1 min, allowed 5 min, denied 30 s).
import assert from "node:assert/strict";
import { after, before, beforeEach, it } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { type ApiServer, startApiServer } from "@lbipam/apiserver";
import { bearerToken, MetricsAccess, REVIEW_TTL_MS } from "../src/controller/metrics-access.js";
import { RestClient } from "../src/controller/rest-client.js";

const READ_METRICS = [{ nonResourceURLs: ["/metrics"], verbs: ["get"] }];
const reader = (name: string) => ({ token: `${name}-token`, username: name, rules: READ_METRICS });

let server: ApiServer;
let rest: RestClient;
let now = 0;
const clock = () => now;

before(async () => {
  server = await startApiServer({
    port: 0,
    users: [reader("alice"), reader("bob"), reader("carol"), { token: "nobody-token", username: "nobody" }],
  });
  const kubeconfig = new KubeConfig();
  kubeconfig.loadFromString(server.kubeconfig());
  rest = new RestClient(kubeconfig, 4);
});
after(async () => {
  rest.close();
  await server.stop();
});
beforeEach(() => {
  server.counters.reset();
  server.faults.clear();
  now = 0;
});

/** Reviews made since the counters were reset. */
const reviews = () => ({
  tokens: server.counters.total({ verb: "create", resource: "tokenreviews" }),
  access: server.counters.total({ verb: "create", resource: "subjectaccessreviews" }),
});

it("reads the bearer token of an Authorization header as kube's bearertoken.go does", () => {
  const cases: [string | undefined, string | undefined][] = [
    ["Bearer abc", "abc"],
    ["bearer abc", "abc"],
    ["  Bearer abc  ", "abc"],
    ["Bearer", undefined],
    ["Bearer  abc", undefined],
    ["Basic YWxpY2U6cHc=", undefined],
    ["", undefined],
    [undefined, undefined],
  ];
  for (const [header, token] of cases) assert.equal(bearerToken(header), token, String(header));
});

it("answers 401 without a token or with one the API rejects, 403 when not allowed, 200 when allowed", async () => {
  const access = new MetricsAccess(rest, { now: clock });
  assert.deepEqual(await access.decide(undefined, "get", "/metrics"), {
    code: 401,
    reason: "no bearer token",
  });
  assert.deepEqual(await access.decide("Basic YWxpY2U6cHc=", "get", "/metrics"), {
    code: 401,
    reason: "no bearer token",
  });
  assert.deepEqual(reviews(), { tokens: 0, access: 0 }, "no review without a bearer token");
  assert.deepEqual(await access.decide("Bearer forged", "get", "/metrics"), {
    code: 401,
    reason: "invalid bearer token",
  });
  assert.deepEqual(reviews(), { tokens: 1, access: 0 }, "a rejected token is not authorized");
  const denied = await access.decide("Bearer nobody-token", "get", "/metrics");
  assert.equal(denied.code, 403);
  assert.match(denied.code === 403 ? `${denied.user}: ${denied.reason}` : "", /^nobody: no rule/);
  assert.deepEqual(await access.decide("Bearer alice-token", "get", "/metrics"), {
    code: 200,
    user: "alice",
  });
  assert.equal((await access.decide("Bearer alice-token", "post", "/metrics")).code, 403, "get only");
  assert.equal((await access.decide("Bearer alice-token", "get", "/debug")).code, 403, "/metrics only");
});

it("keeps a token's review a minute, an allowed decision five and a denied one 30 s", async () => {
  const access = new MetricsAccess(rest, { now: clock });
  const steps: [number, string, { tokens: number; access: number }][] = [
    [0, "alice-token", { tokens: 1, access: 1 }],
    [0, "nobody-token", { tokens: 2, access: 2 }],
    [REVIEW_TTL_MS.denied - 1, "nobody-token", { tokens: 2, access: 2 }],
    [REVIEW_TTL_MS.denied + 1, "nobody-token", { tokens: 2, access: 3 }],
    [REVIEW_TTL_MS.token - 1, "alice-token", { tokens: 2, access: 3 }],
    [REVIEW_TTL_MS.token + 1, "alice-token", { tokens: 3, access: 3 }],
    [REVIEW_TTL_MS.allowed - 1, "alice-token", { tokens: 4, access: 3 }],
    [REVIEW_TTL_MS.allowed + 1, "alice-token", { tokens: 4, access: 4 }],
  ];
  for (const [at, token, expected] of steps) {
    now = at;
    await access.decide(`Bearer ${token}`, "get", "/metrics");
    assert.deepEqual(reviews(), expected, `${token} at ${at} ms`);
  }
});

it("costs one review of each kind for a burst of scrapes, concurrent or not", async () => {
  const access = new MetricsAccess(rest, { now: clock });
  const burst = Array.from({ length: 50 }, () => access.decide("Bearer bob-token", "get", "/metrics"));
  for (const decision of await Promise.all(burst)) assert.equal(decision.code, 200);
  for (let i = 0; i < 20; i++) await access.decide("Bearer bob-token", "get", "/metrics");
  for (let i = 0; i < 20; i++) await access.decide("Bearer forged", "get", "/metrics");
  assert.deepEqual(reviews(), { tokens: 2, access: 1 });
});

it("keeps at most maxEntries answers: the least recently used is reviewed again", async () => {
  const access = new MetricsAccess(rest, { now: clock, maxEntries: 2 });
  for (const name of ["alice", "bob", "alice", "carol", "alice", "bob"]) {
    await access.decide(`Bearer ${name}-token`, "get", "/metrics");
  }
  // alice, bob; alice kept; carol evicts bob; alice kept; bob evicts carol.
  assert.deepEqual(reviews(), { tokens: 4, access: 4 });
});

it("answers 500 when a review fails, keeps nothing of it, and the next request is reviewed again", async () => {
  const observed: string[] = [];
  const access = new MetricsAccess(rest, {
    now: clock,
    observe: (verb, resource, code) => observed.push(`${verb} ${resource} ${code}`),
  });
  for (const resource of ["tokenreviews", "subjectaccessreviews"]) {
    server.faults.failNext({ verb: "create", resource, code: 500, count: 1 });
    const failed = await access.decide("Bearer carol-token", "get", "/metrics");
    assert.equal(failed.code, 500, resource);
    assert.match(
      failed.code === 500 ? failed.error.message : "",
      new RegExp(`^create ${resource} failed with 500`),
    );
  }
  assert.deepEqual(await access.decide("Bearer carol-token", "get", "/metrics"), {
    code: 200,
    user: "carol",
  });
  assert.deepEqual(observed, [
    "create tokenreviews 500",
    "create tokenreviews 201",
    "create subjectaccessreviews 500",
    "create subjectaccessreviews 201",
  ]);
});

it("answers 500, with code 0, when the API server does not answer at all", async () => {
  const gone = await startApiServer({ port: 0 });
  const kubeconfig = new KubeConfig();
  kubeconfig.loadFromString(gone.kubeconfig());
  await gone.stop();
  const unreachable = new RestClient(kubeconfig, 1, 2000);
  try {
    const decision = await new MetricsAccess(unreachable).decide("Bearer alice-token", "get", "/metrics");
    assert.equal(decision.code, 500);
    assert.equal(decision.code === 500 ? decision.error.status : -1, 0);
  } finally {
    unreachable.close();
  }
});
