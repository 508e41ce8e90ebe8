// setCondition: the one rule both Service and pool status writers follow.
import assert from "node:assert/strict";
import { it } from "node:test";
import { setCondition } from "../src/conditions.js";
import type { Condition } from "../src/resources.js";

const other: Condition = {
  type: "Other",
  status: "True",
  reason: "R",
  message: "m",
  lastTransitionTime: "2026-01-01T00:00:00Z",
};
const ours = (status: "True" | "False", reason = "Allocated"): Omit<Condition, "lastTransitionTime"> => ({
  type: "Mine",
  status,
  reason,
  message: reason,
});

it("replaces its own type only, keeping lastTransitionTime until the status changes", () => {
  const first = setCondition([other], "Mine", ours("True"), "2026-01-02T00:00:00Z", 3);
  assert.deepEqual(first, [
    other,
    { ...ours("True"), lastTransitionTime: "2026-01-02T00:00:00Z", observedGeneration: 3 },
  ]);
  // Same status, other reason: no transition.
  const second = setCondition(first, "Mine", ours("True", "Kept"), "2026-01-03T00:00:00Z", 4);
  assert.equal(second[1]?.lastTransitionTime, "2026-01-02T00:00:00Z");
  assert.equal(second[1]?.reason, "Kept");
  assert.equal(second[1]?.observedGeneration, 4);
  // A new status is a transition.
  const third = setCondition(second, "Mine", ours("False", "PoolExhausted"), "2026-01-04T00:00:00Z", 4);
  assert.equal(third[1]?.lastTransitionTime, "2026-01-04T00:00:00Z");
  // Removed: the others stay.
  assert.deepEqual(setCondition(third, "Mine", undefined, "2026-01-05T00:00:00Z", 4), [other]);
  assert.equal("observedGeneration" in setCondition([], "Mine", ours("True"), "t", undefined)[0]!, false);
});
