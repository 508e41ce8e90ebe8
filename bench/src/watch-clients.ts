// A worker thread of watch clients for the apiserver suite's memory-per-open-watch. In their
// own thread they have their own V8 heap, so what they buffer is not counted as the server's.
// Each opens a real HTTPS watch and holds back, as a client that has not read yet, until told
// to read; then it reads at its own pace, counting event lines and dropping the bytes. The
// parent ends the thread, which closes the watches.
import { request } from "node:https";
import { parentPort, workerData } from "node:worker_threads";

export interface WatchClientsData {
  url: string;
  caPem: string;
  token: string;
  /** A watch URL path with its query, e.g. a collection from resourceVersion 0. */
  path: string;
  watches: number;
  /** Events each watch must receive before it counts as read. */
  events: number;
}

/**
 * Messages to the parent: every watch open (response headers in), then, after the parent's one
 * message (it has measured), every watch read.
 */
export type WatchClientsMessage =
  | { kind: "open" }
  | { kind: "read"; bytesPerWatch: number }
  | { kind: "failed"; message: string };

const { url, caPem, token, path, watches, events } = workerData as WatchClientsData;
const port = parentPort;
if (!port) throw new Error("watch-clients runs as a worker thread");
const post = (message: WatchClientsMessage): void => port.postMessage(message);

const opened = Array.from(
  { length: watches },
  () =>
    new Promise<{ read: () => Promise<number> }>((resolve, reject) => {
      const req = request(
        new URL(path, url),
        { ca: caPem, agent: false, headers: { Authorization: `Bearer ${token}` } },
        (res) => {
          if (res.statusCode !== 200) reject(new Error(`watch answered HTTP ${res.statusCode}`));
          res.pause();
          let lines = 0;
          let bytes = 0;
          const read = () =>
            new Promise<number>((done, fail) => {
              res.on("data", (chunk: Buffer) => {
                bytes += chunk.length;
                for (const byte of chunk) if (byte === 0x0a) lines++;
                if (lines >= events) done(bytes);
              });
              res.on("end", () => fail(new Error(`watch ended after ${lines} of ${events} events`)));
              res.resume();
            });
          resolve({ read });
        },
      );
      req.on("error", reject);
      req.end();
    }),
);

try {
  const clients = await Promise.all(opened);
  const told = new Promise<void>((resolve) => port.once("message", () => resolve()));
  post({ kind: "open" });
  await told;
  const bytes = await Promise.all(clients.map((c) => c.read()));
  post({ kind: "read", bytesPerWatch: bytes.reduce((sum, b) => sum + b, 0) / watches });
} catch (error) {
  post({ kind: "failed", message: error instanceof Error ? error.message : String(error) });
}
