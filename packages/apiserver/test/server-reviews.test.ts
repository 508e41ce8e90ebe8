// TokenReview and SubjectAccessReview as kube-apiserver answers them
// (pkg/registry/authentication/tokenreview/storage.go, pkg/registry/authorization/subjectaccessreview/rest.go):
// create only, cluster-scoped, nothing stored; who is who is the AccessPolicy of access.ts.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ADMIN_USERNAME, type ApiServer, PRIVILEGED_GROUP, startApiServer } from "../src/index.js";
import { ApiClient } from "./helpers/api-client.js";
import { findKubectl, runKubectl } from "./helpers/kubectl.js";

const TOKEN_REVIEWS = "/apis/authentication.k8s.io/v1/tokenreviews";
const ACCESS_REVIEWS = "/apis/authorization.k8s.io/v1/subjectaccessreviews";

let server: ApiServer;
let api: ApiClient;

before(async () => {
  server = await startApiServer({
    users: [
      {
        token: "scraper-token",
        username: "system:serviceaccount:monitoring:prometheus",
        uid: "uid-1",
        groups: ["system:serviceaccounts"],
        rules: [
          { nonResourceURLs: ["/metrics"], verbs: ["get"] },
          { nonResourceURLs: ["/debug/*"], verbs: ["*"] },
          { apiGroups: [""], resources: ["services/status"], resourceNames: ["web"], verbs: ["patch"] },
          { apiGroups: ["coordination.k8s.io"], resources: ["*/status"], verbs: ["get"] },
        ],
      },
      { token: "nobody-token", username: "nobody" },
    ],
  });
  api = new ApiClient(server);
});

after(async () => {
  api.close();
  await server.stop();
});

const tokenReview = (token: unknown) => ({
  apiVersion: "authentication.k8s.io/v1",
  kind: "TokenReview",
  spec: { token },
});

const accessReview = (spec: Record<string, unknown>) => ({
  apiVersion: "authorization.k8s.io/v1",
  kind: "SubjectAccessReview",
  spec,
});

async function allowed(spec: Record<string, unknown>): Promise<boolean> {
  const reply = await api.post(ACCESS_REVIEWS, accessReview(spec));
  assert.equal(reply.status, 201, reply.text);
  return (reply.body.status as { allowed: boolean }).allowed;
}

test("a TokenReview of the server's own token is the admin, in system:masters", async () => {
  const reply = await api.post(TOKEN_REVIEWS, tokenReview(server.token));
  assert.equal(reply.status, 201, reply.text);
  assert.equal(reply.body.kind, "TokenReview");
  assert.deepEqual(reply.body.status, {
    authenticated: true,
    user: { username: ADMIN_USERNAME, groups: [PRIVILEGED_GROUP, "system:authenticated"] },
  });
});

test("a configured token is its user, with system:authenticated added to its groups", async () => {
  const reply = await api.post(TOKEN_REVIEWS, tokenReview("scraper-token"));
  assert.deepEqual(reply.body.status, {
    authenticated: true,
    user: {
      username: "system:serviceaccount:monitoring:prometheus",
      uid: "uid-1",
      groups: ["system:serviceaccounts", "system:authenticated"],
    },
  });
  assert.deepEqual(reply.body.spec, { token: "scraper-token" });
});

test("an unknown token is not authenticated: no `authenticated`, an empty user and an error", async () => {
  const reply = await api.post(TOKEN_REVIEWS, tokenReview("who-knows"));
  assert.equal(reply.status, 201);
  assert.deepEqual(reply.body.status, { user: {}, error: "invalid bearer token" });
});

test("a TokenReview without a token is 400, with kube-apiserver's message", async () => {
  for (const body of [tokenReview(""), { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview" }]) {
    const reply = await api.post(TOKEN_REVIEWS, body);
    assert.equal(reply.status, 400);
    assert.equal(reply.body.message, "token is required for TokenReview in authentication");
  }
  assert.equal((await api.post(TOKEN_REVIEWS, tokenReview(7))).status, 400);
});

test("a SubjectAccessReview applies the user's RBAC rules: non-resource URLs, verbs, wildcards", async () => {
  const prometheus = "system:serviceaccount:monitoring:prometheus";
  const nonResource = (user: string, verb: string, path: string) =>
    allowed({ user, nonResourceAttributes: { verb, path } });
  assert.equal(await nonResource(prometheus, "get", "/metrics"), true);
  assert.equal(await nonResource(prometheus, "post", "/metrics"), false, "only the rule's verb");
  assert.equal(await nonResource(prometheus, "get", "/metrics/extra"), false, "no prefix without a *");
  assert.equal(await nonResource(prometheus, "get", "/healthz"), false);
  assert.equal(await nonResource(prometheus, "delete", "/debug/pprof"), true, "/debug/* with verb *");
  assert.equal(await nonResource("nobody", "get", "/metrics"), false, "a user without rules");
  assert.equal(await nonResource("stranger", "get", "/metrics"), false, "a user nobody configured");
  const reply = await api.post(
    ACCESS_REVIEWS,
    accessReview({ user: "nobody", nonResourceAttributes: { verb: "get", path: "/metrics" } }),
  );
  assert.deepEqual(reply.body.status, {
    allowed: false,
    reason: 'no rule of user "nobody" allows get /metrics',
  });
});

test("a SubjectAccessReview of resources matches group, resource/subresource, */subresource and names", async () => {
  const prometheus = "system:serviceaccount:monitoring:prometheus";
  const resource = (attributes: Record<string, string>) =>
    allowed({ user: prometheus, resourceAttributes: attributes });
  assert.equal(
    await resource({ verb: "patch", group: "", resource: "services", subresource: "status", name: "web" }),
    true,
  );
  assert.equal(
    await resource({ verb: "patch", group: "", resource: "services", subresource: "status", name: "db" }),
    false,
    "another name",
  );
  assert.equal(await resource({ verb: "patch", group: "", resource: "services", name: "web" }), false);
  assert.equal(
    await resource({ verb: "get", group: "coordination.k8s.io", resource: "leases", subresource: "status" }),
    true,
    "*/status",
  );
  assert.equal(await resource({ verb: "get", group: "coordination.k8s.io", resource: "leases" }), false);
});

test("system:masters is allowed anything, whoever the user", async () => {
  assert.equal(
    await allowed({
      user: "anyone",
      groups: [PRIVILEGED_GROUP],
      resourceAttributes: { verb: "delete", resource: "namespaces" },
    }),
    true,
  );
});

test("a SubjectAccessReview needs exactly one kind of attributes and a user or group: 422", async () => {
  const reply = await api.post(ACCESS_REVIEWS, accessReview({}));
  assert.equal(reply.status, 422);
  assert.equal(
    reply.body.message,
    'SubjectAccessReview.authorization.k8s.io "" is invalid: [spec: Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified, spec.user: Invalid value: "": at least one of user or group must be specified]',
  );
  const both = await api.post(
    ACCESS_REVIEWS,
    accessReview({ user: "nobody", resourceAttributes: {}, nonResourceAttributes: {} }),
  );
  assert.equal(both.status, 422);
});

test("reviews are create only, cluster-scoped and discovered with the verb create", async () => {
  assert.equal((await api.get(TOKEN_REVIEWS)).status, 405);
  assert.equal((await api.get(`${ACCESS_REVIEWS}/anything`)).status, 405);
  assert.equal((await api.delete(`${TOKEN_REVIEWS}/anything`)).status, 405);
  assert.equal(
    (await api.post("/apis/authentication.k8s.io/v1/namespaces/default/tokenreviews", tokenReview("x")))
      .status,
    404,
  );
  const discovered = await api.get("/apis/authentication.k8s.io/v1");
  assert.deepEqual(
    (discovered.body.resources as { name: string; namespaced: boolean; verbs: string[] }[]).map((r) => [
      r.name,
      r.namespaced,
      r.verbs,
    ]),
    [["tokenreviews", false, ["create"]]],
  );
});

test("reviews are counted and take injected faults like any request", async () => {
  server.counters.reset();
  server.faults.failNext({ verb: "create", resource: "tokenreviews", code: 500, count: 1 });
  assert.equal((await api.post(TOKEN_REVIEWS, tokenReview(server.token))).status, 500);
  assert.equal((await api.post(TOKEN_REVIEWS, tokenReview(server.token))).status, 201);
  assert.equal(server.counters.total({ verb: "create", resource: "tokenreviews", code: 500 }), 1);
  assert.equal(server.counters.total({ verb: "create", resource: "tokenreviews", code: 201 }), 1);
});

test("the API itself still takes only the server's token: the other users exist for the reviews", async () => {
  assert.equal((await api.get("/api/v1/namespaces", { token: "scraper-token" })).status, 401);
});

test("users with a bad or repeated token, or a taken name, are refused at start", async () => {
  await assert.rejects(
    startApiServer({ users: [{ token: "has space", username: "a" }] }),
    /users\[0\]\.token/,
  );
  await assert.rejects(
    startApiServer({
      token: "same",
      users: [{ token: "same", username: "a" }],
    }),
    /users\[0\]\.token/,
  );
  await assert.rejects(
    startApiServer({ users: [{ token: "t", username: ADMIN_USERNAME }] }),
    /users\[0\]\.username/,
  );
});

const install = findKubectl();
test("kubectl creates a TokenReview and prints the answer", {
  skip: !install && "no kubectl on PATH",
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "lbipam-reviews-"));
  try {
    const kubeconfig = join(dir, "kubeconfig");
    server.writeKubeconfig(kubeconfig);
    const result = await runKubectl(
      install!.kubectl,
      kubeconfig,
      join(dir, "cache"),
      ["create", "-f", "-", "-o", "jsonpath={.status.user.username}"],
      JSON.stringify(tokenReview("scraper-token")),
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "system:serviceaccount:monitoring:prometheus");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
