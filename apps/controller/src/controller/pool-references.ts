// Which Services a pool change can affect, besides the waiting ones: those
// holding an address in the pool and those naming it (by name or CIDR) in a
// pool annotation. Kept up to date after each Service's reconcile.

export class PoolReferences {
  private readonly keysByRef = new Map<string, Set<string>>();
  private readonly refsByKey = new Map<string, string[]>();

  /** Replaces what `key` refers to (pool names or CIDRs). */
  set(key: string, refs: readonly string[]): void {
    this.delete(key);
    if (refs.length === 0) return;
    const unique = [...new Set(refs)];
    this.refsByKey.set(key, unique);
    for (const ref of unique) {
      let keys = this.keysByRef.get(ref);
      if (!keys) {
        keys = new Set();
        this.keysByRef.set(ref, keys);
      }
      keys.add(key);
    }
  }

  delete(key: string): void {
    for (const ref of this.refsByKey.get(key) ?? []) {
      const keys = this.keysByRef.get(ref);
      keys?.delete(key);
      if (keys?.size === 0) this.keysByRef.delete(ref);
    }
    this.refsByKey.delete(key);
  }

  /** Keys referring to any of `refs`. */
  keysOf(...refs: (string | undefined)[]): Set<string> {
    const keys = new Set<string>();
    for (const ref of refs)
      if (ref !== undefined) for (const key of this.keysByRef.get(ref) ?? []) keys.add(key);
    return keys;
  }
}
