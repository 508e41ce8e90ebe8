import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  AccessDeniedError,
  CrdsMissingError,
  InputError,
  KubeconfigError,
  NotFoundError,
  PluginError,
  RequestFailedError,
  UsageError,
} from "../src/errors.js";

describe("errors", () => {
  const cases: [PluginError, string, number, RegExp][] = [
    [new UsageError("bad flag"), "USAGE", 2, /^bad flag$/],
    [new CrdsMissingError("no ippools"), "CRDS_MISSING", 1, /^the lbipam CRDs are not installed: no ippools/],
    [
      new AccessDeniedError(401, "listing x", "Unauthorized"),
      "ACCESS_DENIED",
      1,
      /^access denied \(401 Unauthorized\) listing x/,
    ],
    [
      new AccessDeniedError(403, "listing x", "forbidden"),
      "ACCESS_DENIED",
      1,
      /^access denied \(403 Forbidden\)/,
    ],
    [
      new RequestFailedError(500, "listing x", "boom"),
      "REQUEST_FAILED",
      1,
      /^listing x failed \(500\): boom$/,
    ],
    [new RequestFailedError(0, "listing x", "refused"), "REQUEST_FAILED", 1, /^listing x failed: refused$/],
    [new NotFoundError('services "a"'), "NOT_FOUND", 1, /^services "a" not found$/],
    [new InputError("bad file"), "INPUT", 1, /^bad file$/],
    [new KubeconfigError("no context"), "KUBECONFIG", 1, /^no context$/],
  ];
  for (const [error, code, exitCode, message] of cases) {
    it(`${error.name}: ${code}, exit ${exitCode}`, () => {
      assert.ok(error instanceof PluginError);
      assert.equal(error.code, code);
      assert.equal(error.exitCode, exitCode);
      assert.equal(error.name, error.constructor.name);
      assert.match(error.message, message);
    });
  }
});
