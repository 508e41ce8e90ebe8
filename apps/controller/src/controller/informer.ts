// A client-node informer (list + watch into a cache) that does not stay
// down: client-node's ListWatch stops for good on any error but 410, so this
// restarts it with backoff, asks for bookmarks and a server-side timeout so a
// healthy watch is never silent for long, and restarts a watch that has been
// silent longer than that anyway (a dead connection nobody closed).
import {
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  ListWatch,
  Watch,
} from "@kubernetes/client-node";

export interface InformerLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface InformerOptions<T extends KubernetesObject> {
  /** For logs and metrics, e.g. "services". */
  resource: string;
  /** The API path to watch, e.g. "/api/v1/services". */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  /** What of each watched object is cached (the list should project the same way); default: all of it. */
  project?: (object: unknown) => T;
  /** Sent as the watch's timeoutSeconds: the server ends the watch then and it is reopened. */
  watchTimeoutSeconds?: number;
  /** A watch with no event (bookmarks count) for this long is restarted. */
  silenceLimitMs?: number;
  /** First and longest delay between restarts after errors. */
  backoffMs?: { base: number; max: number };
  logger: InformerLogger;
  onAdd(object: T): void;
  onUpdate(object: T): void;
  onDelete(object: T): void;
  /** Called on each restart (after an error or a silent watch), for metrics. */
  onRestart?(): void;
}

export interface InformerStats {
  restarts: number;
  errors: number;
  lastActivity: number;
}

export class Informer<T extends KubernetesObject> {
  private readonly listWatch: ListWatch<T>;
  private readonly options: InformerOptions<T>;
  private stopping = false;
  /** Bumped whenever this class aborts a watch, so the abort's report is not taken for a failure. */
  private watchGeneration = 0;
  private failures = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private syncedFlag = false;
  private resolveSynced!: () => void;
  /** Resolves once the first list has been loaded into the cache. */
  readonly synced: Promise<void>;
  readonly stats: InformerStats = { restarts: 0, errors: 0, lastActivity: Date.now() };

  constructor(kubeconfig: KubeConfig, options: InformerOptions<T>) {
    this.options = options;
    this.synced = new Promise((resolve) => {
      this.resolveSynced = resolve;
    });
    const timeoutSeconds = options.watchTimeoutSeconds ?? 300;
    const real = new Watch(kubeconfig);
    const project = options.project;
    // ListWatch lists, fills its cache, then opens the watch: the first watch means "synced".
    const watch = {
      watch: (
        path: string,
        query: Record<string, string | number | boolean | undefined>,
        callback: (phase: string, object: unknown, watchObject?: unknown) => void,
        done: (err: unknown) => void,
      ) => {
        this.markActive();
        const generation = this.watchGeneration;
        if (!this.syncedFlag) {
          this.syncedFlag = true;
          this.resolveSynced();
        }
        const opening = real.watch(
          path,
          { ...query, allowWatchBookmarks: true, timeoutSeconds },
          (phase, object, watchObject) => {
            this.markActive();
            const changed = phase === "ADDED" || phase === "MODIFIED" || phase === "DELETED";
            callback(phase, changed && project ? project(object) : object, watchObject);
          },
          (err) => {
            if (generation === this.watchGeneration) done(err);
          },
        );
        // ListWatch aborts only a watch that is already open (client-node cache.ts keeps the
        // request once watch() resolves): one stopped or restarted meanwhile is aborted here.
        return opening.then((request) => {
          if (this.stopping || generation !== this.watchGeneration) request.abort();
          return request;
        });
      },
    } as unknown as Watch;
    this.listWatch = new ListWatch<T>(options.path, watch, options.list, false);
    this.listWatch.on("add", (object) => options.onAdd(object));
    this.listWatch.on("update", (object) => options.onUpdate(object));
    this.listWatch.on("delete", (object) => options.onDelete(object));
    this.listWatch.on("error", (error) => this.onError(error));
  }

  get(name: string, namespace?: string): T | undefined {
    return this.listWatch.get(name, namespace);
  }

  list(namespace?: string): readonly T[] {
    return this.listWatch.list(namespace);
  }

  start(): void {
    this.stopping = false;
    void this.listWatch.start();
    const limit = this.options.silenceLimitMs ?? ((this.options.watchTimeoutSeconds ?? 300) + 60) * 1000;
    this.watchdog = setInterval(() => this.checkSilence(limit), Math.max(50, limit / 4));
    this.watchdog.unref();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.watchGeneration++;
    clearInterval(this.watchdog);
    clearTimeout(this.restartTimer);
    await this.listWatch.stop();
  }

  private markActive(): void {
    this.stats.lastActivity = Date.now();
    this.failures = 0;
  }

  private checkSilence(limitMs: number): void {
    if (this.stopping || this.restartTimer || Date.now() - this.stats.lastActivity < limitMs) return;
    this.options.logger.warn(
      { resource: this.options.resource, silentMs: Date.now() - this.stats.lastActivity },
      "watch silent for too long; restarting it",
    );
    this.restart();
  }

  private onError(error: unknown): void {
    if (this.stopping) return;
    this.stats.errors++;
    const { base, max } = this.options.backoffMs ?? { base: 200, max: 30_000 };
    const delay = Math.min(base * 2 ** this.failures, max);
    this.failures++;
    this.options.logger.warn(
      { resource: this.options.resource, err: error, retryInMs: delay },
      "list/watch failed; restarting after a delay",
    );
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.restart();
    }, delay);
    this.restartTimer.unref();
  }

  private restart(): void {
    if (this.stopping) return;
    this.stats.restarts++;
    this.options.onRestart?.();
    this.stats.lastActivity = Date.now();
    // The aborted watch belongs to an old generation: its end is not reported.
    this.watchGeneration++;
    void this.listWatch.stop().then(() => {
      if (!this.stopping) void this.listWatch.start();
    });
  }
}
