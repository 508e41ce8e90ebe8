// `lbipam controller --metrics-secure`, as controller-runtime's secure metrics serving
// (pkg/metrics/server/server.go, pkg/metrics/filters/filters.go), run as a process against the
// embedded API server: /metrics over HTTPS, reviewed by the server's TokenReview and
// SubjectAccessReview; the probes on their own plain listener, for anyone.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { KubeConfig } from "@kubernetes/client-node";
import { type ApiServer, startApiServer } from "@lbipam/apiserver";
import { parseControllerFlags } from "../src/commands/controller.js";
import { MetricsAccess } from "../src/controller/metrics-access.js";
import { startMetricsServer } from "../src/controller/metrics-server.js";
import { RestClient } from "../src/controller/rest-client.js";
import {
  CERT_FILE,
  KEY_FILE,
  type ServingCertificate,
  selfSignedCertificate,
} from "../src/controller/serving-certificate.js";
import { crdDirectory, quietLogger } from "./helpers/cluster.js";
import { spawnController } from "./helpers/controller-process.js";
import { idleMetrics } from "./helpers/metrics.js";
import { type Serving, scrape, servingOf } from "./helpers/scrape.js";

const READ_METRICS = [{ nonResourceURLs: ["/metrics"], verbs: ["get"] }];
const reader = (name: string) => ({ token: `${name}-token`, username: name, rules: READ_METRICS });
const SECURE = ["--metrics-secure", "--health-listen", "127.0.0.1:0", "--leader-elect=false"];

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), "lbipam-metrics-secure-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** An embedded API server that knows the users, and a kubeconfig file for it. */
async function apiServer(
  users: ReturnType<typeof reader>[],
): Promise<{ server: ApiServer; kubeconfig: string }> {
  const server = await startApiServer({ port: 0, crdDirectory, users });
  const kubeconfig = join(mkdtempSync(join(dir, "api-")), "kubeconfig");
  server.writeKubeconfig(kubeconfig);
  return { server, kubeconfig };
}

interface Running {
  child: ChildProcess;
  serving: Serving;
  log: () => string;
  stop(): Promise<number | null>;
}

async function controllerProcess(kubeconfig: string, flags: string[]): Promise<Running> {
  const child = spawnController(kubeconfig, flags, ["ignore", "pipe", "pipe"]);
  let log = "";
  child.stdout?.on("data", (c: Buffer) => {
    log += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    log += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
  return {
    child,
    serving: await servingOf(child),
    log: () => log,
    stop: () => {
      child.kill("SIGTERM");
      return exited;
    },
  };
}

async function until(done: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await done()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("a controller serving /metrics securely", () => {
  let server: ApiServer;
  let controller: Running;
  const metrics = () => `${controller.serving.url}/metrics`;
  const reviews = () => ({
    tokens: server.counters.total({ verb: "create", resource: "tokenreviews" }),
    access: server.counters.total({ verb: "create", resource: "subjectaccessreviews" }),
  });

  before(async () => {
    const api = await apiServer([
      reader("prometheus"),
      reader("storm"),
      reader("unlucky"),
      reader("unluckier"),
      { token: "nobody-token", username: "nobody", rules: [] },
    ]);
    server = api.server;
    controller = await controllerProcess(api.kubeconfig, SECURE);
  });
  after(async () => {
    await controller?.stop();
    await server?.stop();
  });

  it("serves /metrics over HTTPS only, and the probes over plain HTTP on their own port", async () => {
    assert.match(controller.serving.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(controller.serving.healthUrl ?? "", /^http:\/\/127\.0\.0\.1:\d+$/);
    await assert.rejects(fetch(`${controller.serving.url.replace("https:", "http:")}/metrics`));
    await until(
      async () => (await fetch(`${controller.serving.healthUrl}/readyz`)).status === 200,
      "/readyz, without a token",
    );
    assert.equal((await fetch(`${controller.serving.healthUrl}/healthz`)).status, 200);
    assert.equal((await fetch(`${controller.serving.healthUrl}/metrics`)).status, 404, "no metrics there");
    assert.equal((await scrape(`${controller.serving.url}/healthz`, server.token)).status, 404, "no probes");
  });

  it("answers 401 without a token and with one the API server rejects, 403 when not allowed", async () => {
    const none = await scrape(metrics());
    assert.equal(none.status, 401);
    assert.equal(none.text, "Unauthorized\n");
    assert.equal((await scrape(metrics(), "forged-token")).status, 401);
    const nobody = await scrape(metrics(), "nobody-token");
    assert.equal(nobody.status, 403);
    assert.equal(nobody.text, 'Forbidden: user "nobody" may not get /metrics\n');
  });

  it("serves Prometheus text to a user allowed to get /metrics, and to the admin", async () => {
    for (const token of ["prometheus-token", server.token]) {
      const allowed = await scrape(metrics(), token);
      assert.equal(allowed.status, 200, allowed.text);
      assert.match(allowed.contentType ?? "", /^text\/plain; version=0\.0\.4/);
      assert.match(allowed.text, /^# TYPE lbipam_services gauge$/m);
    }
  });

  it("presents a self-signed certificate for localhost made at start", async () => {
    const { certificate } = await scrape(metrics());
    assert.equal(certificate.subject.CN, "lbipam-controller-metrics");
    assert.equal(certificate.issuer.CN, "lbipam-controller-metrics");
    assert.equal(
      certificate.subjectaltname,
      "DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1",
    );
  });

  it("costs one TokenReview and one SubjectAccessReview for a storm of scrapes with one token", async () => {
    server.counters.reset();
    const storm = await Promise.all(Array.from({ length: 40 }, () => scrape(metrics(), "storm-token")));
    assert.deepEqual(
      storm.map((s) => s.status),
      Array(40).fill(200),
    );
    for (let i = 0; i < 10; i++) assert.equal((await scrape(metrics(), "storm-token")).status, 200);
    for (let i = 0; i < 10; i++) assert.equal((await scrape(metrics(), "another-forged-token")).status, 401);
    assert.deepEqual(reviews(), { tokens: 2, access: 1 });
  });

  it("answers 500 when a review fails, logs why, keeps serving, and reviews the next request again", async () => {
    for (const [resource, token] of [
      ["tokenreviews", "unlucky-token"],
      ["subjectaccessreviews", "unluckier-token"],
    ] as const) {
      server.faults.failNext({ verb: "create", resource, code: 500, count: 1 });
      const failed = await scrape(metrics(), token);
      assert.equal(failed.status, 500, resource);
      assert.equal((await scrape(metrics(), token)).status, 200, `${resource}: nothing kept of the failure`);
      // The log line comes through the child's stdout, which may arrive after the answer.
      const why = new RegExp(
        `cannot tell whether a /metrics request may be served: create ${resource} failed with 500`,
      );
      await until(async () => why.test(controller.log()), `the log says why (${resource})`);
    }
    assert.equal(controller.child.exitCode, null, "still running");
  });

  it("counts its reviews in lbipam_api_requests_total", async () => {
    const { text } = await scrape(metrics(), "prometheus-token");
    assert.match(
      text,
      /^lbipam_api_requests_total\{verb="create",resource="tokenreviews",code="201"\} [1-9]/m,
    );
    assert.match(
      text,
      /^lbipam_api_requests_total\{verb="create",resource="subjectaccessreviews",code="500"\} 1$/m,
    );
  });
});

describe("the serving certificate", () => {
  async function writeCertificate(directory: string): Promise<ServingCertificate> {
    const certificate = await selfSignedCertificate();
    writeFileSync(join(directory, CERT_FILE), certificate.cert);
    writeFileSync(join(directory, KEY_FILE), certificate.key);
    return certificate;
  }
  const serial = (pem: string) => new X509Certificate(pem).serialNumber;

  it("is tls.crt and tls.key of --metrics-cert-dir, served again when they change", async () => {
    const certs = mkdtempSync(join(dir, "certs-"));
    const first = await writeCertificate(certs);
    const api = await apiServer([]);
    const kubeconfig = new KubeConfig();
    kubeconfig.loadFromFile(api.kubeconfig);
    const rest = new RestClient(kubeconfig, 1);
    const served = await startMetricsServer("127.0.0.1", 0, idleMetrics().registry, {
      secure: true,
      certificate: first,
      certificateDir: certs,
      reloadIntervalMs: 50,
      access: new MetricsAccess(rest),
      logger: quietLogger,
    });
    try {
      const before = await scrape(`${served.url}/metrics`, api.server.token);
      assert.equal(before.status, 200);
      assert.equal(before.certificate.serialNumber, serial(first.cert));
      const second = await writeCertificate(certs);
      await until(
        async () => (await scrape(`${served.url}/metrics`)).certificate.serialNumber === serial(second.cert),
        "the rotated certificate",
      );
    } finally {
      await served.close();
      rest.close();
      await api.server.stop();
    }
  });

  it("that cannot be read stops the controller at start with the reason, not a stack trace", async () => {
    const api = await apiServer([]);
    try {
      const child = spawnController(
        api.kubeconfig,
        [...SECURE, "--metrics-cert-dir", join(dir, "no-such-dir")],
        ["ignore", "pipe", "pipe"],
      );
      let out = "";
      child.stdout?.on("data", (c: Buffer) => {
        out += c.toString();
      });
      const code = await new Promise((resolve) => child.once("close", resolve));
      assert.equal(code, 1);
      const line = JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as { msg?: string; err?: unknown };
      assert.match(
        line.msg ?? "",
        /^cannot serve \/metrics: the certificate in \S+no-such-dir: cannot read it: ENOENT/,
      );
      assert.equal(line.err, undefined, "no stack trace");
      assert.equal(api.server.counters.total({}), 0, "it stopped before asking the API anything");
    } finally {
      await api.server.stop();
    }
  });
});

describe("the serving flags", () => {
  const serving = (args: string[]) => {
    const flags = parseControllerFlags(args);
    if (typeof flags === "string") return flags;
    const { metricsListen, metricsSecure, metricsCertDir, healthListen } = flags;
    return { metricsListen, metricsSecure, metricsCertDir, healthListen };
  };

  it("default to plain /metrics with the probes beside it, on 127.0.0.1:9464", () => {
    assert.deepEqual(serving([]), {
      metricsListen: { host: "127.0.0.1", port: 9464 },
      metricsSecure: false,
      metricsCertDir: undefined,
      healthListen: undefined,
    });
  });

  it("move the probes to 127.0.0.1:8081 when /metrics is secure, or where --health-listen says", () => {
    for (const args of [["--metrics-secure"], ["--metrics-secure", "true"], ["--metrics-secure=true"]]) {
      assert.deepEqual(serving(args), {
        metricsListen: { host: "127.0.0.1", port: 9464 },
        metricsSecure: true,
        metricsCertDir: undefined,
        healthListen: { host: "127.0.0.1", port: 8081 },
      });
    }
    assert.deepEqual(serving(["--metrics-secure=false", "--health-listen", "0.0.0.0:8082"]), {
      metricsListen: { host: "127.0.0.1", port: 9464 },
      metricsSecure: false,
      metricsCertDir: undefined,
      healthListen: { host: "0.0.0.0", port: 8082 },
    });
    assert.equal(
      (serving(["--metrics-secure", "--metrics-cert-dir", "/certs"]) as { metricsCertDir: string })
        .metricsCertDir,
      "/certs",
    );
  });

  it("refuse what cannot work, naming the flag", () => {
    const refusals: [string[], RegExp][] = [
      [["--metrics-secure=yes"], /^--metrics-secure: "yes" must be true or false$/],
      [["--metrics-cert-dir", "/certs"], /^--metrics-cert-dir: needs --metrics-secure$/],
      [["--health-listen", "8081"], /^--health-listen: "8081" is not HOST:PORT$/],
      [
        ["--metrics-listen", "127.0.0.1:9000", "--health-listen", "127.0.0.1:9000"],
        /^--health-listen: 127\.0\.0\.1:9000 is --metrics-listen too/,
      ],
    ];
    for (const [args, problem] of refusals) assert.match(String(serving(args)), problem, args.join(" "));
  });
});
