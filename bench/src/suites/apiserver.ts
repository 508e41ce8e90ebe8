// Embedded API server throughput: status merge patches on 10,000 Services from one client with
// 16 requests in flight over HTTPS keep-alive (the controller's status writer concurrency), and
// the events delivered meanwhile to 4 watchers. These are floors the controller is compared with.
import { Agent, request } from "node:https";
import { performance } from "node:perf_hooks";
import { type ApiServer, startApiServer } from "@lbipam/apiserver";
import type { BenchResult } from "../harness.js";

const SERVICES = 10_000;
const IN_FLIGHT = 16;
const WATCHERS = 4;
const servicesPath = "/api/v1/namespaces/default/services";

interface Client {
  send(method: string, path: string, body: unknown, contentType: string): Promise<number>;
  close(): void;
}

function client(server: ApiServer): Client {
  const agent = new Agent({ ca: server.caPem, keepAlive: true, maxSockets: IN_FLIGHT });
  return {
    send: (method, path, body, contentType) =>
      new Promise((resolve, reject) => {
        const text = JSON.stringify(body);
        const req = request(
          new URL(path, server.url),
          {
            method,
            agent,
            headers: {
              Authorization: `Bearer ${server.token}`,
              "Content-Type": contentType,
              "Content-Length": Buffer.byteLength(text),
            },
          },
          (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          },
        );
        req.on("error", reject);
        req.end(text);
      }),
    close: () => agent.destroy(),
  };
}

/** Runs `task(i)` for i in [0, count) with at most IN_FLIGHT running at once. */
async function pool(count: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
}

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

export async function run(): Promise<BenchResult[]> {
  const server = await startApiServer({ changeWindow: 4 * SERVICES });
  const api = client(server);
  try {
    await pool(SERVICES, async (i) => {
      const status = await api.send(
        "POST",
        servicesPath,
        {
          apiVersion: "v1",
          kind: "Service",
          metadata: { name: `svc-${i}` },
          spec: { type: "LoadBalancer", allocateLoadBalancerNodePorts: false, ports: [{ port: 80 }] },
        },
        "application/json",
      );
      if (status !== 201) throw new Error(`creating svc-${i}: HTTP ${status}`);
    });
    const list = await new Promise<string>((resolve, reject) => {
      request(
        new URL(`${servicesPath}?limit=1`, server.url),
        { ca: server.caPem, headers: { Authorization: `Bearer ${server.token}` } },
        (res) => {
          let text = "";
          res.on("data", (c: Buffer) => {
            text += c.toString();
          });
          res.on("end", () =>
            resolve((JSON.parse(text) as { metadata: { resourceVersion: string } }).metadata.resourceVersion),
          );
        },
      )
        .on("error", reject)
        .end();
    });
    const watchers = await Promise.all(Array.from({ length: WATCHERS }, () => watch(server, list)));
    const start = performance.now();
    await pool(SERVICES, async (i) => {
      const ip = `192.168.${Math.floor(i / 250)}.${(i % 250) + 1}`;
      const status = await api.send(
        "PATCH",
        `${servicesPath}/svc-${i}/status`,
        { status: { loadBalancer: { ingress: [{ ip }] } } },
        "application/merge-patch+json",
      );
      if (status !== 200) throw new Error(`patching svc-${i}: HTTP ${status}`);
    });
    const patchSeconds = (performance.now() - start) / 1000;
    await Promise.all(watchers.map((w) => w.received(SERVICES)));
    const fanoutSeconds = (performance.now() - start) / 1000;
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
  } finally {
    api.close();
    await server.stop();
  }
}
