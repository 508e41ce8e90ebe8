// Automatic allocations from concurrent reconciles, gathered into one batch
// per turn of the event loop and run by the allocator's task function: in a
// Piscina worker when the batch is at least WORKER_MIN_BATCH (the measured
// crossover), inline otherwise. Workers claim in the same shared memory, so
// where a batch runs never changes which addresses are free.
import {
  type AddressPool,
  ALLOCATOR_WORKER_URL,
  type AllocatorResult,
  type AllocatorTask,
  allocateGroups,
  createAllocationResults,
  type RebuildResult,
  type RebuildTask,
  runAllocatorTask,
} from "@lbipam/allocator";
import type { Allocated } from "@lbipam/state";
import { Piscina } from "piscina";
import type { ControllerMetrics } from "./metrics.js";

interface Request {
  pools: AddressPool[];
  resolve: (allocated: Allocated | undefined) => void;
  reject: (error: unknown) => void;
}

export class AllocationBatcher {
  private pending: Request[] = [];
  private scheduled = false;
  /** Worker tasks sent and not yet answered. */
  running = 0;

  constructor(
    readonly workers: Piscina<AllocatorTask, AllocatorResult> | undefined,
    private readonly minBatch: number,
    private readonly metrics: ControllerMetrics,
  ) {}

  /** A batcher with up to `threads` Piscina workers (0: every batch inline). */
  static withThreads(threads: number, minBatch: number, metrics: ControllerMetrics): AllocationBatcher {
    const workers =
      threads > 0
        ? new Piscina<AllocatorTask, AllocatorResult>({
            filename: ALLOCATOR_WORKER_URL,
            // Threads start when a batch needs one, and leave when idle.
            minThreads: 0,
            maxThreads: threads,
          })
        : undefined;
    return new AllocationBatcher(workers, minBatch, metrics);
  }

  /** One address from the first of `pools` (in order) that has one free. */
  allocate(pools: AddressPool[]): Promise<Allocated | undefined> {
    return new Promise((resolve, reject) => {
      this.pending.push({ pools, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /**
   * The pools' claims of a start-up rebuild, one task per pool, all at once
   * on the workers (inline without them): it runs once per term, and the
   * event loop stays free for the informers meanwhile.
   */
  async rebuild(tasks: readonly RebuildTask[]): Promise<RebuildResult[]> {
    const workers = this.workers;
    const outcome = workers ? "worker" : "inline";
    const results = await Promise.all(
      tasks.map(async (task) => {
        const result = workers ? await this.onWorker(workers, task) : runAllocatorTask(task);
        this.metrics.workerTasks.inc({ kind: "rebuild", outcome });
        return result as RebuildResult;
      }),
    );
    return results;
  }

  private async onWorker(
    workers: Piscina<AllocatorTask, AllocatorResult>,
    task: AllocatorTask,
  ): Promise<AllocatorResult> {
    this.running++;
    try {
      return await workers.run(task);
    } finally {
      this.running--;
    }
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    this.run(batch).catch((error: unknown) => {
      for (const request of batch) request.reject(error);
    });
  }

  private async run(batch: Request[]): Promise<void> {
    // Requests keep their order: groups of consecutive requests with the same preferences.
    const pools: AddressPool[] = [];
    const index = new Map<AddressPool, number>();
    const groups: { preferences: number[]; count: number }[] = [];
    let previous = "";
    for (const request of batch) {
      const preferences = request.pools.map((pool) => {
        let i = index.get(pool);
        if (i === undefined) {
          i = pools.push(pool) - 1;
          index.set(pool, i);
        }
        return i;
      });
      const signature = preferences.join(",");
      const last = groups[groups.length - 1];
      if (last && signature === previous) last.count++;
      else groups.push({ preferences, count: 1 });
      previous = signature;
    }
    const results = createAllocationResults(batch.length);
    if (this.workers && batch.length >= this.minBatch) {
      const shared = pools.map((pool) => pool.shared());
      await this.onWorker(this.workers, { kind: "allocate", results: results.buffer, pools: shared, groups });
      this.metrics.workerTasks.inc({ kind: "allocate", outcome: "worker" });
    } else {
      allocateGroups(pools, groups, results);
      this.metrics.workerTasks.inc({ kind: "allocate", outcome: "inline" });
    }
    batch.forEach((request, i) => {
      const served = results.pool[i]!;
      const pool = served < 0 ? undefined : pools[served];
      request.resolve(pool ? { pool, value: pool.valueOfHandle(results.handle[i]!) } : undefined);
    });
  }
}
