// `lbipam apiserver`: runs the embedded API server with the project's CRDs until SIGTERM/SIGINT.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { listenFlag, parseFlags, usageError } from "./usage.js";

const usage = `usage: lbipam apiserver [--listen HOST:PORT] [--kubeconfig-out FILE] [--crds DIR]
                        [--kubernetes-version 1.32.4] [--token TOKEN]

  --listen               address to serve on (default 127.0.0.1:0; port 0 picks a free port)
  --kubeconfig-out       where to write a kubeconfig for kubectl and client-node (default lbipam.kubeconfig)
  --crds                 directory of CRD manifests to install (default: the repository's deploy/crds)
  --kubernetes-version   version reported by /version (kubectl's dispatcher picks its binary by it)
  --token                bearer token clients must send (default: random)
`;

const defaultCrdDirectory = fileURLToPath(new URL("../../../../../deploy/crds", import.meta.url));

export async function runApiServer(args: string[]): Promise<number> {
  const values = parseFlags(
    args,
    {
      listen: { type: "string", default: "127.0.0.1:0" },
      "kubeconfig-out": { type: "string", default: "lbipam.kubeconfig" },
      crds: { type: "string", default: defaultCrdDirectory },
      "kubernetes-version": { type: "string" },
      token: { type: "string" },
    },
    usage,
  );
  if (typeof values === "number") return values;
  const listen = listenFlag(values, "listen", usage);
  if (typeof listen === "number") return listen;
  const crds = String(values.crds);
  if (!existsSync(crds)) return usageError(`--crds: no such directory "${crds}"`, usage);
  // Loaded once the flags are good: --help and a refused flag do not wait for them.
  const [{ InvalidOptionError, startApiServer }, { pino }] = await Promise.all([
    import("@lbipam/apiserver"),
    import("pino"),
  ]);
  const log = pino({ name: "lbipam-apiserver" });
  const kubeconfigPath = resolve(String(values["kubeconfig-out"]));
  let server: Awaited<ReturnType<typeof startApiServer>>;
  try {
    server = await startApiServer({
      host: listen.host,
      port: listen.port,
      crdDirectory: crds,
      ...(typeof values["kubernetes-version"] === "string"
        ? { kubernetesVersion: values["kubernetes-version"] }
        : {}),
      ...(typeof values.token === "string" ? { token: values.token } : {}),
    });
  } catch (error) {
    // A flag value the server refuses (a malformed version or token) is a usage error.
    if (error instanceof InvalidOptionError) return usageError(error.message, usage);
    log.error({ err: error }, "apiserver failed to start");
    return 1;
  }
  server.writeKubeconfig(kubeconfigPath);
  log.info(
    { url: server.url, kubeconfig: kubeconfigPath },
    `apiserver ready at ${server.url}, kubeconfig ${kubeconfigPath}`,
  );
  const signal = await new Promise<NodeJS.Signals>((done) => {
    process.once("SIGTERM", () => done("SIGTERM"));
    process.once("SIGINT", () => done("SIGINT"));
  });
  log.info({ signal }, "apiserver stopping");
  await server.stop();
  log.info("apiserver stopped");
  return 0;
}
