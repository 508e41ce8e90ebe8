// One copy of values many objects repeat (a namespace, a port list, a
// profile's parts): JSON.parse and each reconcile make fresh ones, and at
// 100,000 Services the copies are megabytes. Bounded, so unusual input cannot
// grow a table without end: past its bound, values are kept as they came.
// Interned values are shared between cached objects, which nobody mutates.

export class Interned<T> {
  private readonly known = new Map<string, T>();

  constructor(private readonly limit: number) {}

  /** The one copy of the value whose text is `text`; `value` itself the first time (or past the bound). */
  of(text: string, value: T): T {
    const known = this.known.get(text);
    if (known !== undefined) return known;
    if (this.known.size < this.limit) this.known.set(text, value);
    return value;
  }
}
