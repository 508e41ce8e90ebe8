// Clients nobody on the project wrote, as Debian ships them: the official Python client
// (python3-kubernetes, sends watch=True) and kubeclient (ruby-kubeclient, watches through the
// /watch/ prefix). Each script under test/clients drives the server over its socket with a
// kubeconfig and prints what it saw as JSON.
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { suiteServer } from "./helpers/suite-server.js";

const crdDirectory = fileURLToPath(new URL("../../../../deploy/crds/", import.meta.url));
const script = (name: string) => fileURLToPath(new URL(`../../test/clients/${name}`, import.meta.url));

// The system interpreters, where Debian installs the clients (a pyenv python3 on PATH has none).
const python = "/usr/bin/python3";
const ruby = "/usr/bin/ruby";

/** Why `interpreter` cannot load the client of `debianPackage` (undefined when it can). */
function missing(interpreter: string, load: string[], debianPackage: string): string | undefined {
  try {
    execFileSync(interpreter, load, { stdio: "ignore", timeout: 30_000 });
    return undefined;
  } catch {
    return `${interpreter} cannot load the client: Debian package ${debianPackage} is not installed`;
  }
}

const suite = suiteServer("lbipam-clients-", { crdDirectory });

/** Runs a client script after creating a Service its list must show. */
async function run(interpreter: string, file: string, prefix: string): Promise<Record<string, unknown>> {
  const listed = await suite.api.post("/api/v1/namespaces/default/services", {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: `${prefix}-listed` },
    spec: { ports: [{ port: 80 }] },
  });
  assert.equal(listed.status, 201, listed.text);
  return new Promise((resolve, reject) => {
    execFile(interpreter, [script(file), suite.kubeconfig], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} failed: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Record<string, unknown>);
    });
  });
}

/** What both clients must have seen of their own objects, named with `prefix`. */
function assertSeen(seen: Record<string, unknown>, prefix: string, ip: string): void {
  assert.ok((seen.listed as string[]).includes(`${prefix}-listed`), "the list shows the Service");
  assert.deepEqual(seen.patchedLabels, { patched: "strategic" }, "strategic merge patch");
  assert.deepEqual(seen.patchedAnnotations, { patched: "merge" }, "merge patch");
  assert.deepEqual(seen.statusIngress, [ip], "status written and read through /status");
  const web = `${prefix}-web`;
  assert.deepEqual(
    seen.watched,
    [
      ["ADDED", web],
      ["MODIFIED", web],
      ["MODIFIED", web],
      ["MODIFIED", web],
      ["DELETED", web],
    ],
    "the watch from the list's resourceVersion: created, two patches, the status write, deleted",
  );
  assert.deepEqual((seen.pools as string[]).includes(`${prefix}-pool`), true);
  assert.equal(seen.poolDisabled, true);
  assert.deepEqual(seen.poolWatched, [
    ["ADDED", `${prefix}-pool`],
    ["MODIFIED", `${prefix}-pool`],
  ]);
}

test("the official Python client (python3-kubernetes): lists, watch=True from a resourceVersion, patches, status, custom objects and ApiException statuses", {
  timeout: 90_000,
}, async (t) => {
  const reason = missing(python, ["-c", "import kubernetes"], "python3-kubernetes");
  if (reason) return t.skip(reason);
  const seen = await run(python, "python_client.py", "py");
  assertSeen(seen, "py", "192.0.2.10");
  assert.deepEqual(seen.notFound, { status: 404, reason: "NotFound" });
  assert.deepEqual(seen.conflict, { status: 409, reason: "AlreadyExists" });
  assert.deepEqual(seen.invalid, { status: 422, reason: "Invalid" });
  assert.deepEqual(seen.poolInvalid, { status: 422, reason: "Invalid" });
  assert.deepEqual(seen.poolNotFound, { status: 404, reason: "NotFound" });
});

test("kubeclient (ruby-kubeclient): lists, /watch/ paths for a collection and one name, patches, status, custom resources and its error classes", {
  timeout: 90_000,
}, async (t) => {
  const reason = missing(ruby, ["-e", "require 'kubeclient'"], "ruby-kubeclient");
  if (reason) return t.skip(reason);
  const seen = await run(ruby, "ruby_client.rb", "rb");
  assertSeen(seen, "rb", "192.0.2.20");
  assert.deepEqual(seen.watchedByName, seen.watched, "the named watch sees the same object's events");
  const notFound = { class: "Kubeclient::ResourceNotFoundError", status: 404 };
  assert.deepEqual(seen.notFound, notFound);
  assert.deepEqual(seen.conflict, { class: "Kubeclient::HttpError", status: 409 });
  assert.deepEqual(seen.invalid, { class: "Kubeclient::HttpError", status: 422 });
  assert.deepEqual(seen.poolInvalid, { class: "Kubeclient::HttpError", status: 422 });
  assert.deepEqual(seen.poolNotFound, notFound);
});
