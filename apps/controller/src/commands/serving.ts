// Where `lbipam controller` serves /metrics and the probes, from its flags: plain /metrics with
// the probes beside it (the default, for local runs), or, with --metrics-secure, /metrics over
// HTTPS for callers the API server authenticates and authorizes and the probes on
// --health-listen. The certificate is prepared before the controller connects anywhere.
import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import type { Controller } from "../controller/controller.js";
import { startHealthServer } from "../controller/health-server.js";
import { MetricsAccess } from "../controller/metrics-access.js";
import { type MetricsServing, startMetricsServer } from "../controller/metrics-server.js";
import { RestClient } from "../controller/rest-client.js";
import {
  readCertificateDir,
  type ServingCertificate,
  selfSignedCertificate,
} from "../controller/serving-certificate.js";
import { ServingCertificateError } from "../errors.js";
import type { ServingFlags } from "./controller.js";

/** Most a review may take: controller-runtime's TokenAccessReviewTimeout. */
const REVIEW_TIMEOUT_MS = 10_000;
/** The reviews' own connections, apart from the controller's: a scrape storm delays no write. */
const REVIEW_SOCKETS = 4;

export interface PreparedServing {
  /** Starts the listeners for this controller and logs where they are. */
  start(controller: Controller): Promise<{ close(): Promise<void> }>;
}

/** undefined when the certificate of --metrics-cert-dir cannot be served (logged). */
export async function prepareServing(
  flags: ServingFlags,
  kubeconfig: KubeConfig,
  log: Logger,
): Promise<PreparedServing | undefined> {
  let certificate: ServingCertificate | undefined;
  if (flags.metricsSecure) {
    try {
      certificate = flags.metricsCertDir
        ? readCertificateDir(flags.metricsCertDir)
        : await selfSignedCertificate();
    } catch (error) {
      if (!(error instanceof ServingCertificateError)) throw error;
      log.error(
        { certificateDir: error.directory, reason: error.message },
        `cannot serve /metrics: ${error.message}`,
      );
      return undefined;
    }
  }
  return { start: (controller) => serve(flags, certificate, kubeconfig, controller, log) };
}

async function serve(
  flags: ServingFlags,
  certificate: ServingCertificate | undefined,
  kubeconfig: KubeConfig,
  controller: Controller,
  log: Logger,
): Promise<{ close(): Promise<void> }> {
  const probes = { healthy: () => ({ ok: true, detail: "ok" }), ready: () => controller.readiness() };
  const reviews = certificate ? new RestClient(kubeconfig, REVIEW_SOCKETS, REVIEW_TIMEOUT_MS) : undefined;
  const serving: MetricsServing =
    certificate && reviews
      ? {
          secure: true,
          certificate,
          ...(flags.metricsCertDir ? { certificateDir: flags.metricsCertDir } : {}),
          access: new MetricsAccess(reviews, {
            observe: (verb, resource, code) =>
              controller.metrics.apiRequests.inc({ verb, resource, code: String(code) }),
          }),
          logger: log,
        }
      : { secure: false, ...(flags.healthListen ? {} : { probes }) };
  const { host, port } = flags.metricsListen;
  const metrics = await startMetricsServer(host, port, controller.metrics.registry, serving);
  const health = flags.healthListen
    ? await startHealthServer(flags.healthListen.host, flags.healthListen.port, probes)
    : undefined;
  if (health) {
    const how = serving.secure ? " (TokenReview and SubjectAccessReview)" : "";
    log.info(
      { url: metrics.url, healthUrl: health.url, secure: serving.secure },
      `metrics at ${metrics.url}/metrics${how}, health at ${health.url}`,
    );
  } else {
    log.info({ url: metrics.url }, `metrics and health at ${metrics.url}`);
  }
  return {
    async close() {
      await Promise.all([metrics.close(), health?.close()]);
      reviews?.close();
    },
  };
}
