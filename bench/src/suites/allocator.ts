// Allocator scenarios of issue 2, each against its floor or target. Values
// are medians of several runs; the machine is recorded with the results.
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import {
  AddressPool,
  ALLOCATOR_WORKER_URL,
  type AllocatorResult,
  type AllocatorTask,
  createAllocationResults,
  DensePool,
  SparsePool,
} from "@lbipam/allocator";
import { Piscina } from "piscina";
import type { BenchResult } from "../harness.js";

const V4_20BIT = 2 ** 20;
const BLOCK_SHIFT_24 = 8;
const RUNS = 5;
/** Free addresses left in a /12 at 99.99% full. */
const NEAR_FULL_FREE = Math.round(V4_20BIT / 10_000);

function now(): number {
  return Number(process.hrtime.bigint());
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median over RUNS of `body`'s own timing (it returns nanoseconds), after one warm-up run. */
function medianOf(body: () => number): number {
  body();
  return median(Array.from({ length: RUNS }, body));
}

function xorshift(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

function rawBitsetNsPerAddress(): number {
  return medianOf(() => {
    const bits = new Uint32Array(V4_20BIT / 32);
    const start = now();
    for (let i = 0; i < V4_20BIT; i++) bits[i >>> 5]! |= 1 << (i & 31);
    const elapsed = now() - start;
    if (bits[V4_20BIT / 32 - 1] !== 0xffffffff) throw new Error("raw loop did not fill");
    return elapsed / V4_20BIT;
  });
}

function fillBatchedNsPerAddress(): number {
  const out = new Float64Array(4096);
  return medianOf(() => {
    const pool = DensePool.create(V4_20BIT, BLOCK_SHIFT_24);
    const start = now();
    let got = 0;
    while (got < V4_20BIT) got += pool.allocateMany(out.length, out);
    const elapsed = now() - start;
    if (pool.counts().free !== 0n) throw new Error("batched fill left free addresses");
    return elapsed / V4_20BIT;
  });
}

function fillSingleNsPerAddress(): number {
  return medianOf(() => {
    const pool = DensePool.create(V4_20BIT, BLOCK_SHIFT_24);
    const start = now();
    while (pool.allocate() >= 0);
    return (now() - start) / V4_20BIT;
  });
}

async function fillWithWorkers(workers: Piscina<AllocatorTask, AllocatorResult>): Promise<number> {
  const batch = 32768;
  const runs: number[] = [];
  for (let r = 0; r <= RUNS; r++) {
    const pool = AddressPool.create({ name: "fill", cidr: "10.0.0.0/12", blockSize: 24 });
    const shared = pool.shared();
    const start = now();
    const tasks = Array.from({ length: V4_20BIT / batch }, () =>
      workers.run({
        kind: "allocate",
        results: createAllocationResults(batch).buffer,
        pools: [shared],
        groups: [{ preferences: [0], count: batch }],
      }),
    );
    await Promise.all(tasks);
    const elapsed = now() - start;
    if (pool.counts().free !== 0n) throw new Error("worker fill left free addresses");
    if (r > 0) runs.push(elapsed);
  }
  return V4_20BIT / (median(runs) / 1e9);
}

/** Release two random allocated addresses, allocate two; pairs (release + allocate) per second. */
function nearFull(): { pairsPerSecond: number; reused: number } {
  const iterations = 500_000;
  const next = xorshift(42);
  const picks = new Int32Array(iterations * 4);
  for (let i = 0; i < picks.length; i++) picks[i] = next() & (V4_20BIT - 1);
  let reused = 0;
  const nsPerIteration = medianOf(() => {
    const pool = DensePool.create(V4_20BIT, BLOCK_SHIFT_24);
    const out = new Float64Array(4096);
    let got = 0;
    while (got < V4_20BIT) got += pool.allocateMany(out.length, out);
    const rng = xorshift(7);
    for (let freed = 0; freed < NEAR_FULL_FREE; ) if (pool.release(rng() & (V4_20BIT - 1))) freed++;
    let p = 0;
    reused = 0;
    const start = now();
    for (let i = 0; i < iterations; i++) {
      let a: number;
      let b: number;
      do a = picks[p++ % picks.length]!;
      while (!pool.release(a));
      do b = picks[p++ % picks.length]!;
      while (!pool.release(b));
      const x = pool.allocate();
      const y = pool.allocate();
      if (x === a || x === b || y === a || y === b) reused++;
    }
    const elapsed = now() - start;
    if (pool.counts().allocated !== V4_20BIT - NEAR_FULL_FREE) throw new Error("near-full count drifted");
    return elapsed / iterations;
  });
  return { pairsPerSecond: 2e9 / nsPerIteration, reused };
}

/** From empty to full: 10% claims of a random free address, 90% allocate-any; operations per second. */
function mixedSpecificAny(): number {
  const order = new Int32Array(V4_20BIT);
  for (let i = 0; i < V4_20BIT; i++) order[i] = i;
  const rng = xorshift(99);
  for (let i = V4_20BIT - 1; i > 0; i--) {
    const j = rng() % (i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  const nsPerOp = medianOf(() => {
    const pool = DensePool.create(V4_20BIT, BLOCK_SHIFT_24);
    const coin = xorshift(5);
    let next = 0;
    let ops = 0;
    const start = now();
    for (;;) {
      if (coin() % 10 === 0) {
        while (next < V4_20BIT && !pool.claim(order[next]!)) next++;
        if (next === V4_20BIT) break;
      } else if (pool.allocate() < 0) {
        break;
      }
      ops++;
    }
    const elapsed = now() - start;
    if (pool.counts().free !== 0n) throw new Error("mixed fill left free addresses");
    return elapsed / ops;
  });
  return 1e9 / nsPerOp;
}

function v6Sparse(): { perSecond: number; extraBytes: number } {
  const count = 1_000_000;
  const out = new Float64Array(4096);
  let extraBytes = 0;
  const ns = medianOf(() => {
    globalThis.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const pool = SparsePool.create(58, 6);
    const start = now();
    let got = 0;
    while (got < count) got += pool.allocateMany(Math.min(out.length, count - got), out);
    const elapsed = now() - start;
    globalThis.gc?.();
    extraBytes = pool.bytesUsed + Math.max(0, process.memoryUsage().heapUsed - heapBefore);
    return elapsed;
  });
  return { perSecond: count / (ns / 1e9), extraBytes };
}

/**
 * Smallest batch for which handing 8 batches to the worker pool costs the
 * main thread (the controller's event loop) less than allocating them inline.
 * Main-thread cost with workers is the event loop's active time while the
 * tasks run; inline it is the whole allocation. Wall time is reported too.
 */
async function workerCrossover(
  workers: Piscina<AllocatorTask, AllocatorResult>,
): Promise<{ batch: number; table: string }> {
  const sizes = [16, 64, 256, 1024, 4096, 16384, 65536];
  const rows: string[] = [];
  let crossover = Number.POSITIVE_INFINITY;
  for (const size of sizes) {
    const inline: number[] = [];
    const busy: number[] = [];
    const wall: number[] = [];
    for (let r = 0; r <= RUNS; r++) {
      const a = AddressPool.create({ name: "a", cidr: "10.0.0.0/12", blockSize: 24 });
      const out = new Float64Array(size);
      let start = now();
      for (let k = 0; k < 8; k++) a.allocateHandles(size, out);
      if (r > 0) inline.push(now() - start);
      const shared = AddressPool.create({ name: "b", cidr: "10.0.0.0/12", blockSize: 24 }).shared();
      const results = Array.from({ length: 8 }, () => createAllocationResults(size).buffer);
      await new Promise((resolve) => setImmediate(resolve));
      const loop = performance.eventLoopUtilization();
      start = now();
      await Promise.all(
        results.map((buffer) =>
          workers.run({
            kind: "allocate",
            results: buffer,
            pools: [shared],
            groups: [{ preferences: [0], count: size }],
          }),
        ),
      );
      const elapsed = now() - start;
      await new Promise((resolve) => setImmediate(resolve));
      if (r > 0) {
        busy.push(performance.eventLoopUtilization(loop).active * 1e6);
        wall.push(elapsed);
      }
    }
    const i = median(inline);
    const b = median(busy);
    rows.push(
      `${size}: inline ${(i / 1e3).toFixed(0)} us; workers ${(b / 1e3).toFixed(0)} us of main thread, ${(median(wall) / 1e3).toFixed(0)} us wall`,
    );
    if (b < i && size < crossover) crossover = size;
  }
  // None of the sizes paid off: the crossover lies above the largest (JSON has no infinity).
  const found = Number.isFinite(crossover);
  return {
    batch: found ? crossover : 2 * sizes[sizes.length - 1]!,
    table: `${found ? "" : "no size tried paid off, so the crossover is above the largest; "}${rows.join("; ")}`,
  };
}

/** Each measurement runs in a fresh thread: one scenario's JIT feedback never slows another's. */
const scenarios = {
  raw: async () => rawBitsetNsPerAddress(),
  batched: async () => fillBatchedNsPerAddress(),
  single: async () => fillSingleNsPerAddress(),
  nearFull: async () => nearFull(),
  mixed: async () => mixedSpecificAny(),
  sparse: async () => v6Sparse(),
  workerRate: async () => withWorkers(fillWithWorkers),
  crossover: async () => withWorkers(workerCrossover),
};
type Scenario = keyof typeof scenarios;

async function withWorkers<T>(
  body: (workers: Piscina<AllocatorTask, AllocatorResult>) => Promise<T>,
): Promise<T> {
  const threads = Math.max(2, availableParallelism());
  const workers = new Piscina<AllocatorTask, AllocatorResult>({
    filename: ALLOCATOR_WORKER_URL,
    minThreads: threads,
    maxThreads: threads,
  });
  try {
    return await body(workers);
  } finally {
    await workers.destroy();
  }
}

function inFreshThread<S extends Scenario>(scenario: S): Promise<Awaited<ReturnType<(typeof scenarios)[S]>>> {
  return new Promise((resolve, reject) => {
    // The thread inherits the process's --expose-gc (v6-sparse measures heap growth).
    const worker = new Worker(new URL(import.meta.url), { workerData: { scenario } });
    worker.once("message", resolve);
    worker.once("error", reject);
  });
}

if (!isMainThread && parentPort && (workerData as { scenario?: Scenario })?.scenario) {
  const port = parentPort;
  void scenarios[(workerData as { scenario: Scenario }).scenario]().then((value) => port.postMessage(value));
}

export async function run(): Promise<BenchResult[]> {
  const threads = Math.max(2, availableParallelism());
  {
    const raw = await inFreshThread("raw");
    const batched = await inFreshThread("batched");
    const single = await inFreshThread("single");
    const workerRate = await inFreshThread("workerRate");
    const near = await inFreshThread("nearFull");
    const mixed = await inFreshThread("mixed");
    const sparse = await inFreshThread("sparse");
    const crossover = await inFreshThread("crossover");
    return [
      {
        name: "fill-v4-20bit",
        value: batched / raw,
        unit: "x raw bitset",
        target: "<= 5",
        pass: batched / raw <= 5,
        note: `${batched.toFixed(2)} ns/address in batches of 4096 vs ${raw.toFixed(2)} ns for a raw Uint32Array bit-set loop`,
      },
      {
        name: "fill-v4-20bit-single",
        value: single / raw,
        unit: "x raw bitset",
        target: "none (one call per address)",
        pass: null,
        note: `${single.toFixed(1)} ns/address with one allocate() call each`,
      },
      {
        name: "fill-v4-20bit-workers",
        value: workerRate,
        unit: "addresses/s",
        target: ">= 5,000,000",
        pass: workerRate >= 5e6,
        note: `${threads} Piscina threads, tasks of 32768`,
      },
      {
        name: "near-full-v4",
        value: near.pairsPerSecond,
        unit: "release+alloc/s",
        target: ">= 10,000,000",
        pass: near.pairsPerSecond >= 1e7,
        note: `/12 at 99.99% full; an operation is one release plus one allocation (release two, allocate two); ${near.reused} of 500000 iterations got a just-released address back`,
      },
      {
        name: "mixed-specific-any",
        value: mixed,
        unit: "operations/s",
        target: ">= 5,000,000",
        pass: mixed >= 5e6,
        note: "empty /12 to full; 10% claims of a random free address, 90% allocate-any",
      },
      {
        name: "v6-sparse",
        value: sparse.perSecond,
        unit: "addresses/s",
        target: ">= 10,000,000",
        pass: sparse.perSecond >= 1e7,
        note: "IPv6 /64, blockSize 122, batches of 4096",
      },
      {
        name: "v6-sparse-memory",
        value: sparse.extraBytes / 2 ** 20,
        unit: "MiB",
        target: "<= 8",
        pass: sparse.extraBytes <= 8 * 2 ** 20,
        note: "shared buffer plus heap growth for 1,000,000 allocations",
      },
      {
        name: "worker-crossover",
        value: crossover.batch,
        unit: "addresses/batch",
        target: "measured (sets WORKER_MIN_BATCH)",
        pass: null,
        note: crossover.table,
      },
    ];
  }
}
