// JSON requests to the API server over one keep-alive connection pool.
// client-node 1.x builds a new TLS agent (and handshake) for every request,
// which capped the controller at under a hundred writes a second; writes go
// through this client instead. Credentials come from the KubeConfig, read
// again every minute so rotated tokens and certificates are picked up.
import { Agent, type RequestOptions, request } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";

export interface RestReply {
  status: number;
  body: string;
}

const REFRESH_MS = 60_000;

export class RestClient {
  private agent: Agent | undefined;
  private headers: Record<string, string> = {};
  private refreshedAt = 0;
  private readonly server: URL;

  constructor(
    private readonly kubeconfig: KubeConfig,
    private readonly maxSockets = 64,
    /** A request whose connection stays silent this long fails; none when absent. */
    private readonly timeoutMs?: number,
  ) {
    const cluster = kubeconfig.getCurrentCluster();
    if (!cluster) throw new Error("the kubeconfig has no current cluster");
    this.server = new URL(cluster.server);
  }

  private async credentials(): Promise<Agent> {
    if (this.agent && Date.now() - this.refreshedAt < REFRESH_MS) return this.agent;
    const options: RequestOptions = {};
    await this.kubeconfig.applyToHTTPSOptions(options);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (typeof value === "string") headers[name] = value;
    }
    if (options.auth) headers.Authorization = `Basic ${Buffer.from(options.auth).toString("base64")}`;
    this.headers = headers;
    this.agent?.destroy();
    this.agent = new Agent({
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      rejectUnauthorized: options.rejectUnauthorized,
      servername: options.servername,
      keepAlive: true,
      maxSockets: this.maxSockets,
    });
    this.refreshedAt = Date.now();
    return this.agent;
  }

  async send(
    method: string,
    path: string,
    body?: unknown,
    contentType = "application/json",
  ): Promise<RestReply> {
    const agent = await this.credentials();
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = { ...this.headers, Accept: "application/json" };
    if (text !== undefined) {
      headers["Content-Type"] = contentType;
      headers["Content-Length"] = Buffer.byteLength(text);
    }
    const url = new URL(this.server.pathname.replace(/\/$/, "") + path, this.server);
    return new Promise((resolve, reject) => {
      const req = request(url, { method, agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
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

  close(): void {
    this.agent?.destroy();
  }
}
