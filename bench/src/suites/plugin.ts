// `kubectl lbipam pools` as an operator types it: the real kubectl finding the
// plugin on PATH, against the embedded API server holding 1,000 LoadBalancer
// pools and 2,000 Services that show addresses. Wall time per call (process
// start, kubeconfig, the lists, the report), beside `kubectl get ippools` on
// the same server: target p50 <= 0.5 s (issue 17).
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { startCluster } from "../cluster.js";
import { type BenchResult, quantile } from "../harness.js";

const POOLS = 1_000;
const SERVICES = 2_000;
const CALLS = 10;
const bin = fileURLToPath(new URL("../../../../node_modules/.bin", import.meta.url));

function timed(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(command, args, { env, maxBuffer: 64 * 2 ** 20 }, (error) =>
      error ? reject(error) : resolve(performance.now() - started),
    );
  });
}

export async function run(): Promise<BenchResult[]> {
  const cluster = await startCluster(4 * SERVICES);
  try {
    for (let i = 0; i < POOLS; i++) {
      await cluster.createPool(`pool-${String(i).padStart(4, "0")}`, {
        cidr: `10.${Math.floor(i / 16)}.${(i % 16) * 16}.0/28`,
        blockSize: 28,
        allowedUses: ["LoadBalancer"],
      });
    }
    await cluster.createServices(SERVICES, (i) => ({
      metadata: { name: `svc-${i}`, namespace: "default" },
      spec: { type: "LoadBalancer", ports: [{ port: 80 }] },
    }));
    for (let i = 0; i < SERVICES; i++) {
      const pool = i % POOLS;
      const ip = `10.${Math.floor(pool / 16)}.${(pool % 16) * 16}.${Math.floor(i / POOLS)}`;
      const reply = await cluster.api.send(
        "PATCH",
        `/api/v1/namespaces/default/services/svc-${i}/status`,
        { status: { loadBalancer: { ingress: [{ ip }] } } },
        "application/merge-patch+json",
      );
      if (reply.status !== 200) throw new Error(`status of svc-${i}: HTTP ${reply.status}`);
    }
    const rest = (process.env.PATH ?? "")
      .split(delimiter)
      .filter((entry) => entry && !existsSync(join(entry, "kubectl-lbipam")));
    const env = { ...process.env, KUBECONFIG: cluster.kubeconfig, PATH: [bin, ...rest].join(delimiter) };
    const measure = async (args: string[]) => {
      await timed("kubectl", args, env); // warm the file cache
      const times: number[] = [];
      for (let i = 0; i < CALLS; i++) times.push(await timed("kubectl", args, env));
      return times;
    };
    const plugin = await measure(["lbipam", "pools"]);
    const get = await measure(["get", "ippools"]);
    const note = `${POOLS} pools, ${SERVICES} Services; ${CALLS} calls after one warm-up`;
    return [
      {
        name: "plugin-pools-1k-p50",
        value: quantile(plugin, 0.5) / 1000,
        unit: "s",
        target: "<= 0.5",
        pass: quantile(plugin, 0.5) <= 500,
        note,
      },
      {
        name: "plugin-pools-1k-max",
        value: Math.max(...plugin) / 1000,
        unit: "s",
        target: "none",
        pass: null,
        note,
      },
      {
        name: "kubectl-get-ippools-1k-p50",
        value: quantile(get, 0.5) / 1000,
        unit: "s",
        target: "floor",
        pass: null,
        note: "kubectl's own get, same server: what a call costs anyway",
      },
    ];
  } finally {
    await cluster.stop();
  }
}
