// Reconciles of Services with one sharing key take turns. A reconcile decides at once but
// learns a new address only when its allocation batch answers; a second member deciding in
// that gap would find no address of the key yet and take one of its own, so the pair would
// never share. Waiting for the turn before deciding closes the gap; Services without a key,
// and other keys, run at once. Only keys with a reconcile in flight are kept.
export class SharingTurns {
  private readonly last = new Map<string, Promise<void>>();

  /** Runs `work` once every earlier `work` of `key` has ended (at once without a key). */
  async run<T>(key: string | undefined, work: () => Promise<T>): Promise<T> {
    if (key === undefined) return work();
    const turn = (this.last.get(key) ?? Promise.resolve()).then(work);
    const ended = turn.then(
      () => {},
      () => {},
    );
    this.last.set(key, ended);
    try {
      return await turn;
    } finally {
      if (this.last.get(key) === ended) this.last.delete(key);
    }
  }
}
