import assert from "node:assert/strict";
import { it } from "node:test";
import { WaitingServices } from "../src/controller/waiting-services.js";

it("wakes the oldest Service first and dates the longest wait from the first still waiting", async () => {
  const waiting = new WaitingServices();
  const before = Date.now();
  waiting.add("ns/b", "2026-01-02T00:00:00Z");
  const first = waiting.longestWaitSince();
  assert.ok(first !== undefined && first >= before);
  await new Promise((resolve) => setTimeout(resolve, 5));
  waiting.add("ns/a", "2026-01-02T00:00:00Z");
  waiting.add("ns/c", "2026-01-01T00:00:00Z");
  // Waiting again does not restart the wait.
  waiting.add("ns/b", "2026-01-02T00:00:00Z");
  assert.deepEqual(waiting.oldestFirst(), ["ns/c", "ns/a", "ns/b"]);
  assert.equal(waiting.longestWaitSince(), first);
  waiting.delete("ns/b");
  const next = waiting.longestWaitSince();
  assert.ok(next !== undefined && next > first, "the next wait began later");
  assert.deepEqual(waiting.oldestFirst(), ["ns/c", "ns/a"]);
  waiting.clear();
  assert.equal(waiting.longestWaitSince(), undefined);
  assert.deepEqual(waiting.oldestFirst(), []);
});
