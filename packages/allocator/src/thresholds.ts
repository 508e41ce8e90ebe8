/**
 * Batches of automatic allocations at least this large go to the Piscina
 * worker pool; smaller ones run inline. It is the worker-crossover of
 * `npm run bench -- allocator` (bench/results/allocator.json): below it,
 * handing a batch to a worker costs the main thread more than doing it.
 * On the 2-core machines the results come from, no batch size tried (up to
 * 65,536) paid off, so allocation stays inline; see docs/benchmarks.md.
 */
export const WORKER_MIN_BATCH = Number.POSITIVE_INFINITY;
