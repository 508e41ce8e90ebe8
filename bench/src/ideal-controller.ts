// The ideal controller lbipam is measured against (issue 16): its own
// process, the same client stack (HTTPS keep-alive, IN_FLIGHT requests at
// once), the same writes per Service (one status merge patch with an
// address and one Event), and no IPAM at all: the i-th Service seen gets the
// i-th address of the range. What is left between it and lbipam is lbipam's.
//   node ideal-controller.js SERVER_URL TOKEN CA_FILE FIRST_ADDRESS
// Prints "ready" once it has listed and watches; on SIGTERM prints its CPU
// time as JSON and exits.
import { readFileSync } from "node:fs";
import { Agent, request } from "node:https";

const IN_FLIGHT = 16;
const [server = "", token = "", caFile = "", firstAddress = "10.128.0.0"] = process.argv.slice(2);
const agent = new Agent({ ca: readFileSync(caFile), keepAlive: true, maxSockets: IN_FLIGHT });
const headers = { Authorization: `Bearer ${token}` };

function send(method: string, path: string, body: unknown, type = "application/json"): Promise<number> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, server),
      {
        method,
        agent,
        headers: { ...headers, "Content-Type": type, "Content-Length": Buffer.byteLength(text) },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(text);
  });
}

const base = firstAddress
  .split(".")
  .map(Number)
  .reduce((n, octet) => n * 256 + octet, 0);
const addressOf = (i: number) => {
  const n = base + i;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
};

interface ServiceObject {
  metadata: { name: string; namespace: string; uid: string };
  spec?: { type?: string };
  status?: { loadBalancer?: { ingress?: unknown[] } };
}

const seen = new Set<string>();
const queue: ServiceObject[] = [];
/** Idle workers, each woken by one new Service. */
const idle: (() => void)[] = [];
let given = 0;

function offer(service: ServiceObject): void {
  if (service.spec?.type !== "LoadBalancer" || (service.status?.loadBalancer?.ingress?.length ?? 0) > 0)
    return;
  if (seen.has(service.metadata.uid)) return;
  seen.add(service.metadata.uid);
  queue.push(service);
  idle.shift()?.();
}

async function serve(service: ServiceObject): Promise<void> {
  const { namespace, name, uid } = service.metadata;
  const ip = addressOf(given++);
  const path = `/api/v1/namespaces/${namespace}/services/${name}`;
  await send(
    "PATCH",
    `${path}/status`,
    { status: { loadBalancer: { ingress: [{ ip }] } } },
    "application/merge-patch+json",
  );
  const now = new Date().toISOString();
  await send("POST", `/api/v1/namespaces/${namespace}/events`, {
    metadata: { generateName: `${name}.` },
    involvedObject: { kind: "Service", apiVersion: "v1", namespace, name, uid },
    reason: "IPAllocated",
    message: `Assigned ${ip}`,
    type: "Normal",
    source: { component: "ideal" },
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  });
}

async function worker(): Promise<void> {
  for (;;) {
    const service = queue.shift();
    if (service) await serve(service);
    else await new Promise<void>((resolve) => idle.push(resolve));
  }
}

function watch(resourceVersion: string): void {
  const req = request(
    new URL(`/api/v1/services?watch=1&resourceVersion=${resourceVersion}`, server),
    { agent: new Agent({ ca: readFileSync(caFile) }), headers },
    (res) => {
      let buffered = "";
      res.on("data", (chunk: Buffer) => {
        buffered += chunk.toString();
        let newline = buffered.indexOf("\n");
        while (newline >= 0) {
          const event = JSON.parse(buffered.slice(0, newline)) as { type: string; object: ServiceObject };
          buffered = buffered.slice(newline + 1);
          if (event.type === "ADDED" || event.type === "MODIFIED") offer(event.object);
          newline = buffered.indexOf("\n");
        }
      });
    },
  );
  req.end();
}

const list = await new Promise<{ metadata: { resourceVersion: string }; items: ServiceObject[] }>(
  (resolve, reject) => {
    const req = request(new URL("/api/v1/services", server), { agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString())));
    });
    req.on("error", reject);
    req.end();
  },
);
for (const service of list.items) offer(service);
watch(list.metadata.resourceVersion);
for (let i = 0; i < IN_FLIGHT; i++) void worker();
process.stdout.write("ready\n");
process.once("SIGTERM", () => {
  const cpu = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ cpuSeconds: (cpu.user + cpu.system) / 1e6, given })}\n`);
  process.exit(0);
});
