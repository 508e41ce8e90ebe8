// Scripted step tables over one TestCluster: each step changes the cluster,
// lets the loop settle, then checks what each named Service shows.
import assert from "node:assert/strict";
import type { TestCluster } from "./cluster.js";

export interface Step {
  step: string;
  act?: (cluster: TestCluster) => void;
  /** Service key -> [ingress ips (hostnames as `host:name`), condition reason or undefined]. */
  expect: Record<string, [string[], string | undefined]>;
}

export function runSteps(cluster: TestCluster, steps: Step[]): void {
  for (const { step, act, expect } of steps) {
    act?.(cluster);
    cluster.settle();
    for (const [key, [ips, reason]] of Object.entries(expect)) {
      assert.deepEqual(cluster.ips(key), ips, `${step}: addresses of ${key}`);
      assert.equal(cluster.reason(key), reason, `${step}: condition reason of ${key}`);
    }
    cluster.assertSharedOnlyByKey();
  }
}
