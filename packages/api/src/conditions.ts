// The one rule for writing a condition into a status's list, for Services and
// pools alike (Kubernetes API conventions, "Typical status properties"):
// the other types stay as they are, ours is replaced (or removed), and its
// lastTransitionTime moves only when its status changes.
import type { Condition } from "./resources.js";

/**
 * The list with the condition of `type` set to `wanted` (removed when
 * undefined). `now` is the time to stamp a transition with, `generation`
 * the object's metadata.generation (observedGeneration).
 */
export function setCondition(
  existing: readonly Condition[] | undefined,
  type: string,
  wanted: Omit<Condition, "lastTransitionTime"> | undefined,
  now: string,
  generation: number | undefined,
): Condition[] {
  const others = (existing ?? []).filter((c) => c.type !== type);
  if (!wanted) return others;
  const previous = existing?.find((c) => c.type === type);
  const lastTransitionTime =
    previous && previous.status === wanted.status && previous.lastTransitionTime
      ? previous.lastTransitionTime
      : now;
  const condition: Condition = { ...wanted, lastTransitionTime };
  if (generation !== undefined) condition.observedGeneration = generation;
  return [...others, condition];
}

let stampedSecond = Number.NaN;
let stamped = "";

/** Now as Kubernetes writes times: RFC 3339 with whole seconds (formatted once a second). */
export function kubeNow(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== stampedSecond) {
    stampedSecond = second;
    stamped = new Date(second * 1000).toISOString().replace(".000Z", "Z");
  }
  return stamped;
}
