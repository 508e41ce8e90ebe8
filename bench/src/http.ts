// A small HTTPS JSON client for the benchmarks: keep-alive to the embedded
// API server with its CA and token, and a fixed number of requests in flight.
import { Agent, request } from "node:https";
import type { ApiServer } from "@lbipam/apiserver";

export interface JsonClient {
  send(
    method: string,
    path: string,
    body?: unknown,
    contentType?: string,
  ): Promise<{ status: number; body: string }>;
  close(): void;
}

export function jsonClient(server: ApiServer, maxSockets: number): JsonClient {
  const agent = new Agent({ ca: server.caPem, keepAlive: true, maxSockets });
  return {
    send: (method, path, body, contentType = "application/json") =>
      new Promise((resolve, reject) => {
        const text = body === undefined ? "" : JSON.stringify(body);
        const headers: Record<string, string | number> = { Authorization: `Bearer ${server.token}` };
        if (body !== undefined) {
          headers["Content-Type"] = contentType;
          headers["Content-Length"] = Buffer.byteLength(text);
        }
        const req = request(new URL(path, server.url), { method, agent, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
          );
        });
        req.on("error", reject);
        req.end(text);
      }),
    close: () => agent.destroy(),
  };
}

/** Runs `task(i)` for i in [0, count) with at most `lanes` running at once. */
export async function inLanes(
  count: number,
  lanes: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: lanes }, lane));
}
