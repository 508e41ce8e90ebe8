// Finding and running the real kubectl: the dispatcher on PATH and the versioned binaries
// (kubectl.1.27 ...) beside it, which the dispatcher runs for a server of that minor version.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";

export interface KubectlInstall {
  /** The kubectl found on PATH. */
  kubectl: string;
  /** Minor version -> path of kubectl.1.<minor> beside it. */
  versioned: Map<number, string>;
}

export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** undefined when no kubectl is installed. */
export function findKubectl(): KubectlInstall | undefined {
  const which = spawnSync("sh", ["-c", "command -v kubectl"], { encoding: "utf8" });
  const onPath = which.stdout.trim();
  if (which.status !== 0 || !onPath || !existsSync(onPath)) return undefined;
  const real = realpathSync(onPath);
  const versioned = new Map<number, string>();
  for (const file of readdirSync(dirname(real))) {
    const match = /^kubectl\.1\.(\d+)$/.exec(file);
    if (match) versioned.set(Number(match[1]), join(dirname(real), file));
  }
  return { kubectl: onPath, versioned };
}

/** Runs kubectl against a kubeconfig; `stdin` is written to its standard input. */
export function runKubectl(
  binary: string,
  kubeconfig: string,
  cacheDir: string,
  args: string[],
  stdin?: string,
): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ["--kubeconfig", kubeconfig, "--cache-dir", cacheDir, ...args], {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, KUBECONFIG: kubeconfig },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? "");
  });
}
