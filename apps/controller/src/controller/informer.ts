// An informer: a cache of one kind of object, filled by a list, kept up to
// date by a watch, and never down for long. It follows client-go's reflector
// (staging/src/k8s.io/client-go/tools/cache/reflector.go):
// - the list comes a page at a time (list-page.ts); each page's objects enter
//   the cache and are reported before the next page is asked for, with a turn
//   of the event loop between pages, so 100,000 objects never hold the loop
//   in one go;
// - a continue token that expired mid-list starts the list again from its
//   first page (client-go's pager, tools/pager/pager.go, falls back to one
//   unpaged list there; starting over keeps every answer one page long);
// - the watch starts at the list's resourceVersion and asks for bookmarks and
//   a server-side timeout, so a healthy watch is never silent for long; one
//   that ends is reopened where it stopped; one answered with 410 is followed
//   by a new list, which reconciles the cache: what is gone since is reported
//   deleted, what changed updated;
// - any other error restarts it after a backoff, and a watch silent for
//   longer than the limit (a dead connection nobody closed) is restarted.
import { setImmediate as nextTurn } from "node:timers/promises";
import type { KubernetesObject } from "@kubernetes/client-node";
import { ApiRequestError } from "../errors.js";
import { statusMessage } from "./cluster-writer.js";
import { LIST_PAGE_SIZE, type ListPage, listPage } from "./list-page.js";
import { type LineStream, type RestClient, StreamRefused } from "./rest-client.js";

export interface InformerLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface InformerOptions<T extends KubernetesObject> {
  /** For logs and metrics, e.g. "services". */
  resource: string;
  /** The API path to list and watch, e.g. "/api/v1/services". */
  path: string;
  /** What of each listed or watched object is cached; default: all of it. */
  project?: (object: unknown) => T;
  /** Objects per list page. */
  pageSize?: number;
  /** Sent as the watch's timeoutSeconds: the server ends the watch then and it is reopened. */
  watchTimeoutSeconds?: number;
  /** A watch with no event (bookmarks count) for this long is restarted. */
  silenceLimitMs?: number;
  /** First and longest delay between restarts after errors. */
  backoffMs?: { base: number; max: number };
  logger: InformerLogger;
  onAdd(object: T): void;
  /** `previous` is the version the cache held before. */
  onUpdate(object: T, previous: T): void;
  onDelete(object: T): void;
  /** Called on each restart (after an error or a silent watch), for metrics. */
  onRestart?(): void;
}

export interface InformerStats {
  restarts: number;
  errors: number;
  lastActivity: number;
}

/** One line of a watch. */
interface WatchEvent {
  type?: string;
  object?: unknown;
}

/** What a watch's ERROR event carries: a Kubernetes Status. */
interface WatchStatus {
  code?: number;
  message?: string;
}

/** A watch that ends sooner than this having sent nothing did not really run. */
const SHORT_WATCH_MS = 1000;

const sameVersion = (a: KubernetesObject, b: KubernetesObject) =>
  a.metadata?.resourceVersion !== undefined && a.metadata.resourceVersion === b.metadata?.resourceVersion;

export class Informer<T extends KubernetesObject> {
  /** namespace ("" for cluster-scoped objects) -> name -> object. */
  private readonly objects = new Map<string, Map<string, T>>();
  /** Where the next watch starts: "" until a list has completed, and again after a 410. */
  private resourceVersion = "";
  /** Bumped by every restart and by stop: a list or watch of an older run ends at its next step. */
  private run = 0;
  private watchRequest: LineStream | undefined;
  private readonly project: (object: unknown) => T;
  private stopping = false;
  private failures = 0;
  /** Watches in a row that were answered 410 at once, with no event. */
  private expiredAtOnce = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private resolveSynced!: () => void;
  /** Resolves once the first list is in the cache. */
  readonly synced: Promise<void>;
  readonly stats: InformerStats = { restarts: 0, errors: 0, lastActivity: Date.now() };

  constructor(
    private readonly rest: RestClient,
    private readonly options: InformerOptions<T>,
  ) {
    this.project = options.project ?? ((object) => object as T);
    this.synced = new Promise((resolve) => {
      this.resolveSynced = resolve;
    });
  }

  get(name: string, namespace?: string): T | undefined {
    return this.objects.get(namespace ?? "")?.get(name);
  }

  /** The cached objects of one namespace, or of all when none is given. */
  list(namespace?: string): readonly T[] {
    if (namespace) return [...(this.objects.get(namespace)?.values() ?? [])];
    const all: T[] = [];
    for (const byName of this.objects.values()) for (const object of byName.values()) all.push(object);
    return all;
  }

  start(): void {
    this.stopping = false;
    void this.listAndWatch(++this.run);
    const limit = this.options.silenceLimitMs ?? ((this.options.watchTimeoutSeconds ?? 300) + 60) * 1000;
    this.watchdog = setInterval(() => this.checkSilence(limit), Math.max(50, limit / 4));
    this.watchdog.unref();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.run++;
    clearInterval(this.watchdog);
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.watchRequest?.abort();
    this.watchRequest = undefined;
  }

  /** Lists when there is no version to watch from, watches, and again, until this run is replaced. */
  private async listAndWatch(run: number): Promise<void> {
    try {
      while (run === this.run) {
        if (!this.resourceVersion) await this.listAll(run);
        if (run !== this.run) return;
        await this.watch(run);
      }
    } catch (error) {
      if (run === this.run) this.onError(error);
    }
  }

  /**
   * Lists every object into the cache, a page at a time, then sets where the
   * watch starts. What was cached before the list and is not in it is gone:
   * removed and reported deleted once the last page is in.
   */
  private async listAll(run: number): Promise<void> {
    const { resource, path, pageSize = LIST_PAGE_SIZE } = this.options;
    let token = "";
    let resourceVersion = "";
    // Only objects cached before this list began can have gone since: a first list tracks nothing.
    let listed: Set<T> | undefined;
    for (;;) {
      if (!token) listed = this.cachedCount() > 0 ? new Set() : undefined;
      let page: ListPage;
      try {
        page = await listPage(this.rest, resource, path, token, pageSize);
      } catch (error) {
        if (!(token && error instanceof ApiRequestError && error.expired)) throw error;
        if (run !== this.run) return;
        this.options.logger.info(
          { resource, err: error },
          "list expired before its last page; listing again from the first",
        );
        token = "";
        continue;
      }
      if (run !== this.run) return;
      this.markActive();
      if (!token) resourceVersion = page.resourceVersion;
      for (const item of page.items) {
        const cached = this.put(this.project(item));
        listed?.add(cached);
      }
      if (!page.continueToken) break;
      token = page.continueToken;
      await nextTurn();
      if (run !== this.run) return;
    }
    if (listed) this.removeUnlisted(listed);
    this.resourceVersion = resourceVersion;
    // Resolving again after a relist does nothing.
    this.resolveSynced();
  }

  /** Follows changes from `resourceVersion` until the watch ends; rejects on an error. */
  private async watch(run: number): Promise<void> {
    const { resource, path, watchTimeoutSeconds = 300 } = this.options;
    const query = new URLSearchParams({
      watch: "true",
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: "true",
      timeoutSeconds: String(watchTimeoutSeconds),
    });
    // An ERROR event ends this watch at once: nothing it sends later is applied.
    let errorEvent: WatchStatus | undefined;
    let events = 0;
    const opened = Date.now();
    const stream = await this.rest.stream(`${path}?${query}`, (line) => {
      if (errorEvent || run !== this.run) return;
      let event: WatchEvent;
      try {
        event = JSON.parse(line) as WatchEvent;
      } catch (error) {
        // As client-go's streamwatcher.go: an event that does not decode ends the watch.
        throw new Error(`an event of the watch is not JSON: ${line.slice(0, 200)}`, { cause: error });
      }
      const { type, object } = event;
      if (type === "ERROR") {
        errorEvent = (object ?? {}) as WatchStatus;
        stream.abort();
        return;
      }
      events++;
      this.expiredAtOnce = 0;
      this.markActive();
      if (type === "ADDED" || type === "MODIFIED") this.put(this.project(object));
      else if (type === "DELETED") this.remove(this.project(object));
      // Every event, bookmarks too, says where to resume.
      const version = (object as KubernetesObject | undefined)?.metadata?.resourceVersion;
      if (version) this.resourceVersion = version;
    });
    if (run !== this.run) {
      // A watch opened after a stop or restart belongs to no one: close it.
      stream.abort();
      await stream.ended.catch(() => {});
      return;
    }
    this.watchRequest = stream;
    this.stats.lastActivity = Date.now();
    try {
      await stream.ended;
    } catch (error) {
      // A refusal is read as the ERROR event it stands for (an ERROR event's abort ends without one).
      if (!(error instanceof StreamRefused)) throw error;
      errorEvent = { code: error.status, message: statusMessage(error.body) };
    }
    // A stop or restart meanwhile: what this watch saw is no longer this run's to act on.
    if (run !== this.run) return;
    // As client-go's reflector.go ("very short watch"): a watch that ends at once having
    // sent nothing is an error, so a server that keeps doing that is retried after a backoff.
    const atOnce = events === 0 && Date.now() - opened < SHORT_WATCH_MS;
    if (!errorEvent) {
      if (atOnce) throw new ApiRequestError("watch", resource, 0, "the watch ended at once, with no event");
      return;
    }
    if (errorEvent.code !== 410) {
      throw new ApiRequestError("watch", resource, errorEvent.code ?? 0, errorEvent.message ?? "error event");
    }
    // The version it resumed from is older than the server keeps (an ERROR event or the
    // answer's status says so; client-go's reflector.go relists on either): list again.
    this.resourceVersion = "";
    // Once is usual (a watch resumed after a drop); again, right after a list, is a server
    // that expires every watch: the next list waits for the backoff.
    if (atOnce && ++this.expiredAtOnce > 1)
      throw new ApiRequestError("watch", resource, 410, "every watch expires at once; listing again later");
    this.options.logger.info({ resource, err: errorEvent.message }, "watch expired; listing again");
  }

  /** Caches the object and reports it added, or updated when its version differs; returns what is cached. */
  private put(object: T): T {
    const namespace = object.metadata?.namespace ?? "";
    const name = object.metadata?.name ?? "";
    let byName = this.objects.get(namespace);
    if (!byName) {
      byName = new Map();
      this.objects.set(namespace, byName);
    }
    const cached = byName.get(name);
    if (cached && sameVersion(cached, object)) return cached;
    byName.set(name, object);
    if (cached) this.options.onUpdate(object, cached);
    else this.options.onAdd(object);
    return object;
  }

  private remove(object: T): void {
    const namespace = object.metadata?.namespace ?? "";
    const byName = this.objects.get(namespace);
    if (!byName?.delete(object.metadata?.name ?? "")) return;
    if (byName.size === 0) this.objects.delete(namespace);
    this.options.onDelete(object);
  }

  private removeUnlisted(listed: ReadonlySet<T>): void {
    for (const byName of this.objects.values()) {
      for (const object of byName.values()) if (!listed.has(object)) this.remove(object);
    }
  }

  private cachedCount(): number {
    let count = 0;
    for (const byName of this.objects.values()) count += byName.size;
    return count;
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

  /** Ends the current list or watch and starts again: from the last version seen, or with a list. */
  private restart(): void {
    if (this.stopping) return;
    this.stats.restarts++;
    this.options.onRestart?.();
    this.stats.lastActivity = Date.now();
    this.watchRequest?.abort();
    this.watchRequest = undefined;
    void this.listAndWatch(++this.run);
  }
}
