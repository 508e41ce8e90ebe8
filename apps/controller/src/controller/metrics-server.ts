// /metrics, served as controller-runtime's metrics server does (pkg/metrics/server/server.go):
// securely, over HTTPS, each request authenticated and authorized by the API server
// (metrics-access.ts: 401 without a good token, 403 when not allowed, 500 when a review
// fails); or as plain HTTP for anyone, with /healthz and /readyz beside it, for local runs.
import { createServer as createHttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Registry } from "prom-client";
import { type HealthSources, probeRoutes } from "./health-server.js";
import { type ListeningServer, type Route, serveRoutes } from "./http-routes.js";
import type { MetricsAccess } from "./metrics-access.js";
import { type ServingCertificate, watchCertificateDir } from "./serving-certificate.js";

export interface MetricsLogger {
  info(fields: object, message: string): void;
  error(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

export type MetricsServing =
  | { secure: false; probes?: HealthSources }
  | {
      secure: true;
      certificate: ServingCertificate;
      /** Where the certificate came from, read again every `reloadIntervalMs`; none: self-signed. */
      certificateDir?: string;
      reloadIntervalMs?: number;
      access: MetricsAccess;
      logger: MetricsLogger;
    };

const METRICS_PATH = "/metrics";
/** How often a certificate directory is read again (controller-runtime's certwatcher: every 10 s, besides file events). */
const RELOAD_INTERVAL_MS = 10_000;

function metricsRoute(registry: Registry): Route {
  return async (_request, response) => {
    const text = await registry.metrics();
    response.writeHead(200, { "Content-Type": registry.contentType }).end(text);
  };
}

/** `route`, for callers the API server authenticates and allows to get the path (metrics-access.ts). */
function reviewed(route: Route, access: MetricsAccess, logger: MetricsLogger): Route {
  return async (request, response, path) => {
    // controller-runtime's attributes: the lowercase method as the verb, the URL's path.
    const verb = (request.method ?? "GET").toLowerCase();
    const decision = await access.decide(request.headers.authorization, verb, path);
    const plain = { "Content-Type": "text/plain" };
    switch (decision.code) {
      case 200:
        return route(request, response, path);
      case 401:
        logger.debug({ path, reason: decision.reason }, `${path} refused: not authenticated`);
        response.writeHead(401, plain).end("Unauthorized\n");
        return;
      case 403:
        logger.debug(
          { path, user: decision.user, reason: decision.reason },
          `${path} refused: ${decision.user} may not ${verb} it`,
        );
        response.writeHead(403, plain).end(`Forbidden: user "${decision.user}" may not ${verb} ${path}\n`);
        return;
      case 500:
        logger.error(
          { path, err: decision.error },
          `cannot tell whether a ${path} request may be served: ${decision.error.message}`,
        );
        response
          .writeHead(500, plain)
          .end("Internal Server Error: the Kubernetes API did not review the request\n");
        return;
    }
  };
}

export async function startMetricsServer(
  host: string,
  port: number,
  registry: Registry,
  serving: MetricsServing,
): Promise<ListeningServer> {
  if (!serving.secure) {
    const routes = {
      [METRICS_PATH]: metricsRoute(registry),
      ...(serving.probes ? probeRoutes(serving.probes) : {}),
    };
    return serveRoutes(createHttpServer(), host, port, routes);
  }
  const { certificate, certificateDir, access, logger } = serving;
  const server = createHttpsServer(certificate);
  const listening = await serveRoutes(server, host, port, {
    [METRICS_PATH]: reviewed(metricsRoute(registry), access, logger),
  });
  if (certificateDir === undefined) return listening;
  const watch = watchCertificateDir(
    certificateDir,
    certificate,
    serving.reloadIntervalMs ?? RELOAD_INTERVAL_MS,
    (next) => {
      server.setSecureContext(next);
      logger.info({ certificateDir }, `serving the new certificate of ${certificateDir}`);
    },
    (error) => logger.error({ err: error }, `${error.message}; still serving the previous one`),
  );
  return {
    url: listening.url,
    close: async () => {
      watch.stop();
      await listening.close();
    },
  };
}
