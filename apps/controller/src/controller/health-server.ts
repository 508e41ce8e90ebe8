// /healthz and /readyz: plain HTTP, never authenticated (the kubelet probes them with no
// credentials), on their own listener, as controller-runtime's HealthProbeBindAddress; or
// beside plain /metrics (metrics-server.ts) when the metrics are not served securely.
import { createServer } from "node:http";
import { type ListeningServer, type Route, serveRoutes } from "./http-routes.js";

export interface HealthSources {
  /** Live: the process works (event loop turning, no fatal state). */
  healthy(): { ok: boolean; detail: string };
  /** Ready: caches synced (and, with leader election, either leading or a warm standby). */
  ready(): { ok: boolean; detail: string };
}

const check =
  (probe: () => { ok: boolean; detail: string }): Route =>
  (_request, response) => {
    const { ok, detail } = probe();
    response.writeHead(ok ? 200 : 503, { "Content-Type": "text/plain" }).end(`${detail}\n`);
  };

export function probeRoutes(sources: HealthSources): Record<string, Route> {
  return { "/healthz": check(() => sources.healthy()), "/readyz": check(() => sources.ready()) };
}

export function startHealthServer(
  host: string,
  port: number,
  sources: HealthSources,
): Promise<ListeningServer> {
  return serveRoutes(createServer(), host, port, probeRoutes(sources));
}
