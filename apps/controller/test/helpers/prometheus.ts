// The real Prometheus (and promtool), as Debian's `prometheus` package installs them, for the
// tests that check what operators run: a server with a scrape configuration of the test's own,
// on a port the system says is free (a random one collided now and then on busy machines).
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";

/** Why `tool` cannot run here, printed by the tests that skip for it; undefined when it can. */
export async function whyMissing(tool: "prometheus" | "promtool"): Promise<string | undefined> {
  try {
    await promisify(execFile)(tool, ["--version"]);
    return undefined;
  } catch {
    return `${tool} is not installed (Debian package "prometheus"; .ci/run installs it)`;
  }
}

/** A port nothing listens on now, on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => probe.once("error", reject).listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** What Prometheus' HTTP API answers (https://prometheus.io/docs/prometheus/latest/querying/api/). */
export interface ApiReply<T> {
  status: "success" | "error";
  data?: T;
  error?: string;
}

export interface RunningPrometheus {
  url: string;
  /** A GET of Prometheus' HTTP API; undefined while it is not up (no answer, or not JSON yet). */
  api<T>(path: string): Promise<ApiReply<T> | undefined>;
  stop(): Promise<void>;
}

/** Starts Prometheus with `config` (prometheus.yml as an object), keeping its files in `dir`. */
export async function startPrometheus(dir: string, config: object): Promise<RunningPrometheus> {
  const configFile = join(dir, "prometheus.yml");
  writeFileSync(configFile, stringify(config));
  const url = `http://127.0.0.1:${await freePort()}`;
  const child: ChildProcess = spawn(
    "prometheus",
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=${new URL(url).host}`,
    ],
    { stdio: "ignore" },
  );
  const exited = new Promise((resolve) => child.once("close", resolve));
  return {
    url,
    async api<T>(path: string) {
      const response = await fetch(`${url}${path}`).catch(() => undefined);
      return (await response?.json().catch(() => undefined)) as ApiReply<T> | undefined;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
