// The chaos tests' randomness: a small deterministic generator seeded from
// LBIPAM_CHAOS_SEED (or the clock), printed so a failing run can be replayed.

export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** The run's generator; prints its seed under `label`. */
export function chaosRandom(label: string): () => number {
  const seed = Number(process.env.LBIPAM_CHAOS_SEED ?? Date.now() % 100000);
  console.log(`# ${label} seed ${seed} (LBIPAM_CHAOS_SEED=${seed} replays it)`);
  return seededRandom(seed);
}
