// Request counters by verb, resource, subresource and response code, so tests and benchmarks
// can assert exactly how many requests of each kind a client made.

export interface RequestKey {
  verb: string;
  resource: string;
  subresource: string;
  code: number;
}

export interface CounterRow extends RequestKey {
  count: number;
}

export class RequestCounters {
  private readonly counts = new Map<string, CounterRow>();

  record(key: RequestKey): void {
    const id = `${key.verb} ${key.resource} ${key.subresource} ${key.code}`;
    const row = this.counts.get(id);
    if (row) row.count++;
    else this.counts.set(id, { ...key, count: 1 });
  }

  /** Sum of the counts of every row matching the given fields. */
  total(filter: Partial<RequestKey> = {}): number {
    let sum = 0;
    for (const row of this.counts.values()) {
      if (filter.verb !== undefined && row.verb !== filter.verb) continue;
      if (filter.resource !== undefined && row.resource !== filter.resource) continue;
      if (filter.subresource !== undefined && row.subresource !== filter.subresource) continue;
      if (filter.code !== undefined && row.code !== filter.code) continue;
      sum += row.count;
    }
    return sum;
  }

  rows(): CounterRow[] {
    return [...this.counts.values()].map((row) => ({ ...row }));
  }

  reset(): void {
    this.counts.clear();
  }
}
