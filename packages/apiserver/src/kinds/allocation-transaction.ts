// A Service write's allocations as one transaction: claims are given back if the write is
// abandoned, and what the previous version held is freed only once the write lands.
import { ApiServerError } from "../errors.js";
import type { FieldCause } from "../types.js";
import type { RangeAllocator } from "./allocators.js";

/** A failed allocation: 422 with field causes, or 500 with kube's internal error text. */
export class ServiceAllocationFailure extends ApiServerError {
  constructor(
    readonly status: 422 | 500,
    readonly causes: FieldCause[],
    message: string,
  ) {
    super(message, "LBIPAM_APISERVER_SERVICE_ALLOCATION_FAILED");
  }
}

export function invalidFailure(causes: FieldCause[]): ServiceAllocationFailure {
  return new ServiceAllocationFailure(422, causes, "");
}

/** Values claimed by a write, released again if the write is abandoned; and values to free once it lands. */
export class AllocationTransaction {
  private readonly claimed: (() => void)[] = [];
  private readonly deferred: (() => void)[] = [];

  claim<T>(allocator: RangeAllocator<T>, value: T): void {
    allocator.allocate(value);
    this.claimed.push(() => allocator.release(value));
  }

  claimNext<T>(allocator: RangeAllocator<T>): T {
    const value = allocator.allocateNext();
    this.claimed.push(() => allocator.release(value));
    return value;
  }

  releaseOnCommit<T>(allocator: RangeAllocator<T>, value: T): void {
    this.deferred.push(() => allocator.release(value));
  }

  /** The write was stored: free what the old object held and no longer does. */
  commit(): void {
    for (const release of this.deferred.splice(0)) release();
    this.claimed.length = 0;
  }

  /** The write failed: give back what it claimed. */
  revert(): void {
    for (const release of this.claimed.splice(0).reverse()) release();
    this.deferred.length = 0;
  }
}
