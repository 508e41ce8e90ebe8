// The read path of every reconcile: an informer's cache, read by name (and
// namespace), never the API server.
export interface ReadCache<T> {
  get(name: string, namespace?: string): T | undefined;
}
