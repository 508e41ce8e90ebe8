// JSON requests to the API server over one keep-alive connection pool, and
// watches read line by line. client-node 1.x builds a new TLS agent (and
// handshake) for every request, which capped the controller at under a
// hundred writes a second, and reads a watch through node-fetch, a
// PassThrough and readline (about 5% of the controller's CPU in a burst); both
// go through this client instead. Credentials come from the KubeConfig, read
// again every minute so rotated tokens and certificates are picked up.
import { Agent, type RequestOptions, request } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";

export interface RestReply {
  readonly status: number;
  readonly body: string;
}

/** A watch's answer being read line by line; `ended` settles when it ends. */
export interface LineStream {
  /** Resolves when the server ends the answer or on abort(); rejects on an error, a status other than 200, or a line over the limit. */
  readonly ended: Promise<void>;
  abort(): void;
}

/** A status other than 200 to a streamed request, with the Status message the server sent. */
export class StreamRefused extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`answered ${status}`);
  }
}

const REFRESH_MS = 60_000;
/** A watch event longer than this is no Kubernetes object (etcd keeps at most 1.5 MiB of one). */
export const MAX_LINE_CHARS = 16 * 1024 * 1024;
/** What of a refused stream's answer is kept for its message. */
const REFUSAL_CHARS = 64 * 1024;

/** The answer's body, decoded when first read: a write's answer mostly is not. */
class BufferedReply implements RestReply {
  private text: string | undefined;

  constructor(
    readonly status: number,
    private readonly chunks: Buffer[],
  ) {}

  get body(): string {
    this.text ??= Buffer.concat(this.chunks).toString("utf8");
    return this.text;
  }
}

export class RestClient {
  private agent: Agent | undefined;
  /** Watches hold their connection for minutes: they get sockets of their own, not the pool's. */
  private streamAgent: Agent | undefined;
  private headers: Record<string, string> = {};
  private refreshedAt = 0;
  /** The TLS material the agents were made with. */
  private tlsText = "";
  private readonly hostname: string;
  private readonly port: string;
  private readonly basePath: string;

  constructor(
    private readonly kubeconfig: KubeConfig,
    private readonly maxSockets = 64,
    /** A request whose connection stays silent this long fails; none when absent. */
    private readonly timeoutMs?: number,
  ) {
    const cluster = kubeconfig.getCurrentCluster();
    if (!cluster) throw new Error("the kubeconfig has no current cluster");
    const server = new URL(cluster.server);
    // As node:url's urlToHttpOptions does: an IPv6 literal without its brackets.
    this.hostname = server.hostname.replace(/^\[(.*)\]$/, "$1");
    this.port = server.port;
    this.basePath = server.pathname.replace(/\/$/, "");
  }

  /** The pool's agent while its credentials are fresh, else undefined. */
  private freshAgent(): Agent | undefined {
    return Date.now() - this.refreshedAt < REFRESH_MS ? this.agent : undefined;
  }

  private async credentials(): Promise<Agent> {
    const fresh = this.freshAgent();
    if (fresh) return fresh;
    const options: RequestOptions = {};
    await this.kubeconfig.applyToHTTPSOptions(options);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (typeof value === "string") headers[name] = value;
    }
    if (options.auth) headers.Authorization = `Basic ${Buffer.from(options.auth).toString("base64")}`;
    this.headers = headers;
    const tls = {
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      rejectUnauthorized: options.rejectUnauthorized,
      servername: options.servername,
    };
    // A rotated token changes only the headers: the agents, and the requests on them, stay.
    const tlsText = JSON.stringify(tls);
    if (!this.agent || tlsText !== this.tlsText) {
      this.agent?.destroy();
      this.agent = new Agent({ ...tls, keepAlive: true, maxSockets: this.maxSockets });
      // Open watches keep the agent they started with; it is let go, not destroyed.
      this.streamAgent = new Agent(tls);
      this.tlsText = tlsText;
    }
    this.refreshedAt = Date.now();
    return this.agent;
  }

  private options(method: string, path: string, agent: Agent, headers: Record<string, string | number>) {
    return { hostname: this.hostname, port: this.port, path: this.basePath + path, method, agent, headers };
  }

  async send(
    method: string,
    path: string,
    body?: unknown,
    contentType = "application/json",
  ): Promise<RestReply> {
    // No await while the credentials are fresh: a write costs no extra turn of the microtask queue.
    const agent = this.freshAgent() ?? (await this.credentials());
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = { ...this.headers, Accept: "application/json" };
    if (text !== undefined) {
      headers["Content-Type"] = contentType;
      headers["Content-Length"] = Buffer.byteLength(text);
    }
    return new Promise((resolve, reject) => {
      const req = request(this.options(method, path, agent, headers), (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve(new BufferedReply(res.statusCode ?? 0, chunks)));
        res.on("error", reject);
      });
      req.on("error", reject);
      const { timeoutMs } = this;
      if (timeoutMs !== undefined) {
        req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      }
      req.end(text);
    });
  }

  /**
   * GETs `path` and hands each line of the answer to `onLine` as it arrives
   * (a watch: one JSON event a line). The stream ends when the server ends
   * the answer or the connection drops under it, which client-go treats
   * alike (apimachinery/pkg/watch/streamwatcher.go: EOF and unexpected EOF
   * both end the watch, to be reopened). It fails on a status other than
   * 200, on a line over `maxLineChars` (not buffered further), and when
   * `onLine` throws. `abort()` ends it at once, without an error, and no line
   * is handed over after it, not even one already received.
   */
  async stream(
    path: string,
    onLine: (line: string) => void,
    maxLineChars = MAX_LINE_CHARS,
  ): Promise<LineStream> {
    await this.credentials();
    const agent = this.streamAgent;
    if (!agent) throw new Error("no agent for streams");
    const headers = { ...this.headers, Accept: "application/json" };
    let abort = () => {};
    // Once aborted, no further line is handed over and the stream ends without an error.
    let aborted = false;
    const ended = new Promise<void>((resolve, reject) => {
      const req = request(this.options("GET", path, agent, headers), (res) => {
        res.setEncoding("utf8");
        // Errors on the answer end in its close, handled below.
        res.on("error", () => {});
        if (res.statusCode !== 200) {
          let refusal = "";
          const refuse = () => reject(new StreamRefused(res.statusCode ?? 0, refusal));
          res.on("data", (chunk: string) => {
            refusal += chunk;
            // Enough for its message: an answer that goes on is not waited for.
            if (refusal.length >= REFUSAL_CHARS) res.destroy();
          });
          res.on("close", refuse);
          return;
        }
        let partial = "";
        let failure: unknown;
        const tooLong = () => new Error(`a line of the answer is over ${maxLineChars} characters`);
        res.on("data", (chunk: string) => {
          if (failure !== undefined || aborted) return;
          let start = 0;
          let newline = chunk.indexOf("\n");
          try {
            while (newline >= 0 && !aborted) {
              const line = partial + chunk.slice(start, newline);
              partial = "";
              if (line.length > maxLineChars) throw tooLong();
              if (line) onLine(line);
              start = newline + 1;
              newline = chunk.indexOf("\n", start);
            }
            partial += chunk.slice(start);
            if (partial.length > maxLineChars) throw tooLong();
          } catch (error) {
            failure = error;
            res.destroy();
          }
        });
        res.on("close", () => (failure === undefined ? resolve() : reject(failure)));
      });
      req.on("socket", (socket) => socket.setKeepAlive(true, 30_000));
      req.on("error", (error) => (aborted ? resolve() : reject(error)));
      abort = () => {
        aborted = true;
        req.destroy();
        resolve();
      };
      req.end();
    });
    return { ended, abort };
  }

  close(): void {
    this.agent?.destroy();
    this.streamAgent?.destroy();
  }
}
