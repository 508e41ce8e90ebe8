// Comparing a suite's figures with another commit's: the two sides run in turn, and each
// figure is the median of its side's rounds.
import type { BenchResult } from "./harness.js";

export type Side = "before" | "after";

/** before, after, before, after, ...: load that comes and goes on a shared machine hits both sides. */
export function interleavedSides(rounds: number): Side[] {
  if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError("rounds must be a positive integer");
  return Array.from({ length: rounds }, (): Side[] => ["before", "after"]).flat();
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** One result per name, its value the median of the rounds' values; the first round's text. */
export function medianOfRounds(rounds: BenchResult[][]): BenchResult[] {
  const [first, ...rest] = rounds;
  if (!first) throw new RangeError("no rounds to combine");
  return first.map((result) => {
    const values = [result.value];
    for (const round of rest) {
      const same = round.find((r) => r.name === result.name);
      if (!same) throw new Error(`a round has no ${result.name}`);
      values.push(same.value);
    }
    return { ...result, value: median(values) };
  });
}

export interface RatioTarget {
  /** The result compared: after / before. */
  name: string;
  /** The lowest ratio that passes (0.95: at most 5% lost). */
  atLeast: number;
}

/**
 * The after side's results, then each before figure as `<name>-before` (a reference, no target)
 * and each ratio as `<name>-vs-before`, with the commit the before side was built from.
 */
export function comparedWithBefore(
  after: BenchResult[],
  before: BenchResult[],
  commit: string,
  ratios: RatioTarget[],
): BenchResult[] {
  const beforeOf = (name: string): BenchResult => {
    const result = before.find((r) => r.name === name);
    if (!result) throw new Error(`the before side has no ${name}`);
    return result;
  };
  const combined = "median of the interleaved rounds";
  return [
    ...after.map((r) => ({ ...r, note: `${r.note ?? r.name}; this checkout, ${combined}` })),
    ...after.map((r) => ({
      ...beforeOf(r.name),
      name: `${r.name}-before`,
      target: "reference",
      pass: null,
      note: `${beforeOf(r.name).note ?? r.name}; commit ${commit}'s API server, ${combined}`,
    })),
    ...ratios.map(({ name, atLeast }) => {
      const now = after.find((r) => r.name === name);
      if (!now) throw new Error(`the after side has no ${name}`);
      const ratio = now.value / beforeOf(name).value;
      return {
        name: `${name}-vs-before`,
        value: ratio,
        unit: "x",
        target: `>= ${atLeast}`,
        pass: ratio >= atLeast,
        note: `${name} of this checkout / of commit ${commit}, medians of the interleaved rounds`,
      };
    }),
  ];
}
