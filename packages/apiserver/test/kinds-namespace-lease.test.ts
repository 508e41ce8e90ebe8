import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  finalizeNamespace,
  markNamespaceTerminating,
  namespaceCanBeRemoved,
  prepareNamespaceCreate,
  prepareNamespaceUpdate,
  validateLease,
  validateNamespace,
  validateNamespaceFinalize,
  validateNamespaceStatusUpdate,
} from "../src/kinds/index.js";
import { causeText } from "../src/validation/index.js";

describe("Namespace", () => {
  it("gets the kubernetes finalizer, Active phase and name label on create", () => {
    const created = prepareNamespaceCreate({
      metadata: { name: "team-a", labels: { a: "b" } },
      status: { phase: "Terminating" },
    });
    assert.deepEqual(created.spec, { finalizers: ["kubernetes"] });
    assert.deepEqual(created.status, { phase: "Active" });
    assert.deepEqual(created.metadata?.labels, { a: "b", "kubernetes.io/metadata.name": "team-a" });
    assert.deepEqual(validateNamespace(created), []);
  });

  it("keeps spec and status on update and restores the name label", () => {
    const stored = prepareNamespaceCreate({ metadata: { name: "team-a" } });
    const next = prepareNamespaceUpdate(
      {
        metadata: { name: "team-a", labels: {} },
        spec: { finalizers: [] },
        status: { phase: "Terminating" },
      },
      stored,
    );
    assert.deepEqual(next.spec, { finalizers: ["kubernetes"] });
    assert.deepEqual(next.status, { phase: "Active" });
    assert.equal(next.metadata?.labels?.["kubernetes.io/metadata.name"], "team-a");
  });

  it("terminates, finalizes and then may be removed", () => {
    const stored = prepareNamespaceCreate({ metadata: { name: "gone", resourceVersion: "3" } });
    const terminating = markNamespaceTerminating(stored, new Date("2026-01-01T00:00:00.500Z"));
    assert.equal(terminating.metadata?.deletionTimestamp, "2026-01-01T00:00:00Z");
    assert.equal(terminating.status?.phase, "Terminating");
    assert.equal(namespaceCanBeRemoved(terminating), false);
    assert.equal(namespaceCanBeRemoved(finalizeNamespace(terminating)), true);
    assert.deepEqual(validateNamespaceStatusUpdate(terminating, terminating), []);
    assert.deepEqual(
      validateNamespaceStatusUpdate({ ...terminating, status: { phase: "Active" } }, terminating).map(
        causeText,
      ),
      [
        "status.Phase: Invalid value: \"Active\": may only be 'Terminating' if `deletionTimestamp` is not empty",
      ],
    );
  });

  it("validates names and finalizers with kube's messages", () => {
    assert.match(
      causeText(validateNamespace({ metadata: { name: "a.b" } })[0]!),
      /^metadata\.name: Invalid value: "a\.b": a lowercase RFC 1123 label/,
    );
    const stored = prepareNamespaceCreate({ metadata: { name: "x", resourceVersion: "1" } });
    assert.deepEqual(
      validateNamespaceFinalize({ ...stored, spec: { finalizers: ["custom"] } }, stored).map(causeText),
      [
        'spec.finalizers[0]: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified',
      ],
    );
  });
});

describe("Lease", () => {
  it("validates the spec", () => {
    const lease = {
      metadata: { name: "lbipam", namespace: "kube-system" },
      spec: { holderIdentity: "a", leaseDurationSeconds: 15 },
    };
    assert.deepEqual(validateLease(lease), []);
    assert.deepEqual(
      validateLease({
        ...lease,
        spec: { leaseDurationSeconds: 0, leaseTransitions: -1, preferredHolder: "b" },
      }).map(causeText),
      [
        "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0",
        "spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0",
        "spec.preferredHolder: Forbidden: may only be specified if `strategy` is defined",
      ],
    );
    assert.deepEqual(validateLease({ ...lease, metadata: { name: "lbipam" } }).map(causeText), [
      "metadata.namespace: Required value",
    ]);
  });
});
