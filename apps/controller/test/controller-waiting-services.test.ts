import assert from "node:assert/strict";
import { it } from "node:test";
import { WaitingServices } from "../src/controller/waiting-services.js";

it("wakes the oldest Service first and dates the longest wait from the first still waiting", () => {
  let clock = 1_000;
  const waiting = new WaitingServices(() => clock);
  waiting.add("ns/b", "2026-01-02T00:00:00Z");
  const first = waiting.longestWaitSince();
  assert.equal(first, 1_000);
  clock = 1_005;
  waiting.add("ns/a", "2026-01-02T00:00:00Z");
  waiting.add("ns/c", "2026-01-01T00:00:00Z");
  // Waiting again does not restart the wait.
  waiting.add("ns/b", "2026-01-02T00:00:00Z");
  assert.deepEqual(waiting.oldestFirst(), ["ns/c", "ns/a", "ns/b"]);
  assert.equal(waiting.longestWaitSince(), first);
  waiting.delete("ns/b");
  assert.equal(waiting.longestWaitSince(), 1_005, "the next wait began later");
  assert.deepEqual(waiting.oldestFirst(), ["ns/c", "ns/a"]);
  // A clock that steps back never dates a newer wait before an older one.
  clock = 900;
  waiting.add("ns/d", "2026-01-03T00:00:00Z");
  waiting.delete("ns/c");
  waiting.delete("ns/a");
  assert.equal(waiting.longestWaitSince(), 1_005);
  waiting.clear();
  assert.equal(waiting.longestWaitSince(), undefined);
  assert.deepEqual(waiting.oldestFirst(), []);
});
