import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ExponentialRateLimiter } from "../src/controller/rate-limiter.js";
import { type Clock, WorkQueue } from "../src/controller/work-queue.js";

/** A clock the test moves by hand. */
class ManualClock implements Clock {
  time = 0;
  private timers: { at: number; callback: () => void; id: number }[] = [];
  private nextId = 0;
  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.time + ms, callback, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }
  advance(ms: number): void {
    this.time += ms;
    const due = this.timers.filter((t) => t.at <= this.time).sort((a, b) => a.at - b.at);
    this.timers = this.timers.filter((t) => t.at > this.time);
    for (const t of due) t.callback();
  }
}

function newQueue() {
  const clock = new ManualClock();
  const queue = new WorkQueue<string>(new ExponentialRateLimiter(5, 1000), clock, () => clock.time);
  return { queue, clock };
}

describe("WorkQueue", () => {
  it("hands keys out in the order first added and de-duplicates waiting keys", async () => {
    const { queue } = newQueue();
    for (const key of ["a", "b", "a", "c", "b"]) queue.add(key);
    assert.equal(queue.length, 3);
    assert.deepEqual([await queue.get(), await queue.get(), await queue.get()], ["a", "b", "c"]);
  });

  it("never hands one key to two workers, and requeues a key added while it is processed", async () => {
    const { queue } = newQueue();
    queue.add("a");
    const first = await queue.get();
    queue.add("a");
    queue.add("b");
    assert.equal(await queue.get(), "b", "a is being processed, so b comes first");
    assert.equal(queue.length, 0);
    queue.done(first!);
    assert.equal(queue.length, 1);
    assert.equal(await queue.get(), "a");
  });

  it("wakes a waiting worker when a key arrives", async () => {
    const { queue } = newQueue();
    const next = queue.get();
    queue.add("x");
    assert.equal(await next, "x");
    queue.add("x");
    assert.equal(queue.length, 0, "x is processing; its second add waits for done");
    queue.done("x");
    assert.equal(await queue.get(), "x");
  });

  it("backs off exponentially per key and forgets on success", () => {
    const { queue, clock } = newQueue();
    queue.addRateLimited("a");
    queue.addRateLimited("a");
    assert.equal(queue.length, 0);
    assert.equal(queue.failures("a"), 2);
    clock.advance(4);
    assert.equal(queue.length, 0);
    clock.advance(1);
    assert.equal(queue.length, 1, "the earlier (5 ms) retry wins over the later (10 ms)");
    queue.forget("a");
    assert.equal(queue.failures("a"), 0);
    const limiter = new ExponentialRateLimiter<string>(5, 1000);
    assert.deepEqual(
      Array.from({ length: 10 }, () => limiter.when("k")),
      [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000],
    );
  });

  it("replaces a later delayed add by an earlier one", () => {
    const { queue, clock } = newQueue();
    queue.addAfter("a", 100);
    queue.addAfter("a", 10);
    assert.equal(queue.delayed, 1);
    clock.advance(10);
    assert.equal(queue.length, 1);
    clock.advance(100);
    assert.equal(queue.length, 1, "the replaced timer never fires");
  });

  it("releases waiting workers and drops new keys on shut down", async () => {
    const { queue } = newQueue();
    const waiting = queue.get();
    queue.addAfter("later", 50);
    queue.shutDown();
    assert.equal(await waiting, undefined);
    queue.add("late");
    assert.equal(queue.length, 0);
    assert.equal(queue.delayed, 0);
    assert.equal(await queue.get(), undefined);
  });
});
