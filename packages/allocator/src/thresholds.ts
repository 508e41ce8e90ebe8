/**
 * Batches of automatic allocations at least this large go to the Piscina
 * worker pool; smaller ones run inline. It is the worker-crossover of
 * `npm run bench -- allocator` (bench/results/allocator.json): below it,
 * handing a batch to a worker costs the main thread more than doing it
 * (2-core machine, Node 20; see docs/benchmarks.md).
 */
export const WORKER_MIN_BATCH = 65_536;
