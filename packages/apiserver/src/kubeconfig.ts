// A kubeconfig that kubectl and client-node accept: the server URL, the CA that signed the
// serving certificate, and the bearer token.
import { randomBytes } from "node:crypto";
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { stringify } from "yaml";

export interface KubeconfigInput {
  url: string;
  caPem: string;
  token: string;
  /** Context, cluster and user name. */
  name?: string;
}

export function renderKubeconfig({ url, caPem, token, name = "lbipam" }: KubeconfigInput): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      { name, cluster: { server: url, "certificate-authority-data": Buffer.from(caPem).toString("base64") } },
    ],
    users: [{ name, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: "default" } }],
    "current-context": name,
    preferences: {},
  });
}

/**
 * Writes a kubeconfig readable by its owner only (0600), also over an existing file: the file is
 * written new beside it and renamed over it, so the token is never in a file of a wider mode
 * (writeFileSync's mode applies only to a file it creates).
 */
export function writeKubeconfigFile(path: string, text: string): void {
  const fresh = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  try {
    writeFileSync(fresh, text, { mode: 0o600, flag: "wx" });
    renameSync(fresh, path);
  } catch (error) {
    rmSync(fresh, { force: true });
    throw error;
  }
}
