// /metrics, /healthz and /readyz on one small HTTP server.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface HealthSources {
  registry: Registry;
  /** Live: the process works (event loop turning, no fatal state). */
  healthy(): { ok: boolean; detail: string };
  /** Ready: caches synced (and, with leader election, either leading or a warm standby). */
  ready(): { ok: boolean; detail: string };
}

export interface HealthServer {
  url: string;
  close(): Promise<void>;
}

export async function startHealthServer(
  host: string,
  port: number,
  sources: HealthSources,
): Promise<HealthServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { Allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/metrics") {
      sources.registry.metrics().then(
        (text) => response.writeHead(200, { "Content-Type": sources.registry.contentType }).end(text),
        (error: unknown) => response.writeHead(500).end(String(error)),
      );
      return;
    }
    const check = path === "/healthz" ? sources.healthy() : path === "/readyz" ? sources.ready() : undefined;
    if (!check) {
      response.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
      return;
    }
    response.writeHead(check.ok ? 200 : 503, { "Content-Type": "text/plain" }).end(`${check.detail}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
