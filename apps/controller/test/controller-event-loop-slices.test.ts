import assert from "node:assert/strict";
import { it } from "node:test";
import { EventLoopSlices } from "../src/controller/event-loop-slices.js";

/** Workers whose every step is a microtask; counts the macrotasks that ran before they finished. */
async function run(slices: EventLoopSlices | undefined): Promise<number> {
  let macrotasks = 0;
  let finished = false;
  const tick = () => {
    if (finished) return;
    macrotasks++;
    setImmediate(tick);
  };
  setImmediate(tick);
  const worker = async () => {
    for (let step = 0; step < 200; step++) {
      await Promise.resolve(step);
      await slices?.turn();
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  finished = true;
  return macrotasks;
}

it("without slices, microtask-only work holds the event loop to the end", async () => {
  assert.equal(await run(undefined), 0);
});

it("with slices, the event loop turns while the work goes on", async () => {
  // A zero-length slice: one turn after every step of every worker, shared by all of them.
  const turns = await run(new EventLoopSlices(0));
  assert.ok(turns >= 150, `the event loop turned ${turns} times`);
  assert.ok(turns <= 201, `the workers shared their turns (${turns})`);
});

it("within a slice nobody waits", () => {
  const slices = new EventLoopSlices(60_000);
  assert.equal(slices.turn(), undefined);
});
