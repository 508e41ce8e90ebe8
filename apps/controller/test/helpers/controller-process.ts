// An `lbipam controller` process, as a replica of the Deployment runs it,
// against the test's embedded API server; metrics on a free port.
import { type ChildProcess, type StdioOptions, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const cli = fileURLToPath(new URL("../../../bin/lbipam.js", import.meta.url));

export function spawnController(kubeconfigFile: string, flags: string[], stdio: StdioOptions): ChildProcess {
  return spawn(
    process.execPath,
    [cli, "controller", "--kubeconfig", kubeconfigFile, "--metrics-listen", "127.0.0.1:0", ...flags],
    { stdio },
  );
}
