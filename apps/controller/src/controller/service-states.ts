// What the last reconcile of each Service found, for the
// lbipam_services{state} gauge.
import type { ServiceState } from "@lbipam/state";

export class ServiceStates {
  private readonly byKey = new Map<string, ServiceState>();

  /** Records a Service's state; undefined: the Service is gone. */
  set(key: string, state: ServiceState | undefined): void {
    if (state) this.byKey.set(key, state);
    else this.byKey.delete(key);
  }

  clear(): void {
    this.byKey.clear();
  }

  /** Services per state; one served in one family and waiting in the other is pending. */
  counts(): Record<string, number> {
    const counts: Record<string, number> = { allocated: 0, pending: 0, invalid: 0, unmanaged: 0 };
    for (const state of this.byKey.values()) {
      const shown = state === "partial" ? "pending" : state;
      counts[shown] = (counts[shown] ?? 0) + 1;
    }
    return counts;
  }
}
