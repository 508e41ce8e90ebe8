// A minimal HTTPS JSON client for tests: verifies the server with its CA, sends the token.
import { Agent, request } from "node:https";
import type { ApiServer } from "../../src/index.js";

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  contentType?: string;
  accept?: string;
  token?: string | null;
}

export interface WatchEvent {
  type: string;
  object: Record<string, unknown>;
  /** The event's line as the server wrote it. */
  line: string;
}

export interface WatchStream {
  /** Resolves with the next event, waiting for it if needed. */
  next(): Promise<WatchEvent>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

export class ApiClient {
  private readonly agent: Agent;
  constructor(private readonly server: ApiServer) {
    this.agent = new Agent({ ca: server.caPem, keepAlive: true });
  }

  close(): void {
    this.agent.destroy();
  }

  private headers(options: RequestOptions): Record<string, string> {
    const headers: Record<string, string> = { Accept: options.accept ?? "application/json" };
    const token = options.token === undefined ? this.server.token : options.token;
    if (token !== null) headers.Authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers["Content-Type"] = options.contentType ?? "application/json";
    return headers;
  }

  send(method: string, path: string, options: RequestOptions = {}): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this.server.url),
        { method, agent: this.agent, headers: this.headers(options) },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let body: Record<string, unknown> = {};
            try {
              body = JSON.parse(text) as Record<string, unknown>;
            } catch {
              // Not JSON (health endpoints); the text is still returned.
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
          });
        },
      );
      req.on("error", reject);
      if (options.body !== undefined)
        req.write(typeof options.body === "string" ? options.body : JSON.stringify(options.body));
      req.end();
    });
  }

  get = (path: string, options?: RequestOptions) => this.send("GET", path, options);
  post = (path: string, body: unknown, options?: RequestOptions) =>
    this.send("POST", path, { ...options, body });
  put = (path: string, body: unknown, options?: RequestOptions) =>
    this.send("PUT", path, { ...options, body });
  delete = (path: string, options?: RequestOptions) => this.send("DELETE", path, options);
  patch = (path: string, body: unknown, contentType = "application/merge-patch+json") =>
    this.send("PATCH", path, { body, contentType });

  watch(path: string, options: RequestOptions = {}): Promise<WatchStream> {
    return new Promise((resolve, reject) => {
      const queue: WatchEvent[] = [];
      const waiters: ((e: WatchEvent) => void)[] = [];
      let endStream = () => {};
      const ended = new Promise<void>((done) => {
        endStream = done;
      });
      const req = request(
        new URL(path, this.server.url),
        { agent: false, ca: this.server.caPem, headers: this.headers(options) },
        (res) => {
          let buffer = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            buffer += chunk;
            let newline = buffer.indexOf("\n");
            while (newline >= 0) {
              const line = buffer.slice(0, newline);
              const event = { ...(JSON.parse(line) as Omit<WatchEvent, "line">), line };
              buffer = buffer.slice(newline + 1);
              const waiter = waiters.shift();
              if (waiter) waiter(event);
              else queue.push(event);
              newline = buffer.indexOf("\n");
            }
          });
          res.on("end", () => endStream());
          res.on("close", () => endStream());
          resolve({
            next: () => {
              const queued = queue.shift();
              return queued ? Promise.resolve(queued) : new Promise((r) => waiters.push(r));
            },
            ended,
            close: () => req.destroy(),
          });
        },
      );
      req.on("error", (error) => {
        endStream();
        reject(error);
      });
      req.end();
    });
  }
}
