// Embedded API server throughput: status merge patches on 10,000 Services from one client with
// 16 requests in flight over HTTPS keep-alive (the controller's status writer concurrency), and
// the events delivered meanwhile to 4 watchers. These are floors the controller is compared with.
// Then its memory per open watch: 100 watches of those Services from resourceVersion 0, each
// sent the whole list as ADDED events.
// `--against COMMIT` runs the same against that commit's API server, interleaved with this one's.
// LBIPAM_APISERVER_SERVICES=1000 runs it smaller (to try the suite out).
import { request } from "node:https";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { Worker } from "node:worker_threads";
import { type ApiServer, startApiServer } from "@lbipam/apiserver";
import { comparedWithBefore, interleavedSides, medianOfRounds } from "../before-after.js";
import type { BenchResult, SuiteOptions } from "../harness.js";
import { inLanes, type JsonClient, jsonClient } from "../http.js";
import { buildAtCommit } from "../other-commit.js";
import type { WatchClientsData, WatchClientsMessage } from "../watch-clients.js";

const SERVICES = Number(process.env.LBIPAM_APISERVER_SERVICES ?? 10_000);
const IN_FLIGHT = 16;
const WATCHERS = 4;
const OPEN_WATCHES = 100;
/** Rounds of each side with --against: before, after, before, after. */
const ROUNDS = 2;
/**
 * The server before issue 15 kept each watch's whole initial list in memory until the client
 * read it (issue 15: 300 watches, 517 MB). A watch that writes its list as the client reads
 * keeps a reference per object (8 bytes each, 80 KB for 10,000) and a socket's buffers (tens
 * of KB): 256 KiB leaves room for that and none for the list.
 */
const MEMORY_PER_WATCH_KIB = 256;
const KiB = 1024;
/** How long the server gets to finish what it is writing or closing before its memory is read. */
const SETTLE_MS = 1000;
const servicesPath = "/api/v1/namespaces/default/services";

type StartApiServer = (options: { changeWindow: number }) => Promise<ApiServer>;

interface Watcher {
  /** Resolves when `count` events have arrived. */
  received(count: number): Promise<void>;
  close(): void;
}

function watch(server: ApiServer, resourceVersion: string): Promise<Watcher> {
  return new Promise((resolve, reject) => {
    let events = 0;
    let target = Number.POSITIVE_INFINITY;
    let done = () => {};
    const req = request(
      new URL(`${servicesPath}?watch=true&resourceVersion=${resourceVersion}`, server.url),
      { ca: server.caPem, agent: false, headers: { Authorization: `Bearer ${server.token}` } },
      (res) => {
        res.on("data", (chunk: Buffer) => {
          for (const byte of chunk) if (byte === 0x0a) events++;
          if (events >= target) done();
        });
        resolve({
          received: (count) =>
            new Promise<void>((r) => {
              target = count;
              done = r;
              if (events >= target) r();
            }),
          close: () => req.destroy(),
        });
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** This isolate's heap and the memory outside it that its objects hold (buffers), after a full GC. */
function serverMemory(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("memory-per-open-watch needs node --expose-gc (npm run bench gives it)");
  gc();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}

/**
 * The server's memory growth per open watch while its clients have not read their initial
 * lists yet (the clients live in a worker thread, with a heap of their own); then each client
 * reads its whole list, so the watches are known to have worked.
 */
async function memoryPerOpenWatch(server: ApiServer): Promise<BenchResult> {
  // The patch run's watchers have closed; their sockets go once their close events have run.
  await sleep(SETTLE_MS);
  const before = serverMemory();
  const data: WatchClientsData = {
    url: server.url,
    caPem: server.caPem,
    token: server.token,
    path: `${servicesPath}?watch=true&resourceVersion=0`,
    watches: OPEN_WATCHES,
    events: SERVICES,
  };
  const worker = new Worker(new URL("../watch-clients.js", import.meta.url), { workerData: data });
  const next = <K extends WatchClientsMessage["kind"]>(kind: K) =>
    new Promise<Extract<WatchClientsMessage, { kind: K }>>((resolve, reject) => {
      worker.once("message", (message: WatchClientsMessage) => {
        if (message.kind === kind) resolve(message as Extract<WatchClientsMessage, { kind: K }>);
        else
          reject(new Error(`watch clients: ${message.kind === "failed" ? message.message : message.kind}`));
      });
      worker.once("error", reject);
    });
  try {
    await next("open");
    await sleep(SETTLE_MS);
    const growth = serverMemory() - before;
    worker.postMessage("read");
    const { bytesPerWatch } = await next("read");
    const perWatch = growth / OPEN_WATCHES / KiB;
    return {
      name: "memory-per-open-watch",
      value: perWatch,
      unit: "KiB",
      target: `<= ${MEMORY_PER_WATCH_KIB}`,
      pass: perWatch <= MEMORY_PER_WATCH_KIB,
      note:
        `${OPEN_WATCHES} watches of ${SERVICES} Services from resourceVersion 0 (${Math.round(bytesPerWatch / KiB)} KiB of events each), ` +
        "their clients in a worker thread, not reading yet: the server's heap and external memory after GC " +
        "(each client then read its whole list). Target: a reference per listed object and a socket's buffers, not the list",
    };
  } finally {
    await worker.terminate();
  }
}

/** A fresh API server from `start` holding SERVICES Services, given to `use`, then stopped. */
async function withServices<T>(
  start: StartApiServer,
  use: (server: ApiServer, api: JsonClient) => Promise<T>,
): Promise<T> {
  const server = await start({ changeWindow: 4 * SERVICES });
  const api = jsonClient(server, IN_FLIGHT);
  try {
    await inLanes(SERVICES, IN_FLIGHT, async (i) => {
      const { status } = await api.send("POST", servicesPath, {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: `svc-${i}` },
        spec: { type: "LoadBalancer", allocateLoadBalancerNodePorts: false, ports: [{ port: 80 }] },
      });
      if (status !== 201) throw new Error(`creating svc-${i}: HTTP ${status}`);
    });
    return await use(server, api);
  } finally {
    api.close();
    await server.stop();
  }
}

/** status-patch-throughput and watch-fanout: a status patch of every Service, 4 watchers open. */
async function patchRun(server: ApiServer, api: JsonClient): Promise<BenchResult[]> {
  const list = await api.send("GET", `${servicesPath}?limit=1`);
  const { resourceVersion } = (JSON.parse(list.body) as { metadata: { resourceVersion: string } }).metadata;
  const watchers = await Promise.all(Array.from({ length: WATCHERS }, () => watch(server, resourceVersion)));
  const started = performance.now();
  await inLanes(SERVICES, IN_FLIGHT, async (i) => {
    const ip = `192.168.${Math.floor(i / 250)}.${(i % 250) + 1}`;
    const { status } = await api.send(
      "PATCH",
      `${servicesPath}/svc-${i}/status`,
      { status: { loadBalancer: { ingress: [{ ip }] } } },
      "application/merge-patch+json",
    );
    if (status !== 200) throw new Error(`patching svc-${i}: HTTP ${status}`);
  });
  const patchSeconds = (performance.now() - started) / 1000;
  await Promise.all(watchers.map((w) => w.received(SERVICES)));
  const fanoutSeconds = (performance.now() - started) / 1000;
  for (const w of watchers) w.close();
  return [
    {
      name: "status-patch-throughput",
      value: SERVICES / patchSeconds,
      unit: "patches/s",
      target: "floor",
      pass: null,
      note: `${SERVICES} Services, ${IN_FLIGHT} requests in flight over HTTPS keep-alive, client and server in one process, ${WATCHERS} watchers open`,
    },
    {
      name: "watch-fanout",
      value: (WATCHERS * SERVICES) / fanoutSeconds,
      unit: "events/s",
      target: "floor",
      pass: null,
      note: `${WATCHERS} watchers, each receiving all ${SERVICES} MODIFIED events of the patch run`,
    },
  ];
}

/** Every figure, from a fresh API server started by `start`. */
function measure(start: StartApiServer): Promise<BenchResult[]> {
  return withServices(start, async (server, api) => [
    ...(await patchRun(server, api)),
    await memoryPerOpenWatch(server),
  ]);
}

/** This checkout's status-patch-throughput and watch-fanout: the floors e2e and scale compare with. */
export function floors(): Promise<BenchResult[]> {
  return withServices(startApiServer, patchRun);
}

export async function run(options: SuiteOptions): Promise<BenchResult[]> {
  if (options.against === undefined) return measure(startApiServer);
  const before = buildAtCommit(options.against, "packages/apiserver");
  try {
    const { startApiServer: startBefore } = (await import(before.entry)) as {
      startApiServer: StartApiServer;
    };
    const rounds: Record<"before" | "after", BenchResult[][]> = { before: [], after: [] };
    for (const side of interleavedSides(ROUNDS)) {
      console.log(`   ${side} (${side === "before" ? before.commit.slice(0, 7) : "this checkout"})`);
      rounds[side].push(await measure(side === "before" ? startBefore : startApiServer));
    }
    return comparedWithBefore(medianOfRounds(rounds.after), medianOfRounds(rounds.before), before.commit, [
      { name: "status-patch-throughput", atLeast: 0.95 },
    ]);
  } finally {
    before.remove();
  }
}
