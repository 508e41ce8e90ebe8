// `lbipam start` (what `npm start` runs): the embedded API server and the
// controller in one process, the examples applied, and each assignment
// printed as it happens, so a newcomer sees a Service get its address. This
// module reads the flags; local-cluster.ts, loaded only to run, does the rest.
import { statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { listenFlag, parseFlags, usageError } from "./usage.js";

const repository = fileURLToPath(new URL("../../../../../", import.meta.url));

const usage = `usage: lbipam start [--listen HOST:PORT] [--kubeconfig-out FILE] [--examples DIR] [--metrics-listen HOST:PORT]

  --listen           where the embedded API server listens (default 127.0.0.1:0, a free port)
  --kubeconfig-out   kubeconfig for kubectl (default lbipam.kubeconfig)
  --examples         manifests applied at start (default: the repository's examples/)
  --metrics-listen   controller /metrics, /healthz, /readyz (default 127.0.0.1:0)
`;

export async function runStart(args: string[]): Promise<number> {
  const values = parseFlags(
    args,
    {
      listen: { type: "string", default: "127.0.0.1:0" },
      "kubeconfig-out": { type: "string", default: "lbipam.kubeconfig" },
      examples: { type: "string", default: join(repository, "examples") },
      "metrics-listen": { type: "string", default: "127.0.0.1:0" },
    },
    usage,
  );
  if (typeof values === "number") return values;
  const listen = listenFlag(values, "listen", usage);
  if (typeof listen === "number") return listen;
  const metricsListen = listenFlag(values, "metrics-listen", usage);
  if (typeof metricsListen === "number") return metricsListen;
  const examples = String(values.examples);
  if (!statSync(examples, { throwIfNoEntry: false })?.isDirectory()) {
    return usageError(`--examples ${examples}: no such directory`, usage);
  }
  // The API server, the controller and client-node load only now: --help and a refused flag do not wait.
  const { runLocalCluster } = await import("./local-cluster.js");
  return runLocalCluster({
    listen,
    metricsListen,
    kubeconfigOut: String(values["kubeconfig-out"]),
    examples,
    crdDirectory: join(repository, "deploy", "crds"),
    pluginDirectory: join(repository, "node_modules", ".bin"),
  });
}
