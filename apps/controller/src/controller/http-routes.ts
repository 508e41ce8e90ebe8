// The controller's small HTTP(S) servers: each answers GET (and HEAD) of a few paths, 404 for
// any other path and 405 for any other method. A route that fails answers 500; it never
// brings the process down.
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { Server as TlsServer } from "node:tls";

export type Route = (
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
) => void | Promise<void>;

export interface ListeningServer {
  /** http://HOST:PORT or https://HOST:PORT, as bound (port 0 resolved). */
  url: string;
  close(): Promise<void>;
}

/** Serves `routes` on `server` (created without a handler), listening at host:port. */
export async function serveRoutes(
  server: Server | HttpsServer,
  host: string,
  port: number,
  routes: Record<string, Route>,
): Promise<ListeningServer> {
  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { Allow: "GET, HEAD" }).end();
      return;
    }
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (!route) {
      response.writeHead(404, { "Content-Type": "text/plain" }).end("not found\n");
      return;
    }
    Promise.resolve()
      .then(() => route(request, response, path))
      .catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(500, { "Content-Type": "text/plain" });
        response.end(`${error instanceof Error ? error.message : String(error)}\n`);
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `${server instanceof TlsServer ? "https" : "http"}://${shownHost}:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
