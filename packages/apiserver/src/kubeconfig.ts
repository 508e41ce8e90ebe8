// A kubeconfig that kubectl and client-node accept: the server URL, the CA that signed the
// serving certificate, and the bearer token.
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
