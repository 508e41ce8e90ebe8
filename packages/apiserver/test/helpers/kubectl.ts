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

export interface RunningKubectl {
  /** Resolves with the output so far once it matches `pattern`. */
  waitFor(pattern: RegExp): Promise<string>;
  /** Resolves when kubectl exits. */
  exited: Promise<KubectlResult>;
  running(): boolean;
  stop(): void;
}

/** Starts a kubectl that keeps running (get -w, delete --wait). */
export function startKubectl(
  binary: string,
  kubeconfig: string,
  cacheDir: string,
  args: string[],
): RunningKubectl {
  const child = spawn(binary, ["--kubeconfig", kubeconfig, "--cache-dir", cacheDir, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const watchers: { pattern: RegExp; resolve: (s: string) => void }[] = [];
  const check = () => {
    for (const w of [...watchers]) {
      if (w.pattern.test(stdout)) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(stdout);
      }
    }
  };
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString();
    check();
  });
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<KubectlResult>((resolve) =>
    child.on("close", (code) => {
      exitCode = code;
      resolve({ code, stdout, stderr });
    }),
  );
  return {
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        watchers.push({ pattern, resolve });
        check();
        void exited.then((r) =>
          reject(new Error(`kubectl exited (${r.code}) before ${pattern}: ${r.stdout}${r.stderr}`)),
        );
      }),
    exited,
    running: () => exitCode === undefined,
    stop: () => child.kill("SIGTERM"),
  };
}
