// Scraping a controller's /metrics as Prometheus does from a ServiceMonitor with
// `scheme: https`, a bearer token and `insecureSkipVerify`; and finding where a controller
// process serves, from its log line.
import type { ChildProcess } from "node:child_process";
import { request } from "node:https";
import type { PeerCertificate, TLSSocket } from "node:tls";

export interface Scrape {
  status: number;
  contentType: string | undefined;
  text: string;
  /** The certificate the server presented. */
  certificate: PeerCertificate;
}

/** GET `url` over HTTPS without verifying the server, with `token` as the bearer token if any. */
export function scrape(url: string, token?: string): Promise<Scrape> {
  return new Promise((resolve, reject) => {
    const headers = token === undefined ? {} : { Authorization: `Bearer ${token}` };
    const req = request(url, { rejectUnauthorized: false, agent: false, headers }, (res) => {
      const certificate = (res.socket as TLSSocket).getPeerCertificate();
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers["content-type"],
          text: Buffer.concat(chunks).toString("utf8"),
          certificate,
        }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

export interface Serving {
  /** Where /metrics is (https:// when secure). */
  url: string;
  /** Where /healthz and /readyz are, when on a listener of their own. */
  healthUrl: string | undefined;
}

/** The controller's "metrics at ..." log line, once it prints it. */
export function servingOf(child: ChildProcess): Promise<Serving> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      // Whole lines only: the last may still be arriving.
      for (const line of seen.split("\n").slice(0, -1)) {
        if (!line.startsWith("{")) continue;
        const entry = JSON.parse(line) as { url?: unknown; healthUrl?: unknown };
        if (typeof entry.url !== "string") continue;
        child.stdout?.off("data", onData);
        resolve({
          url: entry.url,
          healthUrl: typeof entry.healthUrl === "string" ? entry.healthUrl : undefined,
        });
        return;
      }
    };
    child.stdout?.on("data", onData);
    child.once("close", (code) =>
      reject(new Error(`the controller exited (${code}) before serving:\n${seen}`)),
    );
  });
}
