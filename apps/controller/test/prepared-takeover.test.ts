// PreparedTakeover alone: when a state rebuilt while standing by still holds
// for the takeover, and when it is dropped.
import assert from "node:assert/strict";
import { it } from "node:test";
import type { Service } from "@lbipam/api";
import type { LedgerRebuild } from "@lbipam/state";
import { PREPARED_CHANGE_LIMIT, PreparedTakeover } from "../src/controller/prepared-takeover.js";

const rebuilt: LedgerRebuild = {
  held: 1,
  conflicts: [],
  recordedConflicts: [],
  foreign: 0,
  foreignConflicts: [],
  tasks: [],
};
const svc = (name: string, ips: string[], extra: Partial<Service["metadata"]> = {}): Service => ({
  metadata: { namespace: "ns", name, creationTimestamp: "2026-01-01T00:00:00Z", ...extra },
  spec: { type: "LoadBalancer" },
  status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } },
});

// [what happens after preparing, what the takeover reads then, whether the prepared state holds]
const cases: [string, (p: PreparedTakeover) => void, Record<string, Service | undefined>, boolean][] = [
  ["nothing changed", () => {}, {}, true],
  [
    "a Service changed in what a rebuild does not read",
    (p) => p.noteServiceChange("ns/a"),
    { "ns/a": svc("a", ["10.0.0.1"], { labels: { x: "y" } }) },
    true,
  ],
  [
    "a new Service without an address",
    (p) => p.noteServiceChange("ns/new"),
    { "ns/new": svc("new", []) },
    true,
  ],
  [
    "a Service shows another address",
    (p) => p.noteServiceChange("ns/a"),
    { "ns/a": svc("a", ["10.0.0.2"]) },
    false,
  ],
  ["a Service was deleted", (p) => p.noteServiceChange("ns/a"), { "ns/a": undefined }, false],
  ["a pool changed", (p) => p.notePoolChange(), {}, false],
  [
    "more Services changed than are worth checking",
    (p) => {
      for (let i = 0; i <= PREPARED_CHANGE_LIMIT; i++) p.noteServiceChange(`ns/s${i}`);
    },
    {},
    false,
  ],
];

for (const [what, change, now, holds] of cases) {
  it(`${holds ? "uses" : "drops"} the prepared state when ${what}`, async () => {
    const prepared = new PreparedTakeover();
    const services = [svc("a", ["10.0.0.1"])];
    assert.equal(await prepared.prepare(services, async () => rebuilt), rebuilt);
    assert.equal(prepared.usable, true);
    change(prepared);
    const stale: string[] = [];
    const read = (key: string) =>
      key in now ? now[key] : services.find((s) => `ns/${s.metadata.name}` === key);
    assert.equal(
      prepared.take(read, "calico", (key) => stale.push(key)),
      holds ? rebuilt : undefined,
    );
    assert.equal(prepared.exists, false, "taken either way");
  });
}

it("notes changes that come while the rebuild runs", async () => {
  const prepared = new PreparedTakeover();
  await prepared.prepare([svc("a", ["10.0.0.1"])], async () => {
    prepared.noteServiceChange("ns/a");
    return rebuilt;
  });
  const stale: string[] = [];
  assert.equal(
    prepared.take(
      () => svc("a", ["10.0.0.9"]),
      "calico",
      (key) => stale.push(key),
    ),
    undefined,
  );
  assert.deepEqual(stale, ["ns/a"]);
  assert.equal(prepared.drop(), false, "nothing left to drop");
});
